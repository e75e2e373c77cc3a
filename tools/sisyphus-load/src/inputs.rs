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
