use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sisyphus_core::Digest;
use sisyphus_core::config_image::ConfigIndex;
use sisyphus_oci::build::{self, ImageInput};
use sisyphus_oci::layer::LayerFile;
use sisyphus_registry::{Client, ClientConfig, CredentialSource, Reference};

pub fn client() -> Client {
    sisyphus_registry::install_tls_provider();
    Client::new(ClientConfig {
        insecure: vec![],
        credentials: CredentialSource::anonymous(),
    })
}

pub fn reference(s: &str) -> Reference {
    s.parse().unwrap()
}

/// A plain image layout whose file holds `text`.
pub fn binary_image(dir: &Path, text: &str) -> Digest {
    build::image(
        dir,
        &ImageInput {
            files: vec![LayerFile {
                path: "/app/echo".to_owned(),
                contents: text.as_bytes().to_vec(),
                executable: true,
            }],
            entrypoint: Some(vec!["/app/echo".to_owned()]),
            ..Default::default()
        },
    )
    .unwrap()
}

/// A config image layout with `main.star` = `source`.
pub fn config_image(dir: &Path, binary: &Digest, source: &str) -> Digest {
    let index = ConfigIndex {
        binary_digest: binary.clone(),
        binary_repository: "127.0.0.1:5000/echo".to_owned(),
        config_entrypoint: "main.star".to_owned(),
    };
    let files = BTreeMap::from([("main.star".to_owned(), source.as_bytes().to_vec())]);
    build::config_image(dir, &index, &files).unwrap()
}

pub fn no_progress() -> impl Fn(sisyphus_registry::PushEvent) + Sync {
    |_| {}
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}
