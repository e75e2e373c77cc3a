//! What each push changed (push_changes), the history listing per resource, pauses, pins and
//! the audit trail, on every dialect.

use std::collections::BTreeSet;

use serde_json::json;
use sisyphus_core::change::Action;
use sisyphus_core::desired::ResourceId;
use sisyphus_core::pause::PauseTarget;
use sisyphus_core::production::ResourceKind;
use sisyphus_core::state::{ObjectId, RecordedObject};
use sisyphus_state::{
    DEFAULT_LEASE, Error, HistoryFilter, Operation, Outcome, PushChange, PushInfo, PushLock, Store,
};

use crate::common::{TestDb, deployment, holder, key, recorded};

fn info() -> PushInfo {
    PushInfo {
        operation: Operation::Push,
        user: "alice".into(),
        host: "alice-host".into(),
        inputs_hash: Some("inputs-0123".into()),
    }
}

fn echo() -> ResourceId {
    ResourceId {
        kind: ResourceKind::Deployment,
        folder: "web".into(),
        name: "echo".into(),
    }
}

/// The history row of writing `after` over `before`.
fn change_of(
    action: Action,
    before: Option<&RecordedObject>,
    after: Option<&RecordedObject>,
    push_id: i64,
) -> PushChange {
    let any = after.or(before).unwrap();
    PushChange {
        push_id,
        key: any.key.clone(),
        action,
        resource: any.resource.clone(),
        before: before.and_then(|b| b.config.clone()),
        after: after.and_then(|a| a.config.clone()),
        before_intent: before.map(|b| b.applied.clone()),
        after_intent: after.map(|a| a.applied.clone()),
        reasons: vec![format!("reason of {action}")],
    }
}

/// One push by `lock` writing `replicas` to echo in clusters a and b (a create when `before`
/// is empty, else an update).
async fn push_echo(
    store: &Store,
    lock: &PushLock,
    replicas: u32,
    before: &[RecordedObject],
) -> (i64, Vec<RecordedObject>) {
    let id = store.begin(lock, &info()).await.unwrap();
    let mut written = Vec::new();
    for (i, cluster) in ["a", "b"].into_iter().enumerate() {
        let object = deployment(cluster, "web", "echo", replicas, id);
        let old = before.get(i);
        let action = if old.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        store
            .record_change(lock, &object, &change_of(action, old, Some(&object), id))
            .await
            .unwrap();
        written.push(object);
    }
    let counts = [(
        if before.is_empty() {
            Action::Create
        } else {
            Action::Update
        },
        2,
    )]
    .into_iter()
    .collect();
    store
        .finish(lock, id, Outcome::Succeeded, &counts, None)
        .await
        .unwrap();
    (id, written)
}

pub async fn history_lists_what_each_resource_moved_between(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let (first, v1) = push_echo(&store, &lock, 1, &[]).await;
    let (second, v2) = push_echo(&store, &lock, 2, &v1).await;
    // The third push updates echo in `a` only and deletes a namespace of no resource in `b`.
    let third = store.begin(&lock, &info()).await.unwrap();
    let v3 = deployment("a", "web", "echo", 3, third);
    store
        .record_change(
            &lock,
            &v3,
            &change_of(Action::Update, Some(&v2[0]), Some(&v3), third),
        )
        .await
        .unwrap();
    let namespace = recorded(
        key("b", "v1", "Namespace", None, "old"),
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "old"}}),
        first,
    );
    store.record(&lock, &namespace).await.unwrap();
    let id = ObjectId::of(&namespace.key);
    assert!(
        store
            .remove_change(
                &lock,
                &id,
                &change_of(Action::Delete, Some(&namespace), None, third)
            )
            .await
            .unwrap()
    );
    store
        .finish(
            &lock,
            third,
            Outcome::Failed,
            &Default::default(),
            Some("1 error(s)"),
        )
        .await
        .unwrap();
    // A forget is audit only.
    let forget = store
        .begin(
            &lock,
            &PushInfo {
                operation: Operation::Forget,
                ..info()
            },
        )
        .await
        .unwrap();
    store
        .finish(&lock, forget, Outcome::Succeeded, &Default::default(), None)
        .await
        .unwrap();

    let all = |limit| HistoryFilter {
        audit: false,
        resource: None,
        cluster: None,
        limit,
    };
    let history = store.history(&all(20)).await.unwrap();
    let ids: Vec<i64> = history.iter().map(|e| e.push.id).collect();
    assert_eq!(ids, [third, second, first], "pushes only, newest first");
    assert_eq!(history[0].push.outcome, Outcome::Failed);
    assert_eq!(history[0].push.inputs_hash.as_deref(), Some("inputs-0123"));
    assert_eq!(history[2].push.counts[&Action::Create], 2);

    // The second push moved echo in both clusters from the images of 1 to those of 2.
    let moves = &history[1].moves;
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(moves[0].resource, Some(echo()));
    assert_eq!(
        moves[0].clusters,
        BTreeSet::from(["a".to_owned(), "b".to_owned()])
    );
    assert_eq!(moves[0].actions, BTreeSet::from([Action::Update]));
    assert_eq!(moves[0].objects, 2);
    assert_eq!(moves[0].before, v1[0].config);
    assert_eq!(moves[0].after, v2[0].config);
    assert_ne!(moves[0].before, moves[0].after);
    // The first created them (nothing before).
    assert_eq!(history[2].moves[0].before, None);
    assert_eq!(
        history[2].moves[0].actions,
        BTreeSet::from([Action::Create])
    );
    // The third: echo in `a`, and the Namespace of no resource.
    let third_moves: Vec<(Option<ResourceId>, Vec<String>)> = history[0]
        .moves
        .iter()
        .map(|m| (m.resource.clone(), m.clusters.iter().cloned().collect()))
        .collect();
    assert_eq!(
        third_moves,
        [
            (Some(echo()), vec!["a".to_owned()]),
            (None, vec!["b".to_owned()])
        ]
    );

    // Filters: a cluster, a resource, both, a limit.
    let only_b = store
        .history(&HistoryFilter {
            cluster: Some("b".into()),
            ..all(20)
        })
        .await
        .unwrap();
    let ids: Vec<i64> = only_b.iter().map(|e| e.push.id).collect();
    assert_eq!(ids, [third, second, first]);
    assert!(
        only_b
            .iter()
            .flat_map(|e| &e.moves)
            .all(|m| m.clusters == BTreeSet::from(["b".to_owned()]))
    );
    let echo_in_b = store
        .history(&HistoryFilter {
            cluster: Some("b".into()),
            resource: Some(echo()),
            ..all(20)
        })
        .await
        .unwrap();
    let ids: Vec<i64> = echo_in_b.iter().map(|e| e.push.id).collect();
    assert_eq!(ids, [second, first]);
    let other = ResourceId {
        name: "other".into(),
        ..echo()
    };
    let none = store
        .history(&HistoryFilter {
            resource: Some(other),
            ..all(20)
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    let newest = store.history(&all(1)).await.unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].push.id, third);
    assert_eq!(newest[0].moves.len(), 2);

    // The audit trail has every row.
    let audit = store
        .history(&HistoryFilter {
            audit: true,
            ..all(20)
        })
        .await
        .unwrap();
    let operations: Vec<Operation> = audit.iter().map(|e| e.push.operation).collect();
    assert_eq!(
        operations,
        [
            Operation::Forget,
            Operation::Push,
            Operation::Push,
            Operation::Push
        ]
    );

    // One push's changes, in the order written, back as change set entries.
    let changes = store.push_changes(third).await.unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(
        changes[0],
        change_of(Action::Update, Some(&v2[0]), Some(&v3), third)
    );
    let update = changes[0].change().unwrap();
    assert_eq!(update.action, Action::Update);
    assert_eq!(update.reasons, ["reason of update"]);
    assert_eq!(
        update.recorded.as_ref().unwrap().applied_value().unwrap(),
        v2[0].applied_value().unwrap()
    );
    assert_eq!(
        update.desired.as_ref().unwrap().object,
        v3.applied_value().unwrap()
    );
    let delete = changes[1].change().unwrap();
    assert_eq!(delete.action, Action::Delete);
    assert!(delete.desired.is_none());
    assert_eq!(delete.key.name, "old");
    assert!(store.push_changes(forget).await.unwrap().is_empty());
    assert_eq!(store.push(second).await.unwrap().unwrap().id, second);
    assert!(store.push(forget + 100).await.unwrap().is_none());
    lock.release().await.unwrap();
    store.close().await;
}

pub async fn a_change_with_a_secret_value_is_refused_and_writes_nothing(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let push = store.begin(&lock, &info()).await.unwrap();
    let generation = store.generation().await.unwrap();
    let object = deployment("a", "web", "echo", 1, push);
    let mut change = change_of(Action::Update, None, Some(&object), push);
    change.before_intent = Some(
        json!({"apiVersion": "v1", "kind": "Secret", "data": {"k": "c2VjcmV0LXZhbHVl"}})
            .to_string(),
    );
    let error = store
        .record_change(&lock, &object, &change)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnmaskedSecret { .. }), "{error:?}");
    let error = store
        .remove_change(&lock, &ObjectId::of(&object.key), &change)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnmaskedSecret { .. }), "{error:?}");
    assert_eq!(store.generation().await.unwrap(), generation);
    assert!(store.snapshot(None).await.unwrap().objects.is_empty());
    assert!(store.push_changes(push).await.unwrap().is_empty());
    lock.release().await.unwrap();
    store.close().await;
}

pub async fn pauses_are_recorded_with_their_audit_rows(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let namespace = PauseTarget::Namespace("api".into());
    let resource = PauseTarget::Resource(echo());
    let generation = store.generation().await.unwrap();
    let id = store
        .pause(
            &lock,
            &[resource.clone(), namespace.clone()],
            Some("incident 42"),
        )
        .await
        .unwrap();
    // A pause moves the generation: a change set computed before it is stale.
    assert_eq!(store.generation().await.unwrap(), generation + 1);
    let pauses = store.pauses().await.unwrap();
    let targets: Vec<&PauseTarget> = pauses.iter().map(|p| &p.target).collect();
    assert_eq!(targets, [&resource, &namespace], "sorted by target text");
    for pause in &pauses {
        assert_eq!(pause.user, "alice");
        assert_eq!(pause.host, "alice-host");
        assert_eq!(pause.reason.as_deref(), Some("incident 42"));
        assert!(pause.since_ms > 1_700_000_000_000, "{}", pause.since_ms);
    }
    let row = store.push(id).await.unwrap().unwrap();
    assert_eq!(row.operation, Operation::Pause);
    assert_eq!(row.outcome, Outcome::Succeeded);
    assert_eq!(row.user, "alice");
    assert!(row.finished.is_some());
    assert_eq!(
        row.message.as_deref(),
        Some("paused `Deployment/web/echo`, `namespace/api`: incident 42")
    );
    lock.release().await.unwrap();

    // Someone else pauses it again: the new who and why replace the old.
    let lock = store.lock(&holder("bob"), DEFAULT_LEASE).await.unwrap();
    store
        .pause(&lock, std::slice::from_ref(&resource), None)
        .await
        .unwrap();
    let pauses = store.pauses().await.unwrap();
    assert_eq!(pauses.len(), 2);
    assert_eq!(pauses[0].user, "bob");
    assert_eq!(pauses[0].reason, None);

    // Resuming one that is paused and one that is not resumes nothing.
    let generation = store.generation().await.unwrap();
    let rows = store.pushes(100).await.unwrap().len();
    let error = store
        .resume(
            &lock,
            &[resource.clone(), PauseTarget::Namespace("web".into())],
        )
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::NotPaused { target } if target == "namespace/web"));
    assert_eq!(
        error.to_string(),
        "`namespace/web` is not paused; nothing was resumed"
    );
    assert_eq!(store.pauses().await.unwrap().len(), 2);
    assert_eq!(store.generation().await.unwrap(), generation);
    assert_eq!(store.pushes(100).await.unwrap().len(), rows);

    let resumed = store
        .resume(&lock, &[resource.clone(), namespace.clone()])
        .await
        .unwrap();
    assert!(store.pauses().await.unwrap().is_empty());
    let row = store.push(resumed).await.unwrap().unwrap();
    assert_eq!(row.operation, Operation::Resume);
    assert_eq!(row.user, "bob");
    assert_eq!(
        row.message.as_deref(),
        Some("resumed `Deployment/web/echo`, `namespace/api`")
    );
    let operations: Vec<Operation> = store
        .pushes(100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.operation)
        .collect();
    assert_eq!(
        operations,
        [Operation::Resume, Operation::Pause, Operation::Pause]
    );
    lock.release().await.unwrap();

    // Without the lock nothing is written.
    let lock = store.lock(&holder("carol"), DEFAULT_LEASE).await.unwrap();
    store.unlock(&holder("admin")).await.unwrap();
    let error = store.pause(&lock, &[resource], None).await.unwrap_err();
    assert!(matches!(error, Error::LockLost), "{error:?}");
    assert!(store.pauses().await.unwrap().is_empty());
    store.close().await;
}

pub async fn pins_hold_a_resource_at_its_objects_of_one_push(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    // Push 1 creates echo in a and b; push 2 updates both; push 3 deletes it from b.
    let (first, v1) = push_echo(&store, &lock, 1, &[]).await;
    let (second, v2) = push_echo(&store, &lock, 2, &v1).await;
    let third = store.begin(&lock, &info()).await.unwrap();
    let gone = v2[1].clone();
    store
        .remove_change(
            &lock,
            &ObjectId::of(&gone.key),
            &change_of(Action::Delete, Some(&gone), None, third),
        )
        .await
        .unwrap();
    store
        .finish(&lock, third, Outcome::Succeeded, &Default::default(), None)
        .await
        .unwrap();

    let history = store.resource_history(&echo()).await.unwrap();
    let pushes: Vec<i64> = history.iter().map(|c| c.push_id).collect();
    assert_eq!(
        pushes,
        [first, first, second, second, third],
        "oldest first"
    );
    assert_eq!(history[4].action, Action::Delete);
    assert_eq!(history[4].key, gone.key);
    // As of a push: the newest row of each object then, read whole by id.
    let as_of = |push| {
        let ids: Vec<i64> = sisyphus_state::as_of(&history, push)
            .iter()
            .map(|c| c.id)
            .collect();
        let store = store.clone();
        async move {
            store
                .changes_by_id(&ids)
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.key.cluster.clone(), c.after_intent.unwrap()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        as_of(first).await,
        [
            ("a".to_owned(), v1[0].applied.clone()),
            ("b".to_owned(), v1[1].applied.clone())
        ]
    );
    let at_second = as_of(second).await;
    assert_eq!(at_second.len(), 2);
    assert_eq!(at_second[1].1, v2[1].applied);
    assert_eq!(
        as_of(third).await,
        [("a".to_owned(), v2[0].applied.clone())],
        "the delete of b counts"
    );
    assert!(sisyphus_state::as_of(&history, first - 1).is_empty());
    assert!(store.changes_by_id(&[]).await.unwrap().is_empty());
    let other = ResourceId {
        name: "other".into(),
        ..echo()
    };
    assert!(store.resource_history(&other).await.unwrap().is_empty());

    // A pin, with its audit row; it moves the generation like a pause.
    let generation = store.generation().await.unwrap();
    let id = store.pin(&lock, &echo(), first).await.unwrap();
    assert_eq!(store.generation().await.unwrap(), generation + 1);
    let pins = store.pins().await.unwrap();
    assert_eq!(pins.len(), 1);
    assert_eq!(pins[0].resource, echo());
    assert_eq!(pins[0].to_push, first);
    assert_eq!(pins[0].user, "alice");
    assert_eq!(pins[0].host, "alice-host");
    assert_eq!(pins[0].push_id, id);
    assert!(pins[0].since_ms > 1_700_000_000_000);
    let row = store.push(id).await.unwrap().unwrap();
    assert_eq!(row.operation, Operation::Pin);
    assert_eq!(
        row.message.as_deref(),
        Some(format!("pinned `Deployment/web/echo` to push {first}").as_str())
    );
    // A second rollback replaces it.
    store.pin(&lock, &echo(), second).await.unwrap();
    let pins = store.pins().await.unwrap();
    assert_eq!(pins.len(), 1);
    assert_eq!(pins[0].to_push, second);

    // Unpinning what is not pinned writes nothing; unpinning echo leaves an audit row.
    let generation = store.generation().await.unwrap();
    let rows = store.pushes(100).await.unwrap().len();
    let error = store.unpin(&lock, &other).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "`Deployment/web/other` is not pinned; nothing was unpinned"
    );
    assert_eq!(store.generation().await.unwrap(), generation);
    assert_eq!(store.pushes(100).await.unwrap().len(), rows);
    let id = store.unpin(&lock, &echo()).await.unwrap();
    assert!(store.pins().await.unwrap().is_empty());
    assert_eq!(
        store.push(id).await.unwrap().unwrap().operation,
        Operation::Unpin
    );

    // Without the lock nothing is written.
    store.unlock(&holder("admin")).await.unwrap();
    let error = store.pin(&lock, &echo(), first).await.unwrap_err();
    assert!(matches!(error, Error::LockLost), "{error:?}");
    assert!(store.pins().await.unwrap().is_empty());
    store.close().await;
}

/// Every operation's word is stored and read back.
pub async fn every_operation_round_trips(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    for operation in Operation::ALL {
        let id = store
            .begin(
                &lock,
                &PushInfo {
                    operation,
                    ..info()
                },
            )
            .await
            .unwrap();
        store
            .finish(&lock, id, Outcome::Succeeded, &Default::default(), None)
            .await
            .unwrap();
    }
    let mut read: Vec<Operation> = store
        .pushes(100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.operation)
        .collect();
    read.reverse();
    assert_eq!(read, Operation::ALL);
    let pushes: Vec<Operation> = store
        .history(&HistoryFilter {
            audit: false,
            resource: None,
            cluster: None,
            limit: 100,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.push.operation)
        .collect();
    assert_eq!(pushes, [Operation::Rollback, Operation::Push]);
    lock.release().await.unwrap();
    store.close().await;
}
