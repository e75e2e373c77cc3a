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
use crate::spec::{self, Descriptor, ImageManifest, media_type};
use crate::{Error, layer};

/// The name of the index file at a config image's root.
pub const INDEX_FILE: &str = "index.json";

/// The largest config image layer accepted (16 MiB, compressed): config images hold a few
/// Starlark files. Checked from the manifest before the layer is downloaded, so pointing
/// `config.image` at a binary image fails fast instead of pulling it into memory.
pub const MAX_LAYER_SIZE: u64 = 16 * 1024 * 1024;

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

    /// Check a manifest as a config image's, before any blob is fetched, and return its one
    /// layer: the bytes match `digest`, it is a single image manifest (not an index), it has
    /// exactly one layer, of a tar or tar+gzip media type, of at most [`MAX_LAYER_SIZE`] bytes.
    ///
    /// # Errors
    ///
    /// [`Error::DigestMismatch`], [`Error::MediaType`], [`Error::Json`], [`Error::LayerCount`],
    /// [`Error::LayerTooLarge`].
    pub fn config_layer(digest: &Digest, manifest_bytes: &[u8]) -> Result<Descriptor, Error> {
        spec::verify_digest(&format!("manifest `{digest}`"), digest, manifest_bytes)?;
        if let Some(declared) = spec::declared_media_type(manifest_bytes)
            && !media_type::is_manifest(&declared)
        {
            return Err(Error::MediaType {
                what: format!("config image `{digest}`"),
                expected: format!(
                    "`{}` (config images are single manifests)",
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
        let [layer] = manifest.layers.as_slice() else {
            return Err(Error::LayerCount {
                digest: digest.clone(),
                found: manifest.layers.len(),
            });
        };
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
        if layer.size > MAX_LAYER_SIZE {
            return Err(Error::LayerTooLarge {
                digest: digest.clone(),
                layer: layer.digest.clone(),
                size: layer.size,
                limit: MAX_LAYER_SIZE,
            });
        }
        Ok(layer.clone())
    }

    /// Read a config image from its layer (as returned by [`ConfigImage::config_layer`]); the
    /// bytes are checked against the descriptor.
    ///
    /// # Errors
    ///
    /// Digest or size mismatches, broken archives, and everything [`ConfigImage::from_files`]
    /// checks.
    pub fn from_layer(layer: &Descriptor, bytes: &[u8]) -> Result<ConfigImage, Error> {
        layer.verify(&format!("layer `{}`", layer.digest), bytes)?;
        let gzip = layer.media_type != media_type::OCI_LAYER_TAR;
        let mut files = BTreeMap::new();
        layer::read_files(&layer.digest, bytes, gzip, &mut files)?;
        ConfigImage::from_files(files)
    }

    /// Read a config image from a manifest's bytes, fetching its layer with `blob`: the checks
    /// of [`ConfigImage::config_layer`], then [`ConfigImage::from_layer`].
    ///
    /// # Errors
    ///
    /// Everything those two check; `blob`'s own errors are passed through.
    pub fn from_manifest<E: From<Error>>(
        digest: &Digest,
        manifest_bytes: &[u8],
        blob: impl FnOnce(&Descriptor) -> Result<Vec<u8>, E>,
    ) -> Result<ConfigImage, E> {
        let layer = ConfigImage::config_layer(digest, manifest_bytes)?;
        let bytes = blob(&layer)?;
        Ok(ConfigImage::from_layer(&layer, &bytes)?)
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
        collect(dir, "", &mut files, &|_| true)?;
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
    collect(root, "", &mut files, &|p| p.ends_with(".star"))?;
    Ok(files)
}

fn collect(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
    want: &dyn Fn(&str) -> bool,
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
            if !name.starts_with('.') {
                collect(&entry.path(), &rel, files, want)?;
            }
        } else if !want(&rel) || (prefix.is_empty() && name.starts_with("bazel-")) {
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
    fn an_index_is_not_a_config_image() {
        let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let err = ConfigImage::from_manifest::<Error>(&crate::sha256(bytes), bytes, |_| {
            panic!("nothing is fetched")
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("config images are single manifests"),
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
        let two = manifest(&[
            (media_type::OCI_LAYER_TAR_GZIP, 10),
            (media_type::OCI_LAYER_TAR_GZIP, 10),
        ]);
        let err = ConfigImage::from_manifest(&crate::sha256(&two), &two, fetch).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("has 2 layers, expected exactly one (is it a binary image?)"),
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
