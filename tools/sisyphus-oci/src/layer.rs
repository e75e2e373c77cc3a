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

/// Most bytes the layers of one config image may hold once decompressed (64 MiB): every
/// entry's declared size counts, so a small gzip bomb is refused while it is read, without
/// decompressing the rest.
pub const MAX_UNCOMPRESSED_SIZE: u64 = 64 << 20;

/// Most tar entries (files and directories) the layers of one config image may hold.
pub const MAX_ENTRIES: usize = 10_000;

/// What the layers of one config image may still hold: see [`MAX_UNCOMPRESSED_SIZE`] and
/// [`MAX_ENTRIES`]. Shared by all its layers.
#[derive(Clone, Debug)]
pub struct Budget {
    bytes_left: u64,
    entries_left: usize,
    /// Directories seen so far (a file may not have a directory's path).
    dirs: std::collections::BTreeSet<String>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            bytes_left: MAX_UNCOMPRESSED_SIZE,
            entries_left: MAX_ENTRIES,
            dirs: std::collections::BTreeSet::new(),
        }
    }
}

/// Read the regular files of a layer (`gzip` says whether it is compressed) into `files`, keyed by
/// normalized path, within a fresh [`Budget`]. Directories are skipped.
///
/// # Errors
///
/// See [`read_files_within`].
pub fn read_files(
    digest: &Digest,
    bytes: &[u8],
    gzip: bool,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), Error> {
    read_files_within(digest, bytes, gzip, files, &mut Budget::default())
}

/// Read the regular files of a layer into `files` (which may hold the files of earlier layers
/// of the same image), streaming, within `budget`.
///
/// An archive that could be read two ways is refused: a path given twice (also as `./a` and
/// `a`, or in two layers), a file where a directory is, a name that is not UTF-8.
///
/// # Errors
///
/// [`Error::Archive`] for broken tar/gzip data, [`Error::BadPath`] for paths that escape the root
/// or are not UTF-8, [`Error::DuplicatePath`] for ambiguous entries, [`Error::NotRegularFile`] for
/// symlinks, hard links, devices and the like, [`Error::Uncompressed`] past the budget.
pub fn read_files_within(
    digest: &Digest,
    bytes: &[u8],
    gzip: bool,
    files: &mut BTreeMap<String, Vec<u8>>,
    budget: &mut Budget,
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
    let context = || format!("in layer `{digest}`");
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(archive_err)? {
        let mut entry = entry.map_err(archive_err)?;
        let Some(entries_left) = budget.entries_left.checked_sub(1) else {
            return Err(Error::Uncompressed {
                digest: digest.clone(),
                what: "entries",
                limit: MAX_ENTRIES as u64,
            });
        };
        budget.entries_left = entries_left;
        let size = entry.header().size().map_err(archive_err)?;
        if size > budget.bytes_left {
            return Err(Error::Uncompressed {
                digest: digest.clone(),
                what: "bytes once decompressed",
                limit: MAX_UNCOMPRESSED_SIZE,
            });
        }
        budget.bytes_left -= size;
        let raw = match String::from_utf8(entry.path_bytes().into_owned()) {
            Ok(raw) => raw,
            Err(e) => {
                return Err(Error::BadPath {
                    path: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    context: context(),
                    reason: "the name is not UTF-8",
                });
            }
        };
        let path = normalize(&raw).map_err(|reason| Error::BadPath {
            path: raw.clone(),
            context: context(),
            reason,
        })?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Directory => {
                if files.contains_key(&path) {
                    return Err(Error::DuplicatePath {
                        path,
                        context: format!("{} (both a file and a directory)", context()),
                    });
                }
                budget.dirs.insert(path);
                continue;
            }
            EntryType::Regular | EntryType::Continuous => {}
            other => {
                return Err(Error::NotRegularFile {
                    path,
                    kind: entry_kind(other),
                });
            }
        }
        if files.contains_key(&path) {
            return Err(Error::DuplicatePath {
                path,
                context: format!(
                    "{} (an archive that names a file twice is ambiguous)",
                    context()
                ),
            });
        }
        if budget.dirs.contains(&path) || parents(&path).any(|dir| files.contains_key(dir)) {
            return Err(Error::DuplicatePath {
                path,
                context: format!("{} (both a file and a directory)", context()),
            });
        }
        let mut contents = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
        (&mut entry)
            .take(size)
            .read_to_end(&mut contents)
            .map_err(archive_err)?;
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
