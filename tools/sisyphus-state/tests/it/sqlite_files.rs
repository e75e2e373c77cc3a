//! SQLite files: created if missing, but never their directory; a file that is not an SQLite
//! database is refused by name and left as it was; the in-memory database for tests.

use sisyphus_state::{DEFAULT_LEASE, DatabaseUrl, Error, Store};

use crate::common::{deployment, holder};

#[tokio::test]
async fn creates_a_missing_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = Store::open(&DatabaseUrl::sqlite_file(&path)).await.unwrap();
    assert!(path.is_file());
    assert_eq!(
        store.url().to_string(),
        format!("sqlite://{}", path.display())
    );
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    store
        .record(&lock, &deployment("a", "web", "echo", 1, 1))
        .await
        .unwrap();
    lock.release().await.unwrap();
    store.close().await;
    // WAL mode is recorded in the file header (bytes 18 and 19 are 2 for WAL).
    let header = std::fs::read(&path).unwrap();
    assert_eq!(&header[..16], b"SQLite format 3\0");
    assert_eq!((header[18], header[19]), (2, 2));
}

#[tokio::test]
async fn a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("state.db");
    let error = Store::open(&DatabaseUrl::sqlite_file(&path))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::MissingDirectory { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("`{}`", path.display())),
        "{message}"
    );
    assert!(message.contains("does not exist"), "{message}");
    assert!(!dir.path().join("missing").exists());
}

#[tokio::test]
async fn a_directory_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let error = Store::open(&DatabaseUrl::sqlite_file(dir.path()))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotAFile { .. }), "{error:?}");
}

#[tokio::test]
async fn a_corrupt_file_is_refused_by_name_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    let error = Store::open(&url).await.unwrap_err();
    assert!(matches!(error, Error::CorruptSqlite { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("`{}`", path.display())),
        "{message}"
    );
    assert!(message.contains("not an SQLite database"), "{message}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file was changed"
    );
    let mut entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    entries.sort();
    assert_eq!(entries, ["state.db"], "files were left beside it");

    // A damaged database (valid header, garbage pages) is refused too.
    let good = dir.path().join("good.db");
    Store::open(&DatabaseUrl::sqlite_file(&good))
        .await
        .unwrap()
        .close()
        .await;
    let mut bytes = std::fs::read(&good).unwrap();
    for byte in bytes.iter_mut().skip(100) {
        *byte = 0xA5;
    }
    std::fs::write(&good, &bytes).unwrap();
    let error = Store::open(&DatabaseUrl::sqlite_file(&good))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::CorruptSqlite { .. } | Error::Migrate { .. } | Error::Query { .. }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&good.display().to_string())
            || matches!(error, Error::Query { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn in_memory_databases_work_and_are_private() {
    let url = DatabaseUrl::parse("sqlite::memory:").unwrap();
    let store = Store::open(&url).await.unwrap();
    let lock = store.lock(&holder("alice"), DEFAULT_LEASE).await.unwrap();
    store
        .record(&lock, &deployment("a", "web", "echo", 1, 1))
        .await
        .unwrap();
    assert_eq!(store.snapshot(None).await.unwrap().objects.len(), 1);
    let other = Store::open(&url).await.unwrap();
    assert!(other.snapshot(None).await.unwrap().objects.is_empty());
    lock.release().await.unwrap();
}
