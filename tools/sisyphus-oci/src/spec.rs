//! The OCI JSON documents this crate writes and reads: descriptors, image manifests, image
//! indexes, platforms, media types.
//!
//! Our own small types rather than `oci-spec`'s: maps are `BTreeMap`s so serialization is
//! byte-stable, and the packer builds fast. Unknown fields are ignored when reading.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sisyphus_core::Digest;

use crate::Error;

/// Media types.
pub mod media_type {
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// OCI gzip-compressed tar layer.
    pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// OCI uncompressed tar layer.
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    /// Docker image manifest, schema 2.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list.
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker gzip-compressed tar layer.
    pub const DOCKER_LAYER_TAR_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// Whether `media_type` names a single-image manifest (OCI or Docker).
    pub fn is_manifest(media_type: &str) -> bool {
        media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
    }

    /// Whether `media_type` names an index (OCI image index or Docker manifest list).
    pub fn is_index(media_type: &str) -> bool {
        media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
    }
}

/// The `mediaType` of an `oci-layout` file's content.
pub const OCI_LAYOUT_FILE: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;

/// A content descriptor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type of the referenced content.
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// The platform, in image indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// A descriptor of `bytes` with `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            digest: crate::sha256(bytes),
            size: bytes.len() as u64,
            platform: None,
            annotations: BTreeMap::new(),
        }
    }

    /// Check that `bytes` are what this descriptor names (digest and size).
    ///
    /// # Errors
    ///
    /// [`Error::DigestMismatch`] or [`Error::SizeMismatch`], naming `what`.
    pub fn verify(&self, what: &str, bytes: &[u8]) -> Result<(), Error> {
        verify_digest(what, &self.digest, bytes)?;
        if self.size != bytes.len() as u64 {
            return Err(Error::SizeMismatch {
                what: what.to_owned(),
                expected: self.size,
                actual: bytes.len() as u64,
            });
        }
        Ok(())
    }
}

/// Check that `bytes` hash to `expected`.
///
/// # Errors
///
/// [`Error::DigestMismatch`] naming `what`.
pub fn verify_digest(what: &str, expected: &Digest, bytes: &[u8]) -> Result<(), Error> {
    let actual = crate::sha256(bytes);
    if &actual != expected {
        return Err(Error::DigestMismatch {
            what: what.to_owned(),
            expected: expected.clone(),
            actual,
        });
    }
    Ok(())
}

/// An OS/architecture pair (with optional variant).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture, e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// CPU variant, e.g. `v8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok_part = |p: &&str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(ok_part) {
            return Err(Error::BadPlatform {
                found: s.to_owned(),
            });
        }
        Ok(Platform {
            os: parts[0].to_owned(),
            architecture: parts[1].to_owned(),
            variant: parts.get(2).map(|v| (*v).to_owned()),
        })
    }
}

/// An image manifest (OCI, or Docker schema 2 which has the same shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest's media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The image config.
    pub config: Descriptor,
    /// The layers, base first.
    pub layers: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image index (OCI, or a Docker manifest list which has the same shape); also the
/// `index.json` of an image layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// The index's media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The manifests it lists.
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// Serialize a document the one way we always do: compact JSON, fields in declaration order,
/// map keys sorted.
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Our spec types and `serde_json::Value`s serialize infallibly (string keys only).
    serde_json::to_vec(value).unwrap_or_else(|e| unreachable!("serializing OCI JSON: {e}"))
}

/// Parse `bytes` (from `file`) as a `T`, with a located error.
///
/// # Errors
///
/// [`Error::Json`] with line and column.
pub fn from_json<T: serde::de::DeserializeOwned>(
    file: &str,
    what: &'static str,
    bytes: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::json(file, what, e))
}

/// The media type a manifest says it has, read from its `mediaType` field.
pub fn declared_media_type(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    let probe: Probe = serde_json::from_slice(bytes).ok()?;
    probe.media_type.or_else(|| {
        probe
            .manifests
            .map(|_| media_type::OCI_INDEX.to_owned())
            .or_else(|| Some(media_type::OCI_MANIFEST.to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_and_print() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(p.variant.as_deref(), Some("v8"));
        assert_eq!(p.to_string(), "linux/arm64/v8");
        for bad in ["linux", "linux/", "a/b/c/d", "linux/amd 64"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptor_json_is_stable() {
        let d = Descriptor::of(media_type::OCI_CONFIG, b"{}");
        assert_eq!(
            String::from_utf8(to_json(&d)).unwrap(),
            r#"{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}"#
        );
    }

    #[test]
    fn json_errors_are_located() {
        let err =
            from_json::<ImageIndex>("index.json", "image index", b"{\n  \"schemaVersion\": x")
                .unwrap_err();
        assert!(err.to_string().starts_with("index.json:2:"), "{err}");
    }
}
