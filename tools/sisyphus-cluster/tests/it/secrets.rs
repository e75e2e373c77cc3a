use serde_json::json;
use sisyphus_cluster::Error;

use crate::common::{connect, core_api, hand_edit, namespace, report, secret};

/// base64 of a text.
fn b64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn create_then_add_only_missing_keys_and_keep_hand_edited_values() {
    let cluster = connect().await;
    let ns = namespace("secrets").await;
    let desired = secret(
        &ns,
        "db",
        json!({"user": b64("admin")}),
        json!({"password": "from-files"}),
    );
    let created = cluster.create_secret(&desired, false).await.unwrap();
    assert!(!created.uid.is_empty());

    let error = cluster.create_secret(&desired, false).await.err().unwrap();
    assert!(
        matches!(error, Error::AlreadyExists { .. }),
        "{}",
        report(&error)
    );
    assert_eq!(
        report(&error),
        format!("failed to create `cluster-it` v1 Secret {ns}/db: it already exists")
    );

    let api = core_api(&ns, "Secret", "secrets").await;
    hand_edit(
        &api,
        "db",
        json!({"data": {"password": b64("changed-by-hand")}}),
    )
    .await;

    // Nothing new: no write, even though the files' password differs from the live one.
    let before = cluster.requests();
    let same = cluster.add_secret_keys(&desired, false).await.unwrap();
    assert!(same.added.is_empty() && !same.written);
    assert_eq!(cluster.requests().since(before).writes, 0);

    let mut more = desired.clone();
    more["data"]["token"] = json!(b64("new-token"));
    more["stringData"]["extra"] = json!("plain");
    more["metadata"]["labels"] = json!({"app.kubernetes.io/managed-by": "sisyphus"});

    let dry = cluster.add_secret_keys(&more, true).await.unwrap();
    assert_eq!(dry.added, ["extra", "token"]);
    assert_eq!(data_of(&api).await.len(), 2, "a dry run adds nothing");

    let update = cluster.add_secret_keys(&more, false).await.unwrap();
    assert_eq!(update.added, ["extra", "token"]);
    assert!(update.written);
    assert_ne!(update.applied.resource_version, created.resource_version);
    let data = data_of(&api).await;
    assert_eq!(data["password"], b64("changed-by-hand"));
    assert_eq!(data["user"], b64("admin"));
    assert_eq!(data["token"], b64("new-token"));
    assert_eq!(data["extra"], b64("plain"));
    let live = api.get("db").await.unwrap();
    assert_eq!(
        live.metadata.labels.unwrap()["app.kubernetes.io/managed-by"],
        "sisyphus"
    );
}

async fn data_of(
    api: &kube::Api<kube::api::DynamicObject>,
) -> serde_json::Map<String, serde_json::Value> {
    let live = api.get("db").await.unwrap();
    live.data["data"].as_object().unwrap().clone()
}

#[tokio::test]
async fn concurrent_hand_edits_during_adds_are_never_overwritten() {
    let cluster = connect().await;
    let ns = namespace("secrets-race").await;
    let base = secret(&ns, "db", json!({}), json!({"seed": "0"}));
    cluster.create_secret(&base, false).await.unwrap();
    let api = core_api(&ns, "Secret", "secrets").await;
    let rounds = 15;
    let editor = {
        let api = api.clone();
        tokio::spawn(async move {
            for i in 0..rounds {
                hand_edit(&api, "db", json!({"data": {format!("hand-{i}"): b64("h"), "seed": b64(&format!("hand-{i}"))}})).await;
            }
        })
    };
    let mut desired = base.clone();
    for i in 0..rounds {
        desired["stringData"][format!("ours-{i}")] = json!("o");
        desired["stringData"]["seed"] = json!("from-files");
        cluster.add_secret_keys(&desired, false).await.unwrap();
    }
    editor.await.unwrap();
    let data = data_of(&api).await;
    for i in 0..rounds {
        assert!(data.contains_key(&format!("ours-{i}")), "{:?}", data.keys());
        assert!(data.contains_key(&format!("hand-{i}")), "{:?}", data.keys());
    }
    assert_eq!(data["seed"], b64(&format!("hand-{}", rounds - 1)));
    let counts = cluster.requests();
    eprintln!(
        "race: {rounds} adds took {} writes (retries: {})",
        counts.writes,
        counts.writes.saturating_sub(1 + rounds)
    );
}

#[tokio::test]
async fn server_refusals_about_secrets_carry_no_value() {
    let cluster = connect().await;
    let ns = namespace("secrets-invalid").await;
    let bad = secret(&ns, "bad", json!({}), json!({"bad key!": "hunter2-value"}));
    let error = cluster.create_secret(&bad, false).await.err().unwrap();
    let message = report(&error);
    assert_eq!(error.code(), Some(422), "{message}");
    assert!(message.contains("bad key!"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");

    let missing = secret(&ns, "absent", json!({}), json!({"a": "hunter2-value"}));
    let error = cluster
        .add_secret_keys(&missing, false)
        .await
        .err()
        .unwrap();
    assert!(error.is_not_found(), "{}", report(&error));
}

#[test]
fn b64_matches_the_reference() {
    assert_eq!(b64("admin"), "YWRtaW4=");
    assert_eq!(b64("hunter2"), "aHVudGVyMg==");
    assert_eq!(b64("abc"), "YWJj");
}

#[tokio::test]
async fn get_masks_secret_values_and_keeps_key_names() {
    let cluster = connect().await;
    let ns = namespace("secrets-get").await;
    let desired = secret(
        &ns,
        "db",
        json!({"user": b64("admin-name")}),
        json!({"password": "hunter2-value"}),
    );
    cluster.create_secret(&desired, false).await.unwrap();
    let live = cluster
        .get(&cluster.key_of(&desired).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live["data"], json!({"password": "****", "user": "****"}));
    assert_eq!(live["type"], "Opaque");
    let text = live.to_string();
    assert!(
        !text.contains("hunter2")
            && !text.contains(&b64("hunter2-value"))
            && !text.contains(&b64("admin-name")),
        "{text}"
    );
}
