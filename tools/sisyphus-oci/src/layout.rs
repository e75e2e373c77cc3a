//! OCI image layout directories (`oci-layout`, `index.json`, `blobs/sha256/<hex>`): writing them
//! reproducibly and reading them with every blob verified.

use std::path::{Path, PathBuf};

use sisyphus_core::Digest;

use crate::Error;
use crate::spec::{self, Descriptor, ImageIndex, OCI_LAYOUT_FILE, media_type};

/// Writes an image layout directory. Blobs go in as they are added; [`LayoutWriter::finish`]
/// writes `index.json` last, so a layout with an index is complete.
#[derive(Debug)]
pub struct LayoutWriter {
    dir: PathBuf,
}

impl LayoutWriter {
    /// Start a layout in `dir`: created if missing; an existing image layout there is replaced;
    /// an empty directory is used as is.
    ///
    /// # Errors
    ///
    /// [`Error::OutputNotEmpty`] when `dir` holds anything else, [`Error::File`].
    pub fn create(dir: &Path) -> Result<LayoutWriter, Error> {
        if dir.exists() {
            let mut entries = fs_err::read_dir(dir).map_err(Error::File)?;
            if entries.next().is_some() {
                if !dir.join("oci-layout").is_file() {
                    return Err(Error::OutputNotEmpty {
                        dir: dir.to_owned(),
                    });
                }
                for name in ["index.json", "oci-layout"] {
                    let path = dir.join(name);
                    if path.exists() {
                        fs_err::remove_file(&path).map_err(Error::File)?;
                    }
                }
                let blobs = dir.join("blobs");
                if blobs.exists() {
                    fs_err::remove_dir_all(&blobs).map_err(Error::File)?;
                }
            }
        }
        let blobs = dir.join("blobs").join("sha256");
        fs_err::create_dir_all(&blobs).map_err(Error::File)?;
        write_file(&dir.join("oci-layout"), OCI_LAYOUT_FILE.as_bytes())?;
        Ok(LayoutWriter {
            dir: dir.to_owned(),
        })
    }

    /// Add a blob; returns its descriptor with `media_type`.
    ///
    /// # Errors
    ///
    /// [`Error::File`].
    pub fn add_blob(&self, media_type: &str, bytes: &[u8]) -> Result<Descriptor, Error> {
        let descriptor = Descriptor::of(media_type, bytes);
        let path = blob_path(&self.dir, &descriptor.digest);
        if !path.exists() {
            write_file(&path, bytes)?;
        }
        Ok(descriptor)
    }

    /// Copy a blob from another layout (verified on the way).
    ///
    /// # Errors
    ///
    /// [`Error::MissingBlob`], [`Error::DigestMismatch`], [`Error::File`].
    pub fn copy_blob(&self, from: &Layout, descriptor: &Descriptor) -> Result<(), Error> {
        let bytes = from.read_blob(descriptor)?;
        let path = blob_path(&self.dir, &descriptor.digest);
        if !path.exists() {
            write_file(&path, &bytes)?;
        }
        Ok(())
    }

    /// Write `index.json` pointing at `manifest` and finish the layout.
    ///
    /// # Errors
    ///
    /// [`Error::File`].
    pub fn finish(self, manifest: Descriptor) -> Result<Digest, Error> {
        let digest = manifest.digest.clone();
        let index = ImageIndex {
            schema_version: 2,
            media_type: Some(media_type::OCI_INDEX.to_owned()),
            manifests: vec![manifest],
            annotations: Default::default(),
        };
        write_file(&self.dir.join("index.json"), &spec::to_json(&index))?;
        Ok(digest)
    }
}

/// Where a blob lives in a layout.
pub fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs").join("sha256").join(digest.hex())
}

/// Write `bytes` to `path` through a temporary file and a rename, with mode 0644 regardless of
/// the umask (so layouts are the same for every user).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = path.with_extension("tmp-sisyphus");
    fs_err::write(&tmp, bytes).map_err(Error::File)?;
    fs_err::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).map_err(Error::File)?;
    fs_err::rename(&tmp, path).map_err(Error::File)
}

/// A layout directory opened for reading.
#[derive(Clone, Debug)]
pub struct Layout {
    dir: PathBuf,
    index: ImageIndex,
}

impl Layout {
    /// Open the layout in `dir` and parse its `index.json`.
    ///
    /// # Errors
    ///
    /// [`Error::NotALayout`], [`Error::Json`], [`Error::File`].
    pub fn open(dir: &Path) -> Result<Layout, Error> {
        for missing in ["oci-layout", "index.json"] {
            if !dir.join(missing).is_file() {
                return Err(Error::NotALayout {
                    dir: dir.to_owned(),
                    missing,
                });
            }
        }
        let index_path = dir.join("index.json");
        let index_bytes = fs_err::read(&index_path).map_err(Error::File)?;
        let index = spec::from_json(
            &index_path.display().to_string(),
            "image layout index",
            &index_bytes,
        )?;
        Ok(Layout {
            dir: dir.to_owned(),
            index,
        })
    }

    /// The layout directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The one manifest or index the layout's `index.json` points to.
    ///
    /// # Errors
    ///
    /// [`Error::LayoutEntryCount`] when there are none or several.
    pub fn single(&self) -> Result<&Descriptor, Error> {
        match self.index.manifests.as_slice() {
            [one] => Ok(one),
            other => Err(Error::LayoutEntryCount {
                dir: self.dir.clone(),
                found: other.len(),
            }),
        }
    }

    /// Read a blob and check it against its descriptor.
    ///
    /// # Errors
    ///
    /// [`Error::MissingBlob`], [`Error::DigestMismatch`], [`Error::SizeMismatch`], [`Error::File`].
    pub fn read_blob(&self, descriptor: &Descriptor) -> Result<Vec<u8>, Error> {
        let bytes = self.read_blob_unchecked(&descriptor.digest)?;
        descriptor.verify(
            &format!(
                "blob `{}` of image layout `{}`",
                descriptor.digest,
                self.dir.display()
            ),
            &bytes,
        )?;
        Ok(bytes)
    }

    fn read_blob_unchecked(&self, digest: &Digest) -> Result<Vec<u8>, Error> {
        let path = blob_path(&self.dir, digest);
        if !path.is_file() {
            return Err(Error::MissingBlob {
                digest: digest.clone(),
                dir: self.dir.clone(),
            });
        }
        fs_err::read(&path).map_err(Error::File)
    }

    /// Every blob reachable from `index.json`, children before parents (layers and configs,
    /// then image manifests, then indexes), each once. The order a push must follow.
    ///
    /// # Errors
    ///
    /// Missing or corrupt blobs, unparsable manifests.
    pub fn walk(&self) -> Result<Vec<Descriptor>, Error> {
        let mut out = Vec::new();
        for d in &self.index.manifests {
            self.walk_into(d, &mut out)?;
        }
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|d| seen.insert(d.digest.clone()));
        Ok(out)
    }

    fn walk_into(&self, d: &Descriptor, out: &mut Vec<Descriptor>) -> Result<(), Error> {
        let what = format!(
            "manifest `{}` in image layout `{}`",
            d.digest,
            self.dir.display()
        );
        if media_type::is_index(&d.media_type) {
            let bytes = self.read_blob(d)?;
            let index: ImageIndex = spec::from_json(&what, "image index", &bytes)?;
            for child in &index.manifests {
                self.walk_into(child, out)?;
            }
        } else if media_type::is_manifest(&d.media_type) {
            let bytes = self.read_blob(d)?;
            let manifest: spec::ImageManifest = spec::from_json(&what, "image manifest", &bytes)?;
            out.push(manifest.config.clone());
            out.extend(manifest.layers.iter().cloned());
        } else {
            return Err(Error::MediaType {
                what,
                expected: "an image manifest or index".to_owned(),
                found: d.media_type.clone(),
            });
        }
        out.push(d.clone());
        Ok(())
    }
}
