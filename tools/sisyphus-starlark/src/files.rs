//! Where config files come from: a directory on disk or an in-memory map.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::Error;

/// Where config files come from. Paths are config-root-relative, `/`-separated, normalized (no
/// `..`, no leading `/`).
pub trait ConfigFiles: Send + Sync {
    /// The text of the file at `path`.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Read`] or [`Error::BadPath`].
    fn read(&self, path: &str) -> Result<String, Error>;
}

/// The largest config file read from disk (16 MiB, as a config image's layers).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Files under a directory on disk (the config root). Refuses symlinks that lead outside the root.
#[derive(Debug, Clone)]
pub struct DirFiles {
    root: PathBuf,
}

impl DirFiles {
    /// Files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirFiles { root: root.into() }
    }
}

impl ConfigFiles for DirFiles {
    fn read(&self, path: &str) -> Result<String, Error> {
        let io_err = |source: std::io::Error| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::NotFound {
                    path: path.to_owned(),
                }
            } else {
                Error::Read {
                    path: path.to_owned(),
                    source,
                }
            }
        };
        let root = fs_err::canonicalize(&self.root).map_err(io_err)?;
        let file = fs_err::canonicalize(self.root.join(path)).map_err(io_err)?;
        if !file.starts_with(&root) {
            return Err(Error::BadPath {
                path: path.to_owned(),
                reason: "it is a symlink that leads outside the config root".to_owned(),
            });
        }
        // A FIFO would hang the read and a device never end (issue #11, item 11): refused
        // before the file is opened.
        let meta = fs_err::metadata(&file).map_err(io_err)?;
        if !meta.is_file() {
            return Err(Error::BadPath {
                path: path.to_owned(),
                reason: "it is not a regular file (a directory, named pipe, socket or device)"
                    .to_owned(),
            });
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(Error::BadPath {
                path: path.to_owned(),
                reason: format!(
                    "it has {} bytes, more than the {MAX_FILE_BYTES} a config file may have",
                    meta.len()
                ),
            });
        }
        fs_err::read_to_string(&file).map_err(io_err)
    }
}

/// In-memory files (a pulled config image), keyed by config-root-relative path.
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles(pub BTreeMap<String, String>);

impl ConfigFiles for MemoryFiles {
    fn read(&self, path: &str) -> Result<String, Error> {
        self.0.get(path).cloned().ok_or_else(|| Error::NotFound {
            path: path.to_owned(),
        })
    }
}
