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
}

/// A fake registry on a loopback port (plain HTTP), serving each connection on a thread.
struct FakeRegistry {
    host: String,
}

impl FakeRegistry {
    fn start(behaviour: Behaviour) -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let _ = serve(stream, behaviour);
                });
            }
        });
        FakeRegistry { host }
    }
}

fn serve(stream: TcpStream, behaviour: Behaviour) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        // Read one request head.
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" {
                break;
            }
        }
        let chunk = vec![b' '; 64 << 10];
        match behaviour {
            Behaviour::EndlessBody | Behaviour::EndlessErrorBody => {
                let status = if matches!(behaviour, Behaviour::EndlessBody) {
                    "200 OK"
                } else {
                    "500 Internal Server Error"
                };
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
