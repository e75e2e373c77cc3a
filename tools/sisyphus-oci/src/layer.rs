//! Reproducible tar+gzip layers, and reading layers back.
//!
//! A layer's bytes depend only on its entries: entries sorted by path, parent directories added
//! explicitly (mode 0755), files mode 0644 or 0755, mtime 0, uid/gid 0, no user or group names,
//! GNU headers; gzip with mtime 0, no file name, OS byte 255 ("unknown") and level 6 of the
//! pure-Rust miniz_oxide backend.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use flate2::{Compression, GzBuilder};
use sisyphus_core::Digest;
use tar::{EntryType, Header};

use crate::Error;
use crate::path::{normalize, parents};

/// The gzip compression level. Changing it changes every digest.
const GZIP_LEVEL: u32 = 6;

/// One file in a layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerFile {
    /// Root-relative path (normalized by [`crate::path::normalize`]).
    pub path: String,
    /// The contents.
    pub contents: Vec<u8>,
    /// Mode 0755 instead of 0644.
    pub executable: bool,
}

/// A built layer: the compressed bytes and both digests.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The `.tar.gz` bytes (the blob).
    pub bytes: Vec<u8>,
    /// The blob digest (of the compressed bytes), for the manifest.
    pub digest: Digest,
    /// The digest of the uncompressed tar, for the image config's `rootfs.diff_ids`.
    pub diff_id: Digest,
}

/// Build a reproducible tar+gzip layer from `files`.
///
/// # Errors
///
/// [`Error::BadPath`] for unclean paths, [`Error::DuplicatePath`] when a path appears twice or
/// is both a file and a directory.
pub fn build(files: &[LayerFile]) -> Result<Layer, Error> {
    let context = "in the layer";
    let mut entries: BTreeMap<String, Option<&LayerFile>> = BTreeMap::new();
    for file in files {
        let path = normalize(&file.path).map_err(|reason| Error::BadPath {
            path: file.path.clone(),
            context: context.to_owned(),
            reason,
        })?;
        for dir in parents(&path) {
            if let Some(Some(_)) = entries.insert(dir.to_owned(), None) {
                return Err(Error::DuplicatePath {
                    path: dir.to_owned(),
                    context: "in the layer (both a file and a directory)".to_owned(),
                });
            }
        }
        if entries.insert(path.clone(), Some(file)).is_some() {
            return Err(Error::DuplicatePath {
                path,
                context: context.to_owned(),
            });
        }
    }

    let mut tar = tar::Builder::new(Vec::new());
    for (path, file) in &entries {
        let mut header = Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        let (name, data): (String, &[u8]) = match file {
            None => {
                header.set_entry_type(EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                (format!("{path}/"), &[])
            }
            Some(f) => {
                header.set_entry_type(EntryType::Regular);
                header.set_mode(if f.executable { 0o755 } else { 0o644 });
                header.set_size(f.contents.len() as u64);
                (path.clone(), &f.contents)
            }
        };
        tar.append_data(&mut header, &name, data)
            .map_err(Error::io(format!("add `{path}` to the layer")))?;
    }
    let tar_bytes = tar
        .into_inner()
        .map_err(Error::io("finish the layer's tar stream"))?;

    let mut gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::new(GZIP_LEVEL));
    gz.write_all(&tar_bytes)
        .map_err(Error::io("compress the layer"))?;
    let bytes = gz.finish().map_err(Error::io("compress the layer"))?;
    Ok(Layer {
        digest: crate::sha256(&bytes),
        diff_id: crate::sha256(&tar_bytes),
        bytes,
    })
}

/// Read the regular files of a layer (`gzip` says whether it is compressed) into `files`, keyed by
/// normalized path. Directories are skipped; later entries replace earlier ones.
///
/// # Errors
///
/// [`Error::Archive`] for broken tar/gzip data, [`Error::BadPath`] for paths that escape the root,
/// [`Error::NotRegularFile`] for symlinks, hard links, devices and the like.
pub fn read_files(
    digest: &Digest,
    bytes: &[u8],
    gzip: bool,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), Error> {
    let archive_err = |source| Error::Archive {
        digest: digest.clone(),
        source,
    };
    let reader: Box<dyn Read + '_> = if gzip {
        Box::new(flate2::read::GzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(archive_err)? {
        let mut entry = entry.map_err(archive_err)?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = normalize(&raw).map_err(|reason| Error::BadPath {
            path: raw.clone(),
            context: format!("in layer `{digest}`"),
            reason,
        })?;
        match entry.header().entry_type() {
            EntryType::Directory => continue,
            EntryType::Regular | EntryType::Continuous => {}
            other => {
                return Err(Error::NotRegularFile {
                    path,
                    kind: entry_kind(other),
                });
            }
        }
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).map_err(archive_err)?;
        files.insert(path, contents);
    }
    Ok(())
}

fn entry_kind(t: EntryType) -> String {
    match t {
        EntryType::Symlink => "symbolic link".to_owned(),
        EntryType::Link => "hard link".to_owned(),
        EntryType::Char => "character device".to_owned(),
        EntryType::Block => "block device".to_owned(),
        EntryType::Fifo => "named pipe".to_owned(),
        other => format!("tar entry of type {:?}", other.as_byte() as char),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> LayerFile {
        LayerFile {
            path: path.to_owned(),
            contents: contents.as_bytes().to_vec(),
            executable: false,
        }
    }

    #[test]
    fn order_of_inputs_does_not_matter() {
        let a = build(&[file("b/x", "1"), file("a", "2")]).unwrap();
        let b = build(&[file("a", "2"), file("b/x", "1")]).unwrap();
        assert_eq!(a.digest, b.digest);
        assert_eq!(a.bytes, b.bytes);
    }

    #[test]
    fn round_trips_files_and_adds_directories() {
        let layer = build(&[file("lib/a.star", "A"), file("main.star", "M")]).unwrap();
        let mut files = BTreeMap::new();
        read_files(&layer.digest, &layer.bytes, true, &mut files).unwrap();
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["lib/a.star", "main.star"]
        );
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&layer.bytes[..]));
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["lib/", "lib/a.star", "main.star"]);
    }

    #[test]
    fn rejects_duplicates_and_escapes() {
        assert!(matches!(
            build(&[file("a", "1"), file("./a", "2")]),
            Err(Error::DuplicatePath { .. })
        ));
        assert!(matches!(
            build(&[file("a", "1"), file("a/b", "2")]),
            Err(Error::DuplicatePath { .. })
        ));
        assert!(matches!(
            build(&[file("../a", "1")]),
            Err(Error::BadPath { .. })
        ));
    }

    #[test]
    fn rejects_symlinks_when_reading() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, "main.star", "/etc/passwd")
            .unwrap();
        let bytes = tar.into_inner().unwrap();
        let err =
            read_files(&crate::sha256(&bytes), &bytes, false, &mut BTreeMap::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`main.star` in the config image is a symbolic link, expected a regular file"
        );
    }
}
