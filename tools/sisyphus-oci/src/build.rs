//! Building image layouts: config images, plain one-layer images and image indexes.
//!
//! Every function here is a pure function of its inputs: the bytes of the files, the
//! arguments, and the blobs of the layouts it reads. No clock, user, umask or host platform.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sisyphus_core::Digest;
use sisyphus_core::config_image::ConfigIndex;

use crate::layer::{self, LayerFile};
use crate::layout::{Layout, LayoutWriter};
use crate::path::normalize;
use crate::reference::Reference;
use crate::spec::{self, Descriptor, ImageIndex, ImageManifest, Platform, media_type};
use crate::{ConfigImage, Error};

/// The platform written into config images' configs. Config images hold only text and are
/// pulled by digest, never by platform, so they claim no real architecture: `unknown` (the
/// value BuildKit uses for non-runnable attestation manifests).
pub const CONFIG_IMAGE_ARCHITECTURE: &str = "unknown";
/// The OS written into config images' configs.
pub const CONFIG_IMAGE_OS: &str = "linux";

/// The digest a binary image layout points to: its `index.json`'s single entry, which must be an
/// image manifest or an image index.
///
/// # Errors
///
/// Not a layout, zero or several entries, or an entry that is neither a manifest nor an index.
pub fn layout_digest(dir: &Path) -> Result<Digest, Error> {
    let layout = Layout::open(dir)?;
    let d = layout.single()?;
    if !media_type::is_manifest(&d.media_type) && !media_type::is_index(&d.media_type) {
        return Err(Error::MediaType {
            what: format!("the entry of image layout `{}`", dir.display()),
            expected: "an image manifest or index".to_owned(),
            found: d.media_type.clone(),
        });
    }
    Ok(d.digest.clone())
}

/// The [`ConfigIndex`] for a config image: the binary image's digest from exactly one of
/// `binary_digest` (`sha256:...`) and `binary_image` (a layout, see [`layout_digest`]), its
/// repository (fully qualified: `busybox` becomes `docker.io/library/busybox`, so podman and
/// clusters never guess the registry; no tag or digest) and the entrypoint. Shared by
/// `sisyphus-packer config-image` and `sisyphus image build`.
///
/// # Errors
///
/// [`Error::BadArgument`] for a bad digest, [`Error::BinarySource`] unless exactly one source
/// is given,
/// [`Error::BinaryImage`] for an unusable layout, [`Error::BinaryRepository`].
pub fn config_index(
    binary_digest: Option<&str>,
    binary_image: Option<&Path>,
    binary_repository: &str,
    entrypoint: &str,
) -> Result<ConfigIndex, Error> {
    let binary_digest = match (binary_digest, binary_image) {
        (Some(text), None) => text.parse().map_err(|_| Error::BadArgument {
            what: "--binary-digest",
            found: text.to_owned(),
            expected: "`sha256:` followed by 64 lowercase hex digits",
        })?,
        (None, Some(dir)) => layout_digest(dir).map_err(|source| Error::BinaryImage {
            dir: dir.to_owned(),
            source: Box::new(source),
        })?,
        _ => return Err(Error::BinarySource),
    };
    let repository_err = |reason: String| Error::BinaryRepository {
        found: binary_repository.to_owned(),
        reason,
    };
    let repo: Reference = binary_repository
        .parse()
        .map_err(|e: crate::reference::ReferenceError| repository_err(e.reason))?;
    if repo.tag.is_some() || repo.digest.is_some() {
        return Err(repository_err(
            "expected a repository without tag or digest (the digest is pinned from the binary image)"
                .to_owned(),
        ));
    }
    Ok(ConfigIndex {
        binary_digest,
        binary_repository: repo.repository_reference(),
        config_entrypoint: entrypoint.to_owned(),
    })
}

/// Write a config image layout to `out`: one layer with `index.json` (from `index`) and `files`
/// (config-root-relative path → contents). Returns the manifest digest. The entrypoint is
/// written normalized (`./main.star` and `main.star/` as `main.star`).
///
/// # Errors
///
/// Bad or duplicate paths, a file named `index.json`, an entrypoint that is not among the
/// files, non-UTF-8 files, I/O errors.
pub fn config_image(
    out: &Path,
    index: &ConfigIndex,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Digest, Error> {
    let mut normalized = BTreeMap::new();
    for (path, contents) in files {
        let clean = normalize(path).map_err(|reason| Error::BadPath {
            path: path.clone(),
            context: "for the config image".to_owned(),
            reason,
        })?;
        if clean == "index.json" {
            return Err(Error::BadPath {
                path: path.clone(),
                context: "for the config image".to_owned(),
                reason: "`index.json` is reserved for the config image index",
            });
        }
        if normalized.insert(clean.clone(), contents.clone()).is_some() {
            return Err(Error::DuplicatePath {
                path: clean,
                context: "in the config image files".to_owned(),
            });
        }
    }
    let index = ConfigIndex {
        config_entrypoint: crate::config_image::normalize_entrypoint(&index.config_entrypoint)?,
        ..index.clone()
    };
    let index_json = index_json(&index);
    let mut all = normalized.clone();
    all.insert("index.json".to_owned(), index_json.clone());
    // Validate exactly as a reader will: what we write, we can read.
    ConfigImage::from_files(all)?;

    let mut layer_files = vec![LayerFile {
        path: "index.json".to_owned(),
        contents: index_json,
        executable: false,
    }];
    layer_files.extend(normalized.into_iter().map(|(path, contents)| LayerFile {
        path,
        contents,
        executable: false,
    }));
    let layer = layer::build(&layer_files)?;
    let config = json!({
        "architecture": CONFIG_IMAGE_ARCHITECTURE,
        "os": CONFIG_IMAGE_OS,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
    });
    let writer = LayoutWriter::create(out)?;
    let manifest = write_manifest(
        &writer,
        &spec::to_json(&config),
        &[layer_descriptor(&writer, &layer)?],
    )?;
    writer.finish(manifest)
}

/// The `index.json` bytes of a config image: pretty JSON (people read it with `image inspect`),
/// fields in a fixed order, trailing newline.
pub fn index_json(index: &ConfigIndex) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(index)
        .unwrap_or_else(|e| unreachable!("serializing ConfigIndex: {e}"));
    bytes.push(b'\n');
    bytes
}

/// What goes into a plain image (see [`image`]).
#[derive(Clone, Debug, Default)]
pub struct ImageInput {
    /// Files: destination path in the image (a leading `/` is allowed) and contents.
    pub files: Vec<LayerFile>,
    /// `Entrypoint`; `None` keeps the base image's.
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd`; `None` keeps the base image's.
    pub cmd: Option<Vec<String>>,
    /// `Env` additions, `KEY=VALUE`; a key already set by the base is replaced.
    pub env: Vec<(String, String)>,
    /// `WorkingDir`.
    pub workdir: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// A base image layout (a manifest, or an index with a manifest for `platform`).
    pub base: Option<PathBuf>,
    /// The platform; default: the base image's, or `linux/amd64` without a base.
    pub platform: Option<Platform>,
}

/// Write a one-layer image (on top of an optional base) to `out`. Returns the manifest digest.
///
/// # Errors
///
/// Bad paths, a base layout that cannot be read or has no manifest for the platform, I/O.
pub fn image(out: &Path, input: &ImageInput) -> Result<Digest, Error> {
    let files: Vec<LayerFile> = input
        .files
        .iter()
        .map(|f| LayerFile {
            path: f.path.trim_start_matches('/').to_owned(),
            ..f.clone()
        })
        .collect();
    let layer = layer::build(&files)?;
    let writer = LayoutWriter::create(out)?;

    let (mut config, mut layers) = match &input.base {
        Some(base) => base_image(&writer, base, input.platform.as_ref())?,
        None => {
            let platform = input.platform.clone().unwrap_or_else(|| Platform {
                architecture: "amd64".to_owned(),
                os: "linux".to_owned(),
                variant: None,
            });
            let mut config = json!({
                "architecture": platform.architecture,
                "os": platform.os,
            });
            if let Some(v) = platform.variant {
                config["variant"] = json!(v);
            }
            config["config"] = json!({});
            config["rootfs"] = json!({"type": "layers", "diff_ids": []});
            (config, Vec::new())
        }
    };
    apply_config(&mut config, input, &layer.diff_id)?;
    layers.push(layer_descriptor(&writer, &layer)?);
    let manifest = write_manifest(&writer, &spec::to_json(&config), &layers)?;
    writer.finish(manifest)
}

/// Write an image index over the single-image layouts `manifests` to `out`, each entry's platform
/// taken from its image config. Returns the index digest.
///
/// # Errors
///
/// Layouts that are not single images, duplicate platforms, I/O.
pub fn index(out: &Path, manifests: &[PathBuf]) -> Result<Digest, Error> {
    let writer = LayoutWriter::create(out)?;
    let mut entries: Vec<Descriptor> = Vec::new();
    let mut seen: BTreeMap<Platform, PathBuf> = BTreeMap::new();
    for dir in manifests {
        let layout = Layout::open(dir)?;
        let d = layout.single()?.clone();
        if !media_type::is_manifest(&d.media_type) {
            return Err(Error::MediaType {
                what: format!("the entry of image layout `{}`", dir.display()),
                expected: "an image manifest".to_owned(),
                found: d.media_type,
            });
        }
        let (manifest, config) = read_image(&layout, &d)?;
        let platform = platform_of(&config, dir)?;
        if let Some(first) = seen.insert(platform.clone(), dir.clone()) {
            return Err(Error::DuplicatePlatform {
                platform: platform.to_string(),
                first,
                second: dir.clone(),
            });
        }
        for blob in std::iter::once(&manifest.config).chain(&manifest.layers) {
            writer.copy_blob(&layout, blob)?;
        }
        writer.copy_blob(&layout, &d)?;
        entries.push(Descriptor {
            platform: Some(platform),
            annotations: BTreeMap::new(),
            ..d
        });
    }
    let index = ImageIndex {
        schema_version: 2,
        media_type: Some(media_type::OCI_INDEX.to_owned()),
        manifests: entries,
        annotations: BTreeMap::new(),
    };
    let d = writer.add_blob(media_type::OCI_INDEX, &spec::to_json(&index))?;
    writer.finish(d)
}

fn layer_descriptor(writer: &LayoutWriter, layer: &layer::Layer) -> Result<Descriptor, Error> {
    writer.add_blob(media_type::OCI_LAYER_TAR_GZIP, &layer.bytes)
}

fn write_manifest(
    writer: &LayoutWriter,
    config: &[u8],
    layers: &[Descriptor],
) -> Result<Descriptor, Error> {
    let config = writer.add_blob(media_type::OCI_CONFIG, config)?;
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media_type::OCI_MANIFEST.to_owned()),
        config,
        layers: layers.to_vec(),
        annotations: BTreeMap::new(),
    };
    writer.add_blob(media_type::OCI_MANIFEST, &spec::to_json(&manifest))
}

/// Read an image manifest and its config (as JSON) from a layout.
fn read_image(layout: &Layout, d: &Descriptor) -> Result<(ImageManifest, Value), Error> {
    let what = format!("manifest `{}`", d.digest);
    let manifest: ImageManifest = spec::from_json(&what, "image manifest", &layout.read_blob(d)?)?;
    let config: Value = spec::from_json(
        &format!("config `{}`", manifest.config.digest),
        "image config",
        &layout.read_blob(&manifest.config)?,
    )?;
    Ok((manifest, config))
}

fn platform_of(config: &Value, dir: &Path) -> Result<Platform, Error> {
    let field = |k: &str| config.get(k).and_then(Value::as_str).map(str::to_owned);
    match (field("os"), field("architecture")) {
        (Some(os), Some(architecture)) => Ok(Platform {
            os,
            architecture,
            variant: field("variant"),
        }),
        _ => Err(Error::BadPlatform {
            found: format!(
                "(missing os/architecture in the config of `{}`)",
                dir.display()
            ),
        }),
    }
}

/// The base image's config and layers (blobs copied into `writer`).
fn base_image(
    writer: &LayoutWriter,
    dir: &Path,
    platform: Option<&Platform>,
) -> Result<(Value, Vec<Descriptor>), Error> {
    let layout = Layout::open(dir)?;
    let top = layout.single()?.clone();
    let d = if media_type::is_index(&top.media_type) {
        let index: ImageIndex = spec::from_json(
            &format!("index `{}`", top.digest),
            "image index",
            &layout.read_blob(&top)?,
        )?;
        let wanted = platform.cloned().ok_or_else(|| Error::BadArgument {
            what: "--platform",
            found: String::new(),
            expected: "a platform: the base image is an index",
        })?;
        let found = index
            .manifests
            .iter()
            .find(|m| m.platform.as_ref() == Some(&wanted))
            .cloned();
        found.ok_or_else(|| Error::NoSuchPlatform {
            dir: dir.to_owned(),
            platform: wanted.to_string(),
            available: index
                .manifests
                .iter()
                .filter_map(|m| m.platform.as_ref().map(Platform::to_string))
                .collect::<Vec<_>>()
                .join(", "),
        })?
    } else {
        top
    };
    let (manifest, config) = read_image(&layout, &d)?;
    if let Some(wanted) = platform {
        let actual = platform_of(&config, dir)?;
        if &actual != wanted {
            return Err(Error::NoSuchPlatform {
                dir: dir.to_owned(),
                platform: wanted.to_string(),
                available: actual.to_string(),
            });
        }
    }
    writer.copy_blob(&layout, &manifest.config)?;
    for l in &manifest.layers {
        writer.copy_blob(&layout, l)?;
    }
    Ok((config, manifest.layers))
}

/// Apply the input's settings and the new layer to an image config.
fn apply_config(config: &mut Value, input: &ImageInput, diff_id: &Digest) -> Result<(), Error> {
    let obj = config.as_object_mut().ok_or_else(|| Error::BadArgument {
        what: "base image config",
        found: "(not a JSON object)".to_owned(),
        expected: "a JSON object",
    })?;
    let inner = obj
        .entry("config")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| Error::BadArgument {
            what: "base image config",
            found: "(`config` is not an object)".to_owned(),
            expected: "a JSON object",
        })?;
    if !input.env.is_empty() {
        let mut env: Vec<String> = inner
            .get("Env")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for (k, v) in &input.env {
            env.retain(|e| e.split_once('=').map_or(e.as_str(), |(n, _)| n) != k);
            env.push(format!("{k}={v}"));
        }
        inner.insert("Env".to_owned(), json!(env));
    }
    if let Some(e) = &input.entrypoint {
        inner.insert("Entrypoint".to_owned(), json!(e));
    }
    if let Some(c) = &input.cmd {
        inner.insert("Cmd".to_owned(), json!(c));
    }
    if let Some(w) = &input.workdir {
        inner.insert("WorkingDir".to_owned(), json!(w));
    }
    if let Some(u) = &input.user {
        inner.insert("User".to_owned(), json!(u));
    }
    let rootfs = obj
        .entry("rootfs")
        .or_insert_with(|| json!({"type": "layers", "diff_ids": []}));
    if !rootfs.is_object() {
        *rootfs = json!({"type": "layers", "diff_ids": []});
    }
    match rootfs.get_mut("diff_ids").and_then(Value::as_array_mut) {
        Some(ids) => ids.push(json!(diff_id)),
        None => {
            if let Some(r) = rootfs.as_object_mut() {
                r.insert("diff_ids".to_owned(), json!([diff_id]));
            }
        }
    }
    if let Some(history) = obj.get_mut("history").and_then(Value::as_array_mut) {
        history.push(json!({"created_by": "sisyphus-packer image"}));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_index() -> ConfigIndex {
        ConfigIndex {
            binary_digest: crate::sha256(b"binary"),
            binary_repository: "localhost:5000/echo".to_owned(),
            config_entrypoint: "main.star".to_owned(),
        }
    }

    fn files() -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            (
                "main.star".to_owned(),
                b"load(\"//lib/x.star\", \"x\")\n".to_vec(),
            ),
            ("lib/x.star".to_owned(), b"x = 1\n".to_vec()),
        ])
    }

    #[test]
    fn config_image_round_trips_through_a_layout() {
        let dir = tempfile::tempdir().unwrap();
        let digest = config_image(dir.path(), &sample_index(), &files()).unwrap();
        let (read_digest, image) = ConfigImage::read_layout(dir.path()).unwrap();
        assert_eq!(read_digest, digest);
        assert_eq!(image.index, sample_index());
        assert_eq!(image.paths(), ["index.json", "lib/x.star", "main.star"]);
        assert_eq!(image.files["lib/x.star"], "x = 1\n");
    }

    #[test]
    fn config_image_refuses_a_missing_entrypoint_and_reserved_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut bad = sample_index();
        bad.config_entrypoint = "nope.star".to_owned();
        let err = config_image(dir.path(), &bad, &files()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config entrypoint `nope.star` is not in the config image (files: `lib/x.star`, `main.star`)"
        );
        let mut reserved = files();
        reserved.insert("./index.json".to_owned(), b"{}".to_vec());
        assert!(matches!(
            config_image(dir.path(), &sample_index(), &reserved),
            Err(Error::BadPath { .. })
        ));
    }

    #[test]
    fn config_image_writes_the_entrypoint_normalized() {
        let dir = tempfile::tempdir().unwrap();
        for given in ["main.star/", "./main.star"] {
            let mut index = sample_index();
            index.config_entrypoint = given.to_owned();
            config_image(dir.path(), &index, &files()).unwrap();
            let (_, image) = ConfigImage::read_layout(dir.path()).unwrap();
            assert_eq!(image.index.config_entrypoint, "main.star", "{given}");
            assert_eq!(image.entrypoint(), "main.star", "{given}");
        }
    }

    #[test]
    fn config_index_takes_one_digest_source_and_a_plain_repository() {
        let digest = crate::sha256(b"binary").to_string();
        let index = config_index(Some(&digest), None, "busybox", "main.star").unwrap();
        assert_eq!(index.binary_repository, "docker.io/library/busybox");
        assert_eq!(index.binary_digest.to_string(), digest);
        let err = |d: Option<&str>, l: Option<&Path>, r: &str| {
            config_index(d, l, r, "main.star").unwrap_err().to_string()
        };
        assert_eq!(
            err(Some(&digest), None, "localhost:5000/echo:v1"),
            "invalid `--binary-repository` `localhost:5000/echo:v1`: expected a repository without tag or digest (the digest is pinned from the binary image)"
        );
        assert_eq!(
            err(Some("sha256:12"), None, "x"),
            "invalid --binary-digest `sha256:12`: expected `sha256:` followed by 64 lowercase hex digits"
        );
        assert_eq!(
            err(None, None, "x"),
            "pass exactly one of `--binary-digest` and `--binary-image`"
        );
        let missing = Path::new("/nonexistent/layout");
        assert_eq!(
            err(None, Some(missing), "x"),
            "failed to read binary image `/nonexistent/layout`"
        );
    }

    #[test]
    fn plain_image_with_base_and_index_over_platforms() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("base");
        let mut input = ImageInput {
            files: vec![LayerFile {
                path: "/bin/echo".to_owned(),
                contents: b"#!/bin/sh\n".to_vec(),
                executable: true,
            }],
            env: vec![("A".to_owned(), "1".to_owned())],
            platform: Some("linux/arm64/v8".parse().unwrap()),
            ..Default::default()
        };
        image(&base, &input).unwrap();
        input.base = Some(base.clone());
        input.env = vec![("A".to_owned(), "2".to_owned())];
        input.entrypoint = Some(vec!["/bin/echo".to_owned()]);
        let top = tmp.path().join("top");
        image(&top, &input).unwrap();
        let layout = Layout::open(&top).unwrap();
        let (manifest, config) = read_image(&layout, layout.single().unwrap()).unwrap();
        assert_eq!(manifest.layers.len(), 2);
        assert_eq!(config["config"]["Env"], json!(["A=2"]));
        assert_eq!(config["variant"], json!("v8"));
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);

        let amd = tmp.path().join("amd");
        input.base = None;
        input.platform = None;
        image(&amd, &input).unwrap();
        let idx = tmp.path().join("index");
        let digest = index(&idx, &[top.clone(), amd]).unwrap();
        let layout = Layout::open(&idx).unwrap();
        assert_eq!(layout.single().unwrap().digest, digest);
        let platforms: Vec<String> = layout
            .walk()
            .unwrap()
            .iter()
            .filter(|d| d.media_type == media_type::OCI_INDEX)
            .map(|d| d.digest.to_string())
            .collect();
        assert_eq!(platforms, [digest.to_string()]);
        let err = index(&tmp.path().join("dup"), &[top.clone(), top]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("platform `linux/arm64/v8` appears twice"),
            "{err}"
        );
    }
}
