//! Recorded objects and history: round trips through the snapshot, upserts, removal, the
//! generation, and push rows.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use sisyphus_core::change::Action;
use sisyphus_core::state::ObjectId;
use sisyphus_state::{DEFAULT_LEASE, Error, Operation, Outcome, PushInfo};

use crate::common::{TestDb, deployment, holder, key, recorded};

fn info(operation: Operation) -> PushInfo {
    PushInfo {
        operation,
        user: "alice".into(),
        host: "alice-host".into(),
        inputs_hash: Some("inputs-0123".into()),
    }
}

pub async fn record_and_snapshot_round_trip(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let push = store.begin(&lock, &info(Operation::Push)).await.unwrap();
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}});
    // Cluster-scoped (namespace None) and namespace "" are different objects.
    let cluster_scoped = recorded(key("a", "v1", "Namespace", None, "web"), &namespace, push);
    let empty_namespace = recorded(
        key("a", "v1", "Namespace", Some(""), "web"),
        &namespace,
        push,
    );
    let objects = [
        cluster_scoped,
        empty_namespace,
        deployment("a", "web", "echo", 2, push),
        deployment("b", "web", "echo", 3, push),
        recorded(
            key(
                "b",
                "example.com/v1alpha1",
                "Widget",
                Some("wïdgets"),
                "ünïcode-☃",
            ),
            &json!({"spec": {"text": "multi\nline \"quoted\" \\ ☃"}}),
            push,
        ),
    ];
    for object in &objects {
        store.record(&lock, object).await.unwrap();
    }
    let expected: BTreeMap<ObjectId, _> = objects
        .iter()
        .map(|o| (ObjectId::of(&o.key), o.clone()))
        .collect();
    assert_eq!(expected.len(), objects.len());

    let snapshot = store.snapshot(None).await.unwrap();
    assert_eq!(snapshot.objects, expected);
    let namespaces: Vec<_> = snapshot
        .objects
        .keys()
        .filter(|id| id.kind == "Namespace")
        .map(|id| id.namespace.clone())
        .collect();
    assert_eq!(namespaces, [None, Some(String::new())]);

    let only_a = store
        .snapshot(Some(&BTreeSet::from(["a".to_owned()])))
        .await
        .unwrap();
    assert_eq!(only_a.objects.len(), 3);
    assert!(only_a.objects.keys().all(|id| id.cluster == "a"));
    assert_eq!(only_a.generation, snapshot.generation);
    let both = BTreeSet::from(["a".to_owned(), "b".to_owned(), "c".to_owned()]);
    assert_eq!(store.snapshot(Some(&both)).await.unwrap(), snapshot);
    // Cluster names compare exactly (MySQL's default collation would not).
    let upper = BTreeSet::from(["A".to_owned()]);
    assert!(
        store
            .snapshot(Some(&upper))
            .await
            .unwrap()
            .objects
            .is_empty()
    );
    let none = store.snapshot(Some(&BTreeSet::new())).await.unwrap();
    assert!(none.objects.is_empty());
    assert_eq!(none.generation, snapshot.generation);

    let mut of_push = store.objects_of_push(push).await.unwrap();
    of_push.sort_by(|x, y| x.key.cmp(&y.key));
    let mut all: Vec<_> = objects.to_vec();
    all.sort_by(|x, y| x.key.cmp(&y.key));
    assert_eq!(of_push, all);
    assert!(store.objects_of_push(push + 1).await.unwrap().is_empty());
    lock.release().await.unwrap();
    store.close().await;

    // Another store (a later run) reads the same.
    let again = db.open().await;
    assert_eq!(again.snapshot(None).await.unwrap(), snapshot);
    again.close().await;
}

pub async fn upsert_replaces_and_remove_forgets(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let first = store.begin(&lock, &info(Operation::Push)).await.unwrap();
    let original = deployment("a", "web", "echo", 1, first);
    store.record(&lock, &original).await.unwrap();
    let second = store.begin(&lock, &info(Operation::Push)).await.unwrap();
    assert!(second > first);
    // A new version of the same object (autoscaling/v1 → v2 style): same id, replaced.
    let mut replaced = deployment("a", "web", "echo", 5, second);
    replaced.key.version = "v2".into();
    replaced.uid = None;
    replaced.config = None;
    replaced.resource = None;
    replaced.created = false;
    store.record(&lock, &replaced).await.unwrap();
    let snapshot = store.snapshot(None).await.unwrap();
    assert_eq!(snapshot.objects.len(), 1);
    assert_eq!(snapshot.objects.values().next(), Some(&replaced));
    assert!(store.objects_of_push(first).await.unwrap().is_empty());

    let other = deployment("a", "web", "other", 1, second);
    store.record(&lock, &other).await.unwrap();
    let id = ObjectId::of(&replaced.key);
    assert!(store.remove(&lock, &id).await.unwrap());
    assert!(!store.remove(&lock, &id).await.unwrap());
    let snapshot = store.snapshot(None).await.unwrap();
    assert_eq!(snapshot.objects.values().collect::<Vec<_>>(), [&other]);
    lock.release().await.unwrap();
    store.close().await;
}

pub async fn generation_grows_with_every_write(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let mut last = store.generation().await.unwrap();
    let push = store.begin(&lock, &info(Operation::Push)).await.unwrap();
    let object = deployment("a", "web", "echo", 1, push);
    let id = ObjectId::of(&object.key);
    let mut grew = |label: &str, now: i64| {
        assert!(
            now > last,
            "{label}: generation {now} did not grow from {last}"
        );
        last = now;
    };
    store.record(&lock, &object).await.unwrap();
    grew("record", store.generation().await.unwrap());
    // The same object again, byte for byte: still a write.
    store.record(&lock, &object).await.unwrap();
    grew("same record", store.generation().await.unwrap());
    store.remove(&lock, &id).await.unwrap();
    grew("remove", store.generation().await.unwrap());
    store.remove(&lock, &id).await.unwrap();
    grew("remove of nothing", store.generation().await.unwrap());
    store.record(&lock, &object).await.unwrap();
    let now = store.generation().await.unwrap();
    grew("record after remove", now);
    assert_eq!(store.snapshot(None).await.unwrap().generation, now);
    // History rows do not move the state.
    store
        .finish(&lock, push, Outcome::Succeeded, &BTreeMap::new(), None)
        .await
        .unwrap();
    assert_eq!(store.generation().await.unwrap(), now);
    lock.release().await.unwrap();
    store.close().await;
}

pub async fn pushes_are_history(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let push = store.begin(&lock, &info(Operation::Push)).await.unwrap();
    let running = store.pushes(10).await.unwrap();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].outcome, Outcome::Running);
    assert_eq!(running[0].finished, None);
    let counts = BTreeMap::from([
        (Action::Create, 3),
        (Action::Unchanged, 4_200),
        (Action::Delete, 1),
    ]);
    store
        .finish(
            &lock,
            push,
            Outcome::Failed,
            &counts,
            Some("2 objects failed: ☃"),
        )
        .await
        .unwrap();
    let refresh = store
        .begin(
            &lock,
            &PushInfo {
                inputs_hash: None,
                ..info(Operation::Refresh)
            },
        )
        .await
        .unwrap();
    store
        .finish(&lock, refresh, Outcome::Succeeded, &BTreeMap::new(), None)
        .await
        .unwrap();

    let rows = store.pushes(10).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [refresh, push]
    );
    let row = &rows[1];
    assert_eq!(row.operation, Operation::Push);
    assert_eq!(
        (row.user.as_str(), row.host.as_str(), row.pid),
        ("alice", "alice-host", 4242)
    );
    assert_eq!(row.inputs_hash.as_deref(), Some("inputs-0123"));
    assert_eq!(row.outcome, Outcome::Failed);
    assert_eq!(row.message.as_deref(), Some("2 objects failed: ☃"));
    let mut all_counts: BTreeMap<Action, usize> = Action::ALL.iter().map(|a| (*a, 0)).collect();
    all_counts.extend(counts);
    assert_eq!(row.counts, all_counts);
    let finished = row.finished.expect("finished");
    assert!(finished >= row.started, "{row:?}");
    // The database clock is now-ish (unix millis).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((row.started.unix_millis() - now).abs() < 60_000, "{row:?}");
    assert_eq!(rows[0].operation, Operation::Refresh);
    assert_eq!(rows[0].inputs_hash, None);
    assert_eq!(store.pushes(1).await.unwrap().len(), 1);

    let error = store
        .finish(&lock, push, Outcome::Succeeded, &BTreeMap::new(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::NotRunning { id } if id == push),
        "{error:?}"
    );
    let error = store
        .finish(&lock, 9_999, Outcome::Succeeded, &BTreeMap::new(), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotRunning { .. }), "{error:?}");
    let error = store
        .finish(&lock, push, Outcome::Running, &BTreeMap::new(), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::FinishRunning { .. }), "{error:?}");
    lock.release().await.unwrap();
    store.close().await;
}
