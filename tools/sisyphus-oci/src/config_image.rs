//! Reading config images back: from an image layout, from a manifest and its blobs (as pulled
//! from a registry), or from a directory a config image was extracted to. Every path validates
//! the same things: `index.json` at the root parses as a [`ConfigIndex`], the entrypoint is one
//! of the files, every path stays inside the root, every entry is a regular UTF-8 file.

use std::collections::BTreeMap;
use std::path::Path;

use sisyphus_core::Digest;
use sisyphus_core::config_image::ConfigIndex;

use crate::layout::Layout;
use crate::path::normalize;
use crate::spec::{self, Descriptor, ImageIndex, ImageManifest, media_type};
use crate::{Error, layer};

/// The name of the index file at a config image's root.
pub const INDEX_FILE: &str = "index.json";

/// The largest config image layers accepted (16 MiB together, compressed): config images hold
/// a few Starlark files. Checked from the manifest before the layer is downloaded, so pointing
/// `config.image` at a binary image fails fast instead of pulling it into memory.
pub const MAX_LAYER_SIZE: u64 = 16 * 1024 * 1024;

/// Most layers a config image may have (the original tool's rule spreads the files over a few).
pub const MAX_LAYERS: usize = 16;

/// Most manifests an image index naming a config image may list.
pub const MAX_INDEX_MANIFESTS: usize = 16;

/// The largest manifest or index accepted (4 MiB, as the OCI distribution spec suggests).
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// What a config image's top-level manifest points to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestContents {
    /// An image manifest: its layers.
    Layers(Vec<Descriptor>),
    /// An image index: the manifests it lists (each to be fetched and checked by
    /// [`ConfigImage::index_layers`]).
    Manifests(Vec<Descriptor>),
}

/// A validated config image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigImage {
    /// The parsed `index.json`.
    pub index: ConfigIndex,
    /// `index.json` as stored in the image.
    pub index_json: String,
    /// Every other file (the Starlark sources), by config-root-relative path.
    pub files: BTreeMap<String, String>,
    /// `index.config_entrypoint`, normalized (a key of `files`).
    entrypoint: String,
}

impl ConfigImage {
    /// Validate a set of files (including `index.json`) as a config image.
    ///
    /// # Errors
    ///
    /// [`Error::MissingIndex`], [`Error::Json`] (located in `index.json`),
    /// [`Error::EntrypointNotInImage`], [`Error::NotUtf8`], [`Error::BadPath`].
    pub fn from_files(mut files: BTreeMap<String, Vec<u8>>) -> Result<ConfigImage, Error> {
        let Some(index_bytes) = files.remove(INDEX_FILE) else {
            return Err(Error::MissingIndex {
                files: list(files.keys()),
            });
        };
        let index: ConfigIndex = spec::from_json(INDEX_FILE, "config image index", &index_bytes)?;
        let index_json = String::from_utf8(index_bytes).map_err(|_| Error::NotUtf8 {
            path: INDEX_FILE.to_owned(),
        })?;
        let entrypoint = normalize_entrypoint(&index.config_entrypoint)?;
        if !files.contains_key(&entrypoint) {
            return Err(Error::EntrypointNotInImage {
                entrypoint: index.config_entrypoint.clone(),
                files: list(files.keys()),
            });
        }
        check_binary_repository(&index.binary_repository)?;
        let mut text = BTreeMap::new();
        for (path, bytes) in files {
            let s = String::from_utf8(bytes).map_err(|_| Error::NotUtf8 { path: path.clone() })?;
            text.insert(path, s);
        }
        Ok(ConfigImage {
            index,
            index_json,
            files: text,
            entrypoint,
        })
    }

    /// The entrypoint path, normalized (`./main.star` and `main.star/` give `main.star`): a key
    /// of [`ConfigImage::files`].
    pub fn entrypoint(&self) -> &str {
        &self.entrypoint
    }

    /// Check a manifest or image index as a config image's, before any other blob is fetched:
    /// the bytes match `digest`; a manifest's layers are checked by
    /// [`ConfigImage::config_layers`]; an index must list 1 to [`MAX_INDEX_MANIFESTS`] image
    /// manifests (not indexes) of at most [`MAX_MANIFEST_SIZE`] bytes each.
    ///
    /// # Errors
    ///
    /// [`Error::DigestMismatch`], [`Error::AmbiguousIndex`], and what
    /// [`ConfigImage::config_layers`] checks.
    pub fn inspect_manifest(
        digest: &Digest,
        manifest_bytes: &[u8],
    ) -> Result<ManifestContents, Error> {
        spec::verify_digest(&format!("manifest `{digest}`"), digest, manifest_bytes)?;
        let declared = spec::declared_media_type(manifest_bytes);
        if !declared.as_deref().is_some_and(media_type::is_index) {
            return Ok(ManifestContents::Layers(ConfigImage::config_layers(
                digest,
                manifest_bytes,
            )?));
        }
        let index: ImageIndex =
            spec::from_json(&format!("index `{digest}`"), "image index", manifest_bytes)?;
        let ambiguous = |reason: String| Error::AmbiguousIndex {
            digest: digest.clone(),
            reason,
        };
        if index.manifests.is_empty() || index.manifests.len() > MAX_INDEX_MANIFESTS {
            return Err(ambiguous(format!(
                "expected 1 to {MAX_INDEX_MANIFESTS} manifests, found {}",
                index.manifests.len()
            )));
        }
        for m in &index.manifests {
            if !media_type::is_manifest(&m.media_type) {
                return Err(ambiguous(format!(
                    "expected image manifests, found `{}` of media type `{}`",
                    m.digest, m.media_type
                )));
            }
            if m.size > MAX_MANIFEST_SIZE {
                return Err(ambiguous(format!(
                    "manifest `{}` has {} bytes, expected at most {MAX_MANIFEST_SIZE}",
                    m.digest, m.size
                )));
            }
        }
        Ok(ManifestContents::Manifests(index.manifests))
    }

    /// Check a manifest as a config image's and return its layers: a single image manifest
    /// (not an index) with 1 to [`MAX_LAYERS`] layers of a tar or tar+gzip media type, of at
    /// most [`MAX_LAYER_SIZE`] bytes together.
    ///
    /// # Errors
    ///
    /// [`Error::MediaType`], [`Error::Json`], [`Error::LayerCount`], [`Error::LayerTooLarge`].
    pub fn config_layers(digest: &Digest, manifest_bytes: &[u8]) -> Result<Vec<Descriptor>, Error> {
        if let Some(declared) = spec::declared_media_type(manifest_bytes)
            && !media_type::is_manifest(&declared)
        {
            return Err(Error::MediaType {
                what: format!("config image `{digest}`"),
                expected: format!(
                    "`{}` or an index of one config image",
                    media_type::OCI_MANIFEST
                ),
                found: declared,
            });
        }
        let manifest: ImageManifest = spec::from_json(
            &format!("manifest `{digest}`"),
            "image manifest",
            manifest_bytes,
        )?;
        if manifest.layers.is_empty() || manifest.layers.len() > MAX_LAYERS {
            return Err(Error::LayerCount {
                digest: digest.clone(),
                found: manifest.layers.len(),
            });
        }
        let mut total: u64 = 0;
        for layer in &manifest.layers {
            if !matches!(
                layer.media_type.as_str(),
                media_type::OCI_LAYER_TAR_GZIP
                    | media_type::DOCKER_LAYER_TAR_GZIP
                    | media_type::OCI_LAYER_TAR
            ) {
                return Err(Error::MediaType {
                    what: format!("layer `{}` of config image `{digest}`", layer.digest),
                    expected: format!("`{}`", media_type::OCI_LAYER_TAR_GZIP),
                    found: layer.media_type.clone(),
                });
            }
            total = total.saturating_add(layer.size);
            if total > MAX_LAYER_SIZE {
                return Err(Error::LayerTooLarge {
                    digest: digest.clone(),
                    layer: layer.digest.clone(),
                    size: total,
                    limit: MAX_LAYER_SIZE,
                });
            }
        }
        Ok(manifest.layers)
    }

    /// The layers of the config image an index names, from its manifests (as listed by
    /// [`ConfigImage::inspect_manifest`], each with its bytes): every manifest must carry the
    /// same layers (one config image for every platform).
    ///
    /// # Errors
    ///
    /// Digest and size mismatches, [`Error::AmbiguousIndex`], and what
    /// [`ConfigImage::config_layers`] checks.
    pub fn index_layers(
        index: &Digest,
        manifests: &[(Descriptor, Vec<u8>)],
    ) -> Result<Vec<Descriptor>, Error> {
        let mut found: Option<(Digest, Vec<Descriptor>)> = None;
        for (descriptor, bytes) in manifests {
            descriptor.verify(&format!("manifest `{}`", descriptor.digest), bytes)?;
            let layers = ConfigImage::config_layers(&descriptor.digest, bytes)?;
            match &found {
                None => found = Some((descriptor.digest.clone(), layers)),
                Some((first, seen)) => {
                    let digests = |l: &[Descriptor]| -> Vec<Digest> {
                        l.iter().map(|d| d.digest.clone()).collect()
                    };
                    if digests(seen) != digests(&layers) {
                        return Err(Error::AmbiguousIndex {
                            digest: index.clone(),
                            reason: format!(
                                "manifests `{first}` and `{}` carry different layers, expected \
                                 one config image for every platform",
                                descriptor.digest
                            ),
                        });
                    }
                }
            }
        }
        found
            .map(|(_, layers)| layers)
            .ok_or_else(|| Error::AmbiguousIndex {
                digest: index.clone(),
                reason: "expected 1 or more manifests, found none".to_owned(),
            })
    }

    /// Read a config image from its layers (as returned by [`ConfigImage::config_layers`]),
    /// merged in order; each blob is checked against its descriptor, and all of them together
    /// against the [`layer::Budget`] of one config image.
    ///
    /// # Errors
    ///
    /// Digest or size mismatches, broken or ambiguous archives, limits, and everything
    /// [`ConfigImage::from_files`] checks.
    pub fn from_layers(layers: &[Descriptor], blobs: &[Vec<u8>]) -> Result<ConfigImage, Error> {
        let mut files = BTreeMap::new();
        let mut budget = layer::Budget::default();
        for (layer, bytes) in layers.iter().zip(blobs) {
            layer.verify(&format!("layer `{}`", layer.digest), bytes)?;
            let gzip = layer.media_type != media_type::OCI_LAYER_TAR;
            layer::read_files_within(&layer.digest, bytes, gzip, &mut files, &mut budget)?;
        }
        ConfigImage::from_files(files)
    }

    /// Read a config image from one layer: [`ConfigImage::from_layers`] of one.
    ///
    /// # Errors
    ///
    /// See [`ConfigImage::from_layers`].
    pub fn from_layer(layer: &Descriptor, bytes: &[u8]) -> Result<ConfigImage, Error> {
        ConfigImage::from_layers(std::slice::from_ref(layer), &[bytes.to_vec()])
    }

    /// Read a config image from a manifest's (or index's) bytes, fetching the other blobs with
    /// `blob`: [`ConfigImage::inspect_manifest`], the index's manifests and
    /// [`ConfigImage::index_layers`] when it is an index, then [`ConfigImage::from_layers`].
    ///
    /// # Errors
    ///
    /// Everything those check; `blob`'s own errors are passed through.
    pub fn from_manifest<E: From<Error>>(
        digest: &Digest,
        manifest_bytes: &[u8],
        mut blob: impl FnMut(&Descriptor) -> Result<Vec<u8>, E>,
    ) -> Result<ConfigImage, E> {
        let layers = match ConfigImage::inspect_manifest(digest, manifest_bytes)? {
            ManifestContents::Layers(layers) => layers,
            ManifestContents::Manifests(list) => {
                let mut manifests = Vec::new();
                for m in list {
                    let bytes = blob(&m)?;
                    manifests.push((m, bytes));
                }
                ConfigImage::index_layers(digest, &manifests)?
            }
        };
        let mut blobs = Vec::new();
        for layer in &layers {
            blobs.push(blob(layer)?);
        }
        Ok(ConfigImage::from_layers(&layers, &blobs)?)
    }

    /// Read the config image in an image layout directory (its single manifest). Returns the
    /// manifest digest too.
    ///
    /// # Errors
    ///
    /// Layout errors and everything [`ConfigImage::from_manifest`] checks.
    pub fn read_layout(dir: &Path) -> Result<(Digest, ConfigImage), Error> {
        let layout = Layout::open(dir)?;
        let d = layout.single()?.clone();
        let bytes = layout.read_blob(&d)?;
        let image = ConfigImage::from_manifest(&d.digest, &bytes, |l| layout.read_blob(l))?;
        Ok((d.digest, image))
    }

    /// Read a config image extracted to `dir` (by [`ConfigImage::write_dir`]).
    ///
    /// # Errors
    ///
    /// Symlinks or other non-regular files, I/O errors, and everything
    /// [`ConfigImage::from_files`] checks.
    pub fn read_dir(dir: &Path) -> Result<ConfigImage, Error> {
        let mut files = BTreeMap::new();
        collect(dir, "", &mut files, &|_| true, false)?;
        ConfigImage::from_files(files)
    }

    /// Write the image's files (and `index.json`) under `dir`, which must exist.
    ///
    /// # Errors
    ///
    /// [`Error::File`].
    pub fn write_dir(&self, dir: &Path) -> Result<(), Error> {
        let all = std::iter::once((INDEX_FILE, self.index_json.as_str()))
            .chain(self.files.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for (path, text) in all {
            let target = dir.join(path);
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent).map_err(Error::File)?;
            }
            fs_err::write(&target, text).map_err(Error::File)?;
        }
        Ok(())
    }

    /// Every path in the image, `index.json` first.
    pub fn paths(&self) -> Vec<&str> {
        std::iter::once(INDEX_FILE)
            .chain(self.files.keys().map(String::as_str))
            .collect()
    }
}

/// Collect the files of a config root directory for `sisyphus image build`: every `.star` file
/// under `root`, skipping directories whose name starts with `.` and Bazel's `bazel-*` symlinks.
///
/// # Errors
///
/// Symlinks or special files among the `.star` files, I/O errors.
pub fn collect_config_root(root: &Path) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let mut files = BTreeMap::new();
    collect(root, "", &mut files, &|p| p.ends_with(".star"), true)?;
    Ok(files)
}

fn collect(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
    want: &dyn Fn(&str) -> bool,
    skip_hidden: bool,
) -> Result<(), Error> {
    let entries = fs_err::read_dir(dir).map_err(Error::File)?;
    for entry in entries {
        let entry = entry.map_err(Error::File)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let file_type = entry.file_type().map_err(Error::File)?;
        if file_type.is_dir() {
            if !skip_hidden || !name.starts_with('.') {
                collect(&entry.path(), &rel, files, want, skip_hidden)?;
            }
        } else if !want(&rel) || (skip_hidden && prefix.is_empty() && name.starts_with("bazel-")) {
            continue;
        } else if file_type.is_file() {
            let bytes = fs_err::read(entry.path()).map_err(Error::File)?;
            files.insert(rel, bytes);
        } else {
            return Err(Error::NotRegularFile {
                path: rel,
                kind: if file_type.is_symlink() {
                    "symbolic link".to_owned()
                } else {
                    "special file".to_owned()
                },
            });
        }
    }
    Ok(())
}

/// Refuses a `binary_repository` that is not a plain, registry-qualified OCI repository
/// (`registry.example/team/echo`): render would otherwise emit it as a container image.
fn check_binary_repository(text: &str) -> Result<(), Error> {
    let bad = |reason: &str| Error::BadBinaryRepository {
        found: text.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed: crate::reference::Reference = text.parse().map_err(
        |e: crate::reference::ReferenceError| Error::BadBinaryRepository {
            found: text.to_owned(),
            reason: e.reason,
        },
    )?;
    if parsed.tag.is_some() || parsed.digest.is_some() {
        return Err(bad(
            "expected a repository without tag or digest (the digest is `binary_digest`)",
        ));
    }
    let first = text.split('/').next().unwrap_or("");
    let qualified = text.contains('/')
        && (first.contains('.')
            || first.contains(':')
            || first == "localhost"
            || first.starts_with('['));
    if !qualified {
        return Err(bad(
            "expected a repository with its registry, e.g. `registry.example/team/echo`",
        ));
    }
    Ok(())
}

/// The entrypoint as a normalized root-relative path.
pub(crate) fn normalize_entrypoint(entrypoint: &str) -> Result<String, Error> {
    normalize(entrypoint).map_err(|reason| Error::BadPath {
        path: entrypoint.to_owned(),
        context: "in `index.json` field `config_entrypoint`".to_owned(),
        reason,
    })
}

fn list<'a>(paths: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<String> = paths.map(|p| format!("`{p}`")).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect()
    }

    const DIGEST: &str = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";

    #[test]
    fn missing_index_lists_the_files() {
        let err = ConfigImage::from_files(files(&[("main.star", "")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the config image has no `index.json` at its root (files: `main.star`)"
        );
    }

    #[test]
    fn bad_index_json_is_located() {
        let index = format!("{{\n  \"binary_digest\": \"{DIGEST}\",\n  \"binary_repo\": \"x\"\n}}");
        let err = ConfigImage::from_files(files(&[("index.json", &index)])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "index.json:3:15: invalid config image index"
        );
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.starts_with("unknown field `binary_repo`"), "{cause}");
        assert!(
            !cause.contains("line"),
            "the position is said once: {cause}"
        );
    }

    #[test]
    fn binary_image_is_a_synonym_and_entrypoint_may_start_with_dot_slash() {
        let index = format!(
            r#"{{"binary_digest":"{DIGEST}","binary_image":"localhost:5000/x","config_entrypoint":"./main.star"}}"#
        );
        let image =
            ConfigImage::from_files(files(&[("index.json", &index), ("main.star", "")])).unwrap();
        assert_eq!(image.index.binary_repository, "localhost:5000/x");
        assert_eq!(image.entrypoint(), "main.star");
    }

    #[test]
    fn entrypoint_escaping_the_root_is_refused() {
        let index = format!(
            r#"{{"binary_digest":"{DIGEST}","binary_repository":"x","config_entrypoint":"../main.star"}}"#
        );
        let err = ConfigImage::from_files(files(&[("index.json", &index)])).unwrap_err();
        assert!(
            err.to_string().contains("`..` would escape the root"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_index_is_not_a_config_image() {
        let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let err = ConfigImage::from_manifest::<Error>(&crate::sha256(bytes), bytes, |_| {
            panic!("nothing is fetched")
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is not one config image: expected 1 to 16 manifests, found 0"),
            "{err}"
        );
    }

    fn manifest(layers: &[(&str, u64)]) -> Vec<u8> {
        let layers: Vec<serde_json::Value> = layers
            .iter()
            .map(|(media_type, size)| {
                serde_json::json!({"mediaType": media_type, "digest": DIGEST, "size": size})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_MANIFEST,
            "config": {"mediaType": media_type::OCI_CONFIG, "digest": DIGEST, "size": 2},
            "layers": layers,
        }))
        .unwrap()
    }

    #[test]
    fn manifests_are_checked_before_any_blob_is_fetched() {
        let fetch = |_: &Descriptor| -> Result<Vec<u8>, Error> { panic!("nothing is fetched") };
        let two = manifest(&[(media_type::OCI_LAYER_TAR_GZIP, 10); 17]);
        let err = ConfigImage::from_manifest(&crate::sha256(&two), &two, fetch).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("has 17 layers, expected 1 to 16 (is it a binary image?)"),
            "{err}"
        );
        let big = manifest(&[(media_type::OCI_LAYER_TAR_GZIP, MAX_LAYER_SIZE + 1)]);
        let err = ConfigImage::from_manifest(&crate::sha256(&big), &big, fetch).unwrap_err();
        assert!(
            matches!(err, Error::LayerTooLarge { size, .. } if size == MAX_LAYER_SIZE + 1),
            "{err}"
        );
        let odd = manifest(&[("application/octet-stream", 10)]);
        let err = ConfigImage::from_manifest(&crate::sha256(&odd), &odd, fetch).unwrap_err();
        assert!(matches!(err, Error::MediaType { .. }), "{err}");
    }

    #[test]
    fn unreadable_directories_are_named_once() {
        let err = collect_config_root(Path::new("/nonexistent/root")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to read directory `/nonexistent/root`: No such file or directory (os error 2)"
        );
        assert!(std::error::Error::source(&err).is_none());
    }

    #[test]
    fn manifest_bytes_are_checked_against_their_digest() {
        let bytes = br#"{"schemaVersion":2}"#;
        let wrong: Digest = DIGEST.parse().unwrap();
        let err = ConfigImage::from_manifest::<Error>(&wrong, bytes, |_| Ok(vec![])).unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    }
}
