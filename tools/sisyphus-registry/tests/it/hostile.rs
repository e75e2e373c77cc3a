//! Registries that misbehave on purpose (issue #11, items 3 and 4): endless or huge bodies and
//! trickled headers end with an error naming the registry, in bounded time and memory.
//! <https://github.com/sisyphus/sisyphus/issues/11>
//!
//! No real registry does this, so these run against `FakeRegistry`, a small TCP server in this
//! file that answers every request with one canned behaviour.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use sisyphus_registry::{Error, Timeouts, pull_config_image, resolve};

use crate::common::*;

const DIGEST: &str = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";

/// What the fake registry does with every request.
#[derive(Clone, Copy)]
enum Behaviour {
    /// 200 with a chunked body that never ends.
    EndlessBody,
    /// 500 with a chunked body that never ends.
    EndlessErrorBody,
    /// 200 announcing a 64 MiB body (and sending it).
    HugeBody,
    /// One byte of the status line every 500 ms, forever.
    Trickle,
    /// 401 with a bearer challenge whose token service (`/token`) sends a body that never
    /// ends.
    EndlessToken,
    /// A token flow that works: `/token` gives `t0k`, manifests answer `DIGEST` to requests
    /// that carry it and 401 to others.
    Token,
    /// HEAD: 200 without a `Docker-Content-Digest` header; GET: a body that never ends.
    NoDigestEndless,
    /// HEAD: 200 without a `Docker-Content-Digest` header; GET: `{}`.
    NoDigest,
}

/// A fake registry on a loopback port (plain HTTP), serving each connection on a thread.
struct FakeRegistry {
    host: String,
}

impl FakeRegistry {
    fn start(behaviour: Behaviour) -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let shared = host.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let host = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, behaviour, &host);
                });
            }
        });
        FakeRegistry { host }
    }
}

/// Writes a chunked body that never ends.
fn endless(stream: &mut TcpStream, status: &str) -> std::io::Result<()> {
    let chunk = vec![b' '; 64 << 10];
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )?;
    loop {
        write!(stream, "{:x}\r\n", chunk.len())?;
        stream.write_all(&chunk)?;
        stream.write_all(b"\r\n")?;
    }
}

fn serve(stream: TcpStream, behaviour: Behaviour, host: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        // Read one request head: its request line and whether it carries the fake token.
        let mut line = String::new();
        let mut request = String::new();
        let mut has_token = false;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if request.is_empty() {
                request = line.clone();
            }
            has_token |= line.eq_ignore_ascii_case("authorization: Bearer t0k\r\n");
            if line == "\r\n" {
                break;
            }
        }
        let head = request.starts_with("HEAD ");
        let token_path = request
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .starts_with("/token");
        let challenge = format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://{host}/token\",service=\"fake\"\r\nContent-Length: 0\r\n\r\n"
        );
        let chunk = vec![b' '; 64 << 10];
        match behaviour {
            Behaviour::EndlessToken if token_path => endless(&mut stream, "200 OK")?,
            Behaviour::EndlessToken => stream.write_all(challenge.as_bytes())?,
            Behaviour::Token if token_path => {
                let body = r#"{"token":"t0k","expires_in":300}"#;
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )?;
            }
            Behaviour::Token if has_token => write!(
                stream,
                "HTTP/1.1 200 OK\r\nDocker-Content-Digest: {DIGEST}\r\nContent-Length: 0\r\n\r\n"
            )?,
            Behaviour::Token => stream.write_all(challenge.as_bytes())?,
            Behaviour::NoDigestEndless | Behaviour::NoDigest if head => stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 2\r\n\r\n",
            )?,
            Behaviour::NoDigestEndless => endless(&mut stream, "200 OK")?,
            Behaviour::NoDigest => stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 2\r\n\r\n{}",
            )?,
            Behaviour::EndlessBody => endless(&mut stream, "200 OK")?,
            Behaviour::EndlessErrorBody => endless(&mut stream, "500 Internal Server Error")?,
            Behaviour::HugeBody => {
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n",
                    64u64 << 20
                )?;
                for _ in 0..1024 {
                    stream.write_all(&chunk)?;
                }
            }
            Behaviour::Trickle => {
                for b in b"HTTP/1.1 200 OK\r\nX-Slow: " {
                    stream.write_all(&[*b])?;
                    std::thread::sleep(Duration::from_millis(500));
                }
                loop {
                    stream.write_all(b"a")?;
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
    }
}

/// The process's resident memory in KiB (Linux), to check a body was not buffered.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_endless_manifest_body_is_cut_at_4_mib() {
    let fake = FakeRegistry::start(Behaviour::EndlessBody);
    let tmp = tmp();
    let r = reference(&format!("{}/cfg@{DIGEST}", fake.host));
    let before = rss_kib();
    let start = Instant::now();
    let err = pull_config_image(&client(), &r, tmp.path())
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` sent more than 4194304 bytes for manifest `{r}`",
            fake.host
        )
    );
    // Grew memory until the process aborted before.
    assert!(
        rss_kib().saturating_sub(before) < 256 << 10,
        "{} KiB",
        rss_kib() - before
    );
}

#[tokio::test]
async fn a_64_mib_manifest_is_refused_without_reading_it() {
    let fake = FakeRegistry::start(Behaviour::HugeBody);
    let tmp = tmp();
    let r = reference(&format!("{}/cfg@{DIGEST}", fake.host));
    let err = pull_config_image(&client(), &r, tmp.path())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 4194304, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn an_endless_error_body_is_cut_and_shown_escaped() {
    let fake = FakeRegistry::start(Behaviour::EndlessErrorBody);
    let tmp = tmp();
    let r = reference(&format!("{}/cfg@{DIGEST}", fake.host));
    let start = Instant::now();
    let err = pull_config_image(&client(), &r, tmp.path())
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    let source = std::error::Error::source(&err)
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert!(
        err.to_string().starts_with("failed to pull manifest"),
        "{err}"
    );
    assert!(source.len() < 1000, "{} bytes: {source}", source.len());
}

#[tokio::test]
async fn a_registry_trickling_its_answer_hits_the_overall_deadline() {
    let fake = FakeRegistry::start(Behaviour::Trickle);
    let tmp = tmp();
    let client = client().with_timeouts(Timeouts {
        overall: Duration::from_secs(3),
        ..Timeouts::default()
    });
    // Waited forever before: each byte came well within the read timeout.
    for tagged in [true, false] {
        let r = if tagged {
            reference(&format!("{}/cfg:v1", fake.host))
        } else {
            reference(&format!("{}/cfg@{DIGEST}", fake.host))
        };
        let start = Instant::now();
        let err = if tagged {
            resolve(&client, &r).await.unwrap_err()
        } else {
            pull_config_image(&client, &r, tmp.path())
                .await
                .unwrap_err()
        };
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "{:?}",
            start.elapsed()
        );
        let operation = if tagged { "resolve" } else { "pull" };
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` did not answer in time: {operation} `{r}` took more than 3 s",
                fake.host
            )
        );
        assert!(err.hint().is_some());
    }
}

#[tokio::test]
async fn an_endless_token_response_is_cut_at_1_mib() {
    let fake = FakeRegistry::start(Behaviour::EndlessToken);
    let tmp = tmp();
    let expected = format!(
        "the token service `http://{0}/token` of `{0}` sent more than 1048576 bytes for a token",
        fake.host
    );
    let before = rss_kib();
    // Read whole by oci-client before, bounded only by the overall deadline.
    for tagged in [true, false] {
        let start = Instant::now();
        let err = if tagged {
            resolve(&client(), &reference(&format!("{}/cfg:v1", fake.host)))
                .await
                .unwrap_err()
        } else {
            let r = reference(&format!("{}/cfg@{DIGEST}", fake.host));
            pull_config_image(&client(), &r, tmp.path())
                .await
                .unwrap_err()
        };
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(err, Error::TokenTooLarge { .. }), "{err}");
        assert_eq!(err.to_string(), expected);
    }
    assert!(
        rss_kib().saturating_sub(before) < 64 << 10,
        "{} KiB",
        rss_kib() - before
    );
}

#[tokio::test]
async fn a_token_from_the_token_service_is_sent_with_the_request() {
    let fake = FakeRegistry::start(Behaviour::Token);
    let r = reference(&format!("{}/cfg:v1", fake.host));
    assert_eq!(resolve(&client(), &r).await.unwrap().to_string(), DIGEST);
}

#[tokio::test]
async fn an_endless_manifest_without_a_digest_header_is_cut_at_4_mib() {
    let fake = FakeRegistry::start(Behaviour::NoDigestEndless);
    let r = reference(&format!("{}/cfg:v1", fake.host));
    let before = rss_kib();
    let start = Instant::now();
    // Read whole by oci-client before, bounded only by the overall deadline.
    let err = resolve(&client(), &r).await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` sent more than 4194304 bytes for manifest `{r}`",
            fake.host
        )
    );
    assert!(
        rss_kib().saturating_sub(before) < 64 << 10,
        "{} KiB",
        rss_kib() - before
    );
}

#[tokio::test]
async fn without_a_digest_header_the_digest_is_that_of_the_manifest() {
    let fake = FakeRegistry::start(Behaviour::NoDigest);
    let r = reference(&format!("{}/cfg:v1", fake.host));
    assert_eq!(
        resolve(&client(), &r).await.unwrap(),
        sisyphus_oci::sha256(b"{}")
    );
}
