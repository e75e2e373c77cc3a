//! The versioned byte format: `write` encodes a plan (`write_file` writes it to a file
//! atomically) as `sisyphus.plan.v1.Plan` with
//! `version = 1`; `read` checks the version first (from field 1 alone, whatever the rest
//! holds) and rejects any other, naming both.

use prost::Message;

use crate::{Error, Plan, convert};

/// The plan format version this build writes and reads.
pub const VERSION: u64 = 1;

/// Only field 1, so any version's file can be probed.
#[derive(Clone, PartialEq, prost::Message)]
struct VersionProbe {
    #[prost(uint64, tag = "1")]
    version: u64,
}

/// Encode `plan`. The same plan always gives the same bytes.
pub fn write(plan: &Plan) -> Vec<u8> {
    convert::to_wire(plan).encode_to_vec()
}

/// Write `plan` to `path`. A regular file (or a path that does not exist yet) is written
/// atomically: the bytes go to a fresh temporary file in the same directory, which is then
/// renamed over it. Readers see the old file or the new one, a failure leaves no temporary file
/// behind, and concurrent writers never share a temporary name. The file gets mode 0666 minus
/// the umask, like any other file written. A symlink is followed (the file it points to is
/// replaced, the link stays); anything else (a FIFO, `/dev/stdout`, a device) is written
/// through, never replaced (issue #11, item 10).
///
/// # Errors
///
/// The temporary file cannot be created, written or renamed; the target cannot be opened.
pub fn write_file(path: &std::path::Path, plan: &Plan) -> std::io::Result<()> {
    write_bytes(path, &write(plan))
}

/// Write `bytes` to `path` as [`write_file`] writes a plan: atomically for a regular file,
/// through a symlink, written through (never replaced) for a FIFO or device.
///
/// # Errors
///
/// As [`write_file`].
pub fn write_bytes(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    // Follow symlinks: the target is what gets written.
    let target = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(e),
    };
    if let Ok(meta) = std::fs::metadata(&target)
        && !meta.is_file()
    {
        if meta.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                format!("`{}` is a directory", path.display()),
            ));
        }
        let mut out = std::fs::OpenOptions::new().write(true).open(&target)?;
        out.write_all(bytes)?;
        return out.flush();
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o666);
    let mut tmp = tempfile::Builder::new()
        .prefix(".plan-")
        .permissions(mode)
        .tempfile_in(parent)?;
    tmp.write_all(bytes)?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// [`write_file`], refusing a `path` that is an existing file inside `monitor_directory`
/// (the folder the plan was loaded from): `plan -o` onto one of its own inputs overwrote it.
///
/// # Errors
///
/// [`std::io::ErrorKind::AlreadyExists`] for such a path, and what [`write_file`] returns.
pub fn write_file_outside(
    path: &std::path::Path,
    plan: &Plan,
    monitor_directory: &std::path::Path,
) -> std::io::Result<()> {
    write_bytes_outside(path, &write(plan), monitor_directory)
}

/// [`write_bytes`], refusing a `path` that is an existing file inside `monitor_directory`.
///
/// # Errors
///
/// As [`write_file_outside`].
pub fn write_bytes_outside(
    path: &std::path::Path,
    bytes: &[u8],
    monitor_directory: &std::path::Path,
) -> std::io::Result<()> {
    if let (Ok(real), Ok(folder)) = (
        std::fs::canonicalize(path),
        std::fs::canonicalize(monitor_directory),
    ) && real.starts_with(&folder)
        && real.is_file()
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!(
                "`{}` is a file inside the monitored directory `{}`, which the plan may have \
                 been loaded from; refusing to overwrite it (write it elsewhere)",
                path.display(),
                monitor_directory.display()
            ),
        ));
    }
    write_bytes(path, bytes)
}

/// Decode a plan file.
///
/// # Errors
///
/// [`Error::UnsupportedVersion`] for another format version, [`Error::Decode`] for bytes that
/// are not a plan, [`Error::Invalid`]/[`Error::ObjectJson`] for a malformed one.
pub fn read(bytes: &[u8]) -> Result<Plan, Error> {
    let probe = VersionProbe::decode(bytes).map_err(Error::Decode)?;
    if probe.version != VERSION {
        return Err(Error::UnsupportedVersion {
            found: probe.version,
            expected: VERSION,
        });
    }
    let wire = crate::wire::Plan::decode(bytes).map_err(Error::Decode)?;
    convert::from_wire(wire)
}
