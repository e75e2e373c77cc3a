//! The files a load reads, kept with their bytes so the plan can record a hash of its inputs.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// Every file read so far, by path relative to the monitored directory.
#[derive(Debug)]
pub(crate) struct Inputs {
    root: PathBuf,
    files: BTreeMap<String, Vec<u8>>,
}

/// Why a file could not be read as text.
pub(crate) enum ReadError {
    /// The file system said no.
    Io(std::io::Error),
    /// The bytes are not UTF-8.
    NotUtf8,
    /// The path is not a regular file inside its folder: what is wrong.
    Refused(String),
}

/// The one rule for every file load opens (issue #11, items 9 and 11): after following
/// symlinks it is a regular file (a FIFO would hang the read, a device never ends) and it stays
/// where it is written: a file of a namespace folder (`web/...`) inside that folder, a file at
/// the root (`clusters.yaml`) directly in the root. Checked before the file is opened.
fn check_openable(root: &Path, rel: &str) -> Result<(), String> {
    let path = root.join(rel);
    let meta = match fs_err::metadata(&path) {
        Ok(meta) => meta,
        // Missing files and broken links: the read reports them.
        Err(_) => return Ok(()),
    };
    if !meta.is_file() {
        let kind = file_kind(&meta.file_type());
        return Err(format!("`{rel}` is {kind}, expected a regular YAML file"));
    }
    let canonical = fs_err::canonicalize(&path).map_err(|e| e.to_string())?;
    let root_canonical = fs_err::canonicalize(root).map_err(|e| e.to_string())?;
    match rel.split_once('/') {
        Some((folder, _)) => {
            let boundary = fs_err::canonicalize(root.join(folder)).map_err(|e| e.to_string())?;
            if !canonical.starts_with(&boundary) {
                return Err(format!(
                    "`{rel}` leads through a symlink outside the namespace folder `{folder}/`"
                ));
            }
        }
        None => {
            if canonical.parent() != Some(root_canonical.as_path()) {
                return Err(format!(
                    "`{rel}` leads through a symlink outside the root of the monitored directory"
                ));
            }
        }
    }
    Ok(())
}

/// What a message calls a non-regular file.
pub(crate) fn file_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

impl Inputs {
    /// Inputs under `root` (nothing read yet).
    pub fn new(root: &Path) -> Self {
        Inputs {
            root: root.to_path_buf(),
            files: BTreeMap::new(),
        }
    }

    /// Add the files another loader read.
    pub fn merge(&mut self, other: Inputs) {
        self.files.extend(other.files);
    }

    /// Whether `rel` was read.
    pub fn contains(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    /// Read `rel` (relative, `/`-separated) as UTF-8 text and remember its bytes; a file is read
    /// from disk once.
    pub fn read(&mut self, rel: &str) -> Result<&str, ReadError> {
        let bytes = match self.files.entry(rel.to_string()) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                check_openable(&self.root, rel).map_err(ReadError::Refused)?;
                entry.insert(fs_err::read(self.root.join(rel)).map_err(ReadError::Io)?)
            }
        };
        std::str::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)
    }

    /// The text of `rel` if it was read and is UTF-8, else `""`.
    pub fn text(&self, rel: &str) -> &str {
        self.files
            .get(rel)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// `sha256:<hex>` over every file read, in path order: for each file, the path's length
    /// (u64, big endian), the path, the content's length and the content.
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        for (path, bytes) in &self.files {
            hasher.update((path.len() as u64).to_be_bytes());
            hasher.update(path.as_bytes());
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
        format!("sha256:{}", hex::encode(hasher.finalize()))
    }
}
