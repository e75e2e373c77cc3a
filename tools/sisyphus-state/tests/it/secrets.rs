//! No secret value reaches the database: a Secret still holding a value is refused, and after
//! recording masked Secrets no column of any table holds the value's bytes.

use std::collections::BTreeMap;

use serde_json::json;
use sisyphus_core::secret::{self, LAST_APPLIED_ANNOTATION};
use sisyphus_state::{DEFAULT_LEASE, Error, Operation, Outcome, PushInfo};

use crate::common::{TestDb, holder, key, recorded};

/// The secret value, in clear and as it appears base64-encoded in `data`.
const VALUE: &str = "hunter2-5ecret-value";
const VALUE_BASE64: &str = "aHVudGVyMi01ZWNyZXQtdmFsdWU=";

fn secret_object() -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "web"},
        "data": {"password": VALUE_BASE64},
        "stringData": {"also": VALUE}
    })
}

fn info() -> PushInfo {
    PushInfo {
        operation: Operation::Push,
        user: "alice".into(),
        host: "alice-host".into(),
        inputs_hash: None,
    }
}

pub async fn unmasked_secrets_are_refused(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let push = store.begin(&lock, &info()).await.unwrap();
    let generation = store.generation().await.unwrap();
    let secret_key = key("a", "v1", "Secret", Some("web"), "db");

    let clear = recorded(secret_key.clone(), &secret_object(), push);
    let error = store.record(&lock, &clear).await.unwrap_err();
    assert!(matches!(error, Error::UnmaskedSecret { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("`a` Secret web/db"), "{message}");
    assert!(
        !message.contains(VALUE) && !message.contains(VALUE_BASE64),
        "{message}"
    );

    // A mistyped kind is a Secret too.
    let mut odd = secret_object();
    odd["kind"] = json!("secret");
    let error = store
        .record(&lock, &recorded(secret_key.clone(), &odd, push))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnmaskedSecret { .. }), "{error:?}");

    // The last-applied annotation holds the object in clear, whatever its kind.
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "annotations": {LAST_APPLIED_ANNOTATION: VALUE}},
    });
    let error = store
        .record(
            &lock,
            &recorded(
                key("a", "v1", "ConfigMap", Some("web"), "c"),
                &config_map,
                push,
            ),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnmaskedSecret { .. }), "{error:?}");

    let mut not_json = clear.clone();
    not_json.applied = "{not json".into();
    let error = store.record(&lock, &not_json).await.unwrap_err();
    assert!(matches!(error, Error::AppliedNotJson { .. }), "{error:?}");

    assert_eq!(store.generation().await.unwrap(), generation);
    assert!(store.snapshot(None).await.unwrap().objects.is_empty());
    lock.release().await.unwrap();
    store.close().await;
}

pub async fn no_secret_value_in_any_column(db: &TestDb) {
    let store = db.open().await;
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    let push = store.begin(&lock, &info()).await.unwrap();
    let masked = secret::masked(&secret_object());
    assert_eq!(masked["data"]["password"], secret::MASK);
    let object = recorded(key("a", "v1", "Secret", Some("web"), "db"), &masked, push);
    store.record(&lock, &object).await.unwrap();
    // And a refused one, which must leave no trace either.
    let clear = recorded(
        key("b", "v1", "Secret", Some("web"), "db"),
        &secret_object(),
        push,
    );
    store.record(&lock, &clear).await.unwrap_err();
    store
        .finish(&lock, push, Outcome::Succeeded, &BTreeMap::new(), None)
        .await
        .unwrap();
    lock.release().await.unwrap();
    let snapshot = store.snapshot(None).await.unwrap();
    assert_eq!(snapshot.objects.len(), 1);
    let stored = snapshot
        .objects
        .values()
        .next()
        .unwrap()
        .applied_value()
        .unwrap();
    assert_eq!(secret::secret_keys(&stored), ["also", "password"]);
    store.close().await;

    let raw = db.raw().await;
    let values = raw.every_value().await;
    let tables: std::collections::BTreeSet<&str> =
        values.iter().map(|(table, _, _)| table.as_str()).collect();
    for table in ["objects", "pushes", "locks", "_sqlx_migrations"] {
        assert!(tables.contains(table), "{table} not scanned: {tables:?}");
    }
    assert!(
        values
            .iter()
            .any(|(_, _, bytes)| String::from_utf8_lossy(bytes).contains("\"****\"")),
        "the masked Secret was not found: the scan reads nothing"
    );
    for needle in [VALUE, VALUE_BASE64] {
        for (table, column, bytes) in &values {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{table}.{column} holds the secret value"
            );
        }
    }
    raw.close().await;
}
