//! The reader checks the format version first and names both versions.

use prost::Message;
use sisyphus_plan::{Error, VERSION, read, wire};

#[test]
fn other_versions_are_rejected_by_name() {
    let future = wire::Plan {
        version: 2,
        ..Default::default()
    };
    let err = read(&future.encode_to_vec()).err();
    assert!(
        matches!(
            err,
            Some(Error::UnsupportedVersion {
                found: 2,
                expected: 1
            })
        ),
        "{err:?}"
    );
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "unsupported plan version 2: this sisyphus reads plan version 1"
    );
}

#[test]
fn a_file_without_a_version_is_rejected() {
    let err = read(&[]).err();
    assert!(
        matches!(
            err,
            Some(Error::UnsupportedVersion {
                found: 0,
                expected: VERSION
            })
        ),
        "{err:?}"
    );
}

#[test]
fn garbage_is_a_decode_error_and_resources_need_a_kind() {
    assert!(matches!(read(&[0xff, 0xff, 0xff]), Err(Error::Decode(_))));
    let kindless = wire::Plan {
        version: VERSION,
        resources: vec![wire::Resource {
            folder: "web".into(),
            name: "x".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let err = read(&kindless.encode_to_vec()).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("invalid plan: resource `web/x` has no kind")
    );
}
