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

/// Write `plan` to `path` atomically: the bytes go to a fresh temporary file in the same
/// directory, which is then renamed over `path`. Readers see the old file or the new one, a
/// failure leaves no temporary file behind, and concurrent writers never share a temporary
/// name. The file gets mode 0666 minus the umask, like any other file written.
///
/// # Errors
///
/// The temporary file cannot be created, written or renamed.
pub fn write_file(path: &std::path::Path, plan: &Plan) -> std::io::Result<()> {
    use std::io::Write as _;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o666);
    let mut tmp = tempfile::Builder::new()
        .prefix(".plan-")
        .permissions(mode)
        .tempfile_in(parent)?;
    tmp.write_all(&write(plan))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
