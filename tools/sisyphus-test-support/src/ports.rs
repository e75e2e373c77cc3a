//! Free TCP ports on 127.0.0.1 for services started by tests.
//!
//! Owns port choice only; touches the loopback interface (a test bind) and lock files under
//! `$TMPDIR/sisyphus-test-ports-<uid>/`.
//!
//! # Why not `bind(127.0.0.1:0)` and hand the port over?
//!
//! That port comes from the kernel's ephemeral range (`net.ipv4.ip_local_port_range`, usually
//! 32768–60999), the same range every outgoing connection and every other `bind(:0)` draws
//! from. Between closing our probe socket and the server binding it, another test (in this
//! process or in a parallel test binary) can be handed the same number.
//!
//! # What we do instead
//!
//! 1. Candidates come from **below** the ephemeral range ([`range`]: from 20000 up to where the
//!    kernel's range starts, 20000–32767 by default), so neither outgoing connections nor
//!    anybody's `bind(:0)` is ever given one of our ports. An ephemeral range starting below
//!    21000 is refused with a panic rather than silently overlapped.
//! 2. Within this process, a port is handed out at most once (a process-wide reservation set).
//! 3. Across processes (cargo runs test binaries in parallel), each handed-out port is guarded
//!    by an exclusive `flock` on `$TMPDIR/sisyphus-test-ports-<uid>/<port>.lock`, held until this
//!    process exits (the kernel drops the lock when the process dies, even on SIGKILL).
//! 4. The candidate must be bindable on 127.0.0.1 right now (test bind, closed immediately).
//!
//! A process that binds a fixed port in that range without asking us can still collide; the
//! fixture then fails with "address already in use" in its log, shown in the test failure.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Lowest port handed out.
const LOW: u16 = 20000;
/// Fallback upper bound (exclusive) when the ephemeral range cannot be read.
const DEFAULT_HIGH: u16 = 32768;
/// Fewest ports the range below the ephemeral range must hold.
const MIN_PORTS: u16 = 1000;

/// The ports handed out: from 20000 up to (not including) the start of the kernel's
/// ephemeral range, or 32768 when that cannot be read.
///
/// # Panics
///
/// When the ephemeral range starts less than 1000 ports above 20000: our ports would then lie
/// inside it, where any outgoing connection may take them.
pub fn range() -> std::ops::Range<u16> {
    range_below(ephemeral_low().unwrap_or(DEFAULT_HIGH))
}

/// [`range`] for an ephemeral range starting at `ephemeral_low`.
fn range_below(ephemeral_low: u16) -> std::ops::Range<u16> {
    if ephemeral_low < LOW.saturating_add(MIN_PORTS) {
        panic!(
            "the kernel's ephemeral port range starts at {ephemeral_low} \
             (net.ipv4.ip_local_port_range), expected at least {}: test ports come from \
             {LOW} up to it and must not overlap it; run \
             `sysctl -w net.ipv4.ip_local_port_range=\"32768 60999\"`",
            LOW + MIN_PORTS
        );
    }
    LOW..ephemeral_low
}

/// Process-wide state: ports already handed out, their lock files, and the next candidate.
struct Reservations {
    taken: HashSet<u16>,
    locks: Vec<std::fs::File>,
    next: u32,
}

static RESERVATIONS: Mutex<Option<Reservations>> = Mutex::new(None);

/// How many ports a fixture tries before giving up on "address already in use".
const ATTEMPTS: usize = 3;

/// Start a server on a fresh [`free_port`], and again on a new port (up to three tries in all)
/// when it fails because someone took the port between picking and binding. `start` gets the
/// port and the attempt number (1-based, for per-attempt log names).
///
/// # Errors
///
/// The last attempt's error, or the first error that is not about the address being in use.
pub fn with_free_port<T>(
    mut start: impl FnMut(u16, usize) -> Result<T, crate::Error>,
) -> Result<(T, u16), crate::Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = free_port();
        match start(port, attempt) {
            Ok(value) => return Ok((value, port)),
            Err(error) if error.is_address_in_use() && attempt < ATTEMPTS => {}
            Err(error) => return Err(error),
        }
    }
}

/// Returns a TCP port on 127.0.0.1 that no other caller of this function (in this or any other
/// process on the machine) gets, and that is free right now.
///
/// The port stays reserved until the process exits, so callers may retry a failed bind on a
/// new port without ever seeing their old one again.
///
/// # Panics
///
/// Panics when no port in the range is free, or the lock directory cannot be created: a test
/// cannot run without a port, and the message names the directory.
pub fn free_port() -> u16 {
    let mut guard = RESERVATIONS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let state = guard.get_or_insert_with(|| Reservations {
        taken: HashSet::new(),
        locks: Vec::new(),
        next: seed(),
    });
    let ports = range();
    let span = u32::from(ports.end - ports.start);
    let dir = lock_dir();
    if let Err(error) = fs_err::create_dir_all(&dir) {
        panic!("failed to create the port lock directory: {error}");
    }
    for _ in 0..span {
        let offset = state.next % span;
        state.next = state.next.wrapping_add(1);
        let Ok(port) = u16::try_from(u32::from(ports.start) + offset) else {
            continue;
        };
        if state.taken.contains(&port) {
            continue;
        }
        let Some(lock) = lock_port(&dir, port) else {
            continue;
        };
        if TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).is_err() {
            continue;
        }
        state.taken.insert(port);
        state.locks.push(lock);
        return port;
    }
    panic!(
        "no free TCP port on 127.0.0.1 in {}..{}",
        ports.start, ports.end
    );
}

/// Directory holding one lock file per handed-out port, one per user (so a directory made by
/// root does not lock other users out).
fn lock_dir() -> PathBuf {
    let uid = nix::unistd::geteuid();
    std::env::temp_dir().join(format!("sisyphus-test-ports-{uid}"))
}

/// Takes the cross-process lock for `port`, or `None` when another process holds it.
fn lock_port(dir: &std::path::Path, port: u16) -> Option<std::fs::File> {
    let file = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{port}.lock")))
        .ok()?
        .into_file();
    file.try_lock().ok()?;
    Some(file)
}

/// Lower bound of the kernel's ephemeral port range, if readable.
fn ephemeral_low() -> Option<u16> {
    let range = fs_err::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    range.split_whitespace().next()?.parse().ok()
}

/// A per-process starting point, so parallel processes rarely probe the same candidates.
fn seed() -> u32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::process::id().wrapping_mul(7919).wrapping_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_unique_within_the_process_and_bindable() {
        let ports: Vec<u16> = (0..50).map(|_| free_port()).collect();
        let unique: HashSet<u16> = ports.iter().copied().collect();
        assert_eq!(unique.len(), ports.len(), "duplicate port in {ports:?}");
        let range = range();
        for port in ports {
            assert!(range.contains(&port), "{port} not in {range:?}");
            TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
                .unwrap_or_else(|e| panic!("port {port} not bindable: {e}"));
        }
    }

    #[test]
    fn the_range_ends_where_the_ephemeral_range_starts() {
        assert_eq!(range_below(32768), 20000..32768);
        assert_eq!(range_below(49152), 20000..49152);
        let overlap = std::panic::catch_unwind(|| range_below(20500));
        let message = overlap
            .err()
            .and_then(|p| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("starts at 20500") && message.contains("ip_local_port_range"),
            "{message}"
        );
    }

    #[test]
    fn a_locked_port_is_not_handed_out() {
        let port = free_port();
        // The lock is held by this process; a second open file description cannot take it.
        assert!(lock_port(&lock_dir(), port).is_none());
    }
}
