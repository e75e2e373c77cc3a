//! A minimal blocking HTTP/1.1 client for health checks, so fixtures need no async runtime.
//!
//! Owns one TCP connection per call to a loopback address.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `method path` to `host` (`127.0.0.1:<port>`) and returns the response status code,
/// or `None` when nothing (or no valid HTTP) answered within a second.
pub(crate) fn status(host: &str, method: &str, path: &str) -> Option<u16> {
    let timeout = Some(Duration::from_secs(1));
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(timeout).ok()?;
    stream.set_write_timeout(timeout).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: sisyphus-test-support\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    // The registry closes the connection after the response (Connection: close).
    let _ = stream.read_to_end(&mut response);
    parse_status(&String::from_utf8_lossy(&response))
}

/// The status code of an HTTP/1.x response head.
fn parse_status(response: &str) -> Option<u16> {
    let line = response.lines().next()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|proto| proto.starts_with("HTTP/1."))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_lines() {
        assert_eq!(parse_status("HTTP/1.1 401 Unauthorized\r\n\r\n"), Some(401));
        assert_eq!(parse_status("SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_status(""), None);
    }

    #[test]
    fn nothing_listening_is_none() {
        let port = crate::ports::free_port();
        assert_eq!(status(&format!("127.0.0.1:{port}"), "GET", "/"), None);
    }
}
