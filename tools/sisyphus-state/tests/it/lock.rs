//! The push lock: one holder at a time, with who holds it in the refusal; an expired lease is
//! taken over by exactly one taker; a lost lease stops writes; `unlock` breaks it on record.

use std::collections::BTreeMap;
use std::time::Duration;

use sisyphus_state::{DEFAULT_LEASE, Error, Operation, Outcome, PushInfo, Store};

use crate::common::{TestDb, deployment, holder};

const SHORT: Duration = Duration::from_millis(900);

fn info(user: &str) -> PushInfo {
    PushInfo {
        operation: Operation::Push,
        user: user.into(),
        host: format!("{user}-host"),
        inputs_hash: None,
    }
}

pub async fn second_holder_is_refused_with_holder_info(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    assert_eq!(lock.holder(), &holder("alice"));
    let other = db.open().await;
    let started = std::time::Instant::now();
    let error = other.lock(&holder("bob"), DEFAULT_LEASE).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "not at once");
    let Error::Locked {
        user,
        host,
        pid,
        since,
        expires,
    } = &error
    else {
        panic!("expected Locked, got {error:?}");
    };
    assert_eq!(
        (user.as_str(), host.as_str(), *pid),
        ("alice", "alice-host", 4242)
    );
    let lease = expires.unix_millis() - since.unix_millis();
    assert!((59_000..=61_000).contains(&lease), "lease {lease} ms");
    let message = error.to_string();
    for needle in [
        "`alice`",
        "`alice-host`",
        "pid 4242",
        "sisyphus unlock",
        " UTC",
    ] {
        assert!(
            message.contains(needle),
            "{needle:?} missing from {message}"
        );
    }
    assert!(message.contains(&since.to_string()), "{message}");
    let held = other.lock_info().await.unwrap().expect("held");
    assert_eq!(held.holder, holder("alice"));
    assert!(!held.expired);
    // The same holder in another process is refused too: a lease is not re-entrant.
    assert!(matches!(
        other.lock(&holder("alice"), DEFAULT_LEASE).await,
        Err(Error::Locked { .. })
    ));

    lock.release().await.unwrap();
    assert_eq!(other.lock_info().await.unwrap(), None);
    let lock = other.lock(&holder("bob"), DEFAULT_LEASE).await.unwrap();
    lock.release().await.unwrap();
    store.close().await;
    other.close().await;
}

pub async fn heartbeat_keeps_the_lease(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), SHORT).await.unwrap();
    let first = store.lock_info().await.unwrap().unwrap();
    tokio::time::sleep(SHORT * 3).await;
    let later = store.lock_info().await.unwrap().unwrap();
    assert!(later.expires > first.expires, "{first:?} → {later:?}");
    assert!(!later.expired);
    assert!(matches!(
        store.lock(&holder("bob"), SHORT).await,
        Err(Error::Locked { .. })
    ));
    assert!(!lock.is_lost());
    let push = store.begin(&lock, &info("alice")).await.unwrap();
    store
        .record(&lock, &deployment("a", "web", "echo", 1, push))
        .await
        .unwrap();
    lock.release().await.unwrap();
    store.close().await;
}

pub async fn expired_lease_is_taken_over(db: &TestDb) {
    let store = db.open().await;
    let dead = store.lock(&holder("alice"), SHORT).await.unwrap();
    let push = store.begin(&dead, &info("alice")).await.unwrap();
    // The process "dies": no release, no more heartbeats.
    drop(dead);
    assert!(matches!(
        store.lock(&holder("bob"), SHORT).await,
        Err(Error::Locked { .. })
    ));
    tokio::time::sleep(SHORT + Duration::from_millis(300)).await;
    let info_before = store.lock_info().await.unwrap().unwrap();
    assert!(info_before.expired, "{info_before:?}");
    let lock = store.lock(&holder("bob"), SHORT).await.unwrap();
    assert_eq!(
        store.lock_info().await.unwrap().unwrap().holder,
        holder("bob")
    );
    let rows = store.pushes(10).await.unwrap();
    let row = rows.iter().find(|r| r.id == push).unwrap();
    assert_eq!(row.outcome, Outcome::Interrupted, "{row:?}");
    assert!(row.finished.is_some());
    assert!(
        row.message.as_deref().unwrap_or("").contains("`bob`"),
        "{row:?}"
    );
    lock.release().await.unwrap();
    store.close().await;
}

pub async fn racing_takers_one_wins(db: &TestDb) {
    let stores: Vec<Store> = futures_join(8, || db.open()).await;
    // A free lock, then an expired one: each time exactly one of eight racing takers wins.
    for round in 0..2 {
        let attempts = stores.iter().enumerate().map(|(i, store)| {
            let store = store.clone();
            tokio::spawn(async move { store.lock(&holder(&format!("taker{i}")), SHORT).await })
        });
        let mut won = Vec::new();
        let mut refused = 0;
        for attempt in attempts.collect::<Vec<_>>() {
            match attempt.await.unwrap() {
                Ok(lock) => won.push(lock),
                Err(Error::Locked { .. }) => refused += 1,
                Err(other) => panic!("round {round}: {other}"),
            }
        }
        assert_eq!((won.len(), refused), (1, 7), "round {round}");
        // The winner dies; its lease expires.
        drop(won);
        tokio::time::sleep(SHORT + Duration::from_millis(300)).await;
    }
    for store in stores {
        store.close().await;
    }
}

/// `n` results of `open`, one after another.
async fn futures_join<F, Fut>(n: usize, open: F) -> Vec<Store>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Store>,
{
    let mut stores = Vec::new();
    for _ in 0..n {
        stores.push(open().await);
    }
    stores
}

pub async fn lost_lease_stops_writes_and_unlock_is_recorded(db: &TestDb) {
    let store = db.open().await;
    // Nothing held: unlock says so, on record.
    assert_eq!(store.unlock(&holder("carol")).await.unwrap(), None);

    let lock = store.lock(&holder("alice"), SHORT).await.unwrap();
    let push = store.begin(&lock, &info("alice")).await.unwrap();
    store
        .record(&lock, &deployment("a", "web", "echo", 1, push))
        .await
        .unwrap();
    let generation = store.generation().await.unwrap();

    let broken = store
        .unlock(&holder("carol"))
        .await
        .unwrap()
        .expect("was held");
    assert_eq!(broken.holder, holder("alice"));
    // The database refuses at once, before the heartbeat notices.
    let error = store
        .record(&lock, &deployment("a", "web", "echo", 2, push))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::LockLost), "{error:?}");
    assert!(error.to_string().contains("sisyphus unlock"), "{error}");
    assert_eq!(store.generation().await.unwrap(), generation);
    assert!(matches!(
        store
            .finish(&lock, push, Outcome::Succeeded, &BTreeMap::new(), None)
            .await,
        Err(Error::LockLost)
    ));
    assert!(matches!(
        store.begin(&lock, &info("alice")).await,
        Err(Error::LockLost)
    ));

    // A new holder takes it; the old one's heartbeat finds out and its writes keep failing.
    let new = store.lock(&holder("bob"), SHORT).await.unwrap();
    tokio::time::sleep(SHORT / 2).await;
    assert!(lock.is_lost());
    let id = sisyphus_core::state::ObjectId::of(&deployment("a", "web", "echo", 1, push).key);
    assert!(matches!(
        store.remove(&lock, &id).await,
        Err(Error::LockLost)
    ));
    assert!(matches!(lock.release().await, Err(Error::LockLost)));
    assert_eq!(
        store.lock_info().await.unwrap().unwrap().holder,
        holder("bob")
    );
    new.release().await.unwrap();

    let rows = store.pushes(10).await.unwrap();
    let unlocks: Vec<_> = rows
        .iter()
        .filter(|r| r.operation == Operation::Unlock)
        .collect();
    assert_eq!(unlocks.len(), 2, "{rows:?}");
    assert!(
        unlocks
            .iter()
            .all(|r| r.user == "carol" && r.outcome == Outcome::Succeeded)
    );
    let message = unlocks[0].message.as_deref().unwrap();
    assert!(
        message.contains("`alice`")
            && message.contains("`alice-host`")
            && message.contains("pid 4242"),
        "{message}"
    );
    assert_eq!(
        unlocks[1].message.as_deref(),
        Some("the push lock was not held")
    );
    let interrupted = rows.iter().find(|r| r.id == push).unwrap();
    assert_eq!(interrupted.outcome, Outcome::Interrupted);
    assert!(
        interrupted
            .message
            .as_deref()
            .unwrap()
            .contains("sisyphus unlock"),
        "{interrupted:?}"
    );
    store.close().await;
}

pub async fn too_short_a_lease_is_refused(db: &TestDb) {
    let store = db.open().await;
    assert!(matches!(
        store
            .lock(&holder("alice"), Duration::from_millis(10))
            .await,
        Err(Error::LeaseTooShort { .. })
    ));
    store.close().await;
}
