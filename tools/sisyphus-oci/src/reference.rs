//! Image references: `[host[:port]/]repository[:tag][@digest]`, with Docker Hub shorthand
//! (`busybox` → `docker.io/library/busybox`).
//!
//! Pure parsing, shared by the packer (to check `--binary-repository`) and the registry client.

use std::fmt;
use std::str::FromStr;

use sisyphus_core::Digest;

/// The registry that references without a host go to.
pub const DOCKER_HUB: &str = "docker.io";

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    /// The registry host, with port if given: `docker.io`, `localhost:5000`, `[::1]:5000`.
    pub registry: String,
    /// The repository path: `library/busybox`, `team/echo`.
    pub repository: String,
    /// The tag, if given.
    pub tag: Option<String>,
    /// The digest, if given.
    pub digest: Option<Digest>,
}

/// Why a string is not an image reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference `{found}`: {reason}")]
pub struct ReferenceError {
    /// The text given.
    pub found: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Reference {
    /// `registry/repository`, without tag or digest.
    pub fn repository_reference(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The host without the port: `localhost`, `127.0.0.1`, `[::1]`, `docker.io`.
    pub fn host(&self) -> &str {
        if self.registry.starts_with('[') {
            match self.registry.find(']') {
                Some(end) => &self.registry[..=end],
                None => &self.registry,
            }
        } else {
            self.registry.split(':').next().unwrap_or(&self.registry)
        }
    }

    /// Whether the registry is on this machine (`localhost`, `127.0.0.1`, `[::1]`), where plain
    /// HTTP is allowed without `--insecure-registry`.
    pub fn is_loopback(&self) -> bool {
        matches!(self.host(), "localhost" | "127.0.0.1" | "[::1]")
    }

    /// This reference pinned to `digest` (the tag is dropped).
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The same repository with `tag` and no digest.
    pub fn with_tag(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(redacted) = credentials(s) {
            return Err(ReferenceError {
                found: redacted,
                reason: "credentials are not allowed in image references (they would be stored \
                         and shown); remove them and log in with `docker login <registry>` or \
                         `podman login <registry>`"
                    .to_owned(),
            });
        }
        let err = |reason: &str| ReferenceError {
            found: sisyphus_core::text::escape_line(s).into_owned(),
            reason: reason.to_owned(),
        };
        if s.contains("://") {
            return Err(err(
                "expected `[host[:port]/]repository[:tag][@digest]`, without a URL scheme",
            ));
        }
        let (rest, digest) = match s.rsplit_once('@') {
            Some((rest, d)) => (
                rest,
                Some(d.parse::<Digest>().map_err(|e| err(&e.to_string()))?),
            ),
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(t) = tag
            && !is_tag(t)
        {
            return Err(err(
                "the tag must be 1–128 characters of letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
            ));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.starts_with('[') =>
            {
                (first.to_owned(), path.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        if !is_registry(&registry) {
            return Err(err(
                "the registry must be `host` or `host:port` with a port from 1 to 65535",
            ));
        }
        let registry = if registry == "index.docker.io" || registry == "registry-1.docker.io" {
            DOCKER_HUB.to_owned()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if repository.is_empty() || !repository.split('/').all(is_path_component) {
            return Err(err(
                "the repository must be `/`-separated lowercase names (letters, digits, and `.`, `_`, `__` or `-` between them)",
            ));
        }
        Ok(Reference {
            registry,
            repository,
            tag: tag.map(str::to_owned),
            digest,
        })
    }
}

/// When `s` starts with credentials (`user:password@registry/...`), `s` with them replaced by
/// `****`; the password is never kept.
fn credentials(s: &str) -> Option<String> {
    let rest = s.split_once("://").map_or(s, |(_, rest)| rest);
    let at = rest.find('@')?;
    let before = &rest[..at];
    let after = &rest[at + 1..];
    let looks_like_digest = after.split_once(':').is_some_and(|(alg, hex)| {
        !alg.is_empty()
            && !hex.contains('/')
            && alg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+._-".contains(&b))
    });
    if before.contains('/') || looks_like_digest {
        return None;
    }
    Some(format!("****@{}", sisyphus_core::text::escape_line(after)))
}

fn is_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !t.starts_with(['.', '-'])
}

fn is_registry(r: &str) -> bool {
    let (host_ok, port) = if let Some(rest) = r.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        let ip_ok = !ip.is_empty() && ip.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        let port = match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(p) => Some(p),
                None => return false,
            },
        };
        (ip_ok, port)
    } else {
        let (host, port) = match r.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (r, None),
        };
        let host_ok = !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        (host_ok, port)
    };
    let port_ok = port.is_none_or(|p| {
        p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    host_ok && port_ok
}

fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: `.`, `_`, `__`, or one or more `-`.
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Reference {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_registries_are_valid() {
        for (s, registry, repo) in [
            ("localhost:5000/x", "localhost:5000", "x"),
            ("127.0.0.1:5000/team/x:v1", "127.0.0.1:5000", "team/x"),
            ("[::1]:5000/x", "[::1]:5000", "x"),
            ("localhost/x", "localhost", "x"),
        ] {
            let r = parse(s);
            assert_eq!(
                (r.registry.as_str(), r.repository.as_str()),
                (registry, repo),
                "{s}"
            );
            assert!(r.is_loopback(), "{s}");
            assert_eq!(r.to_string(), s);
        }
        assert_eq!(parse("[::1]:5000/x").host(), "[::1]");
        assert!(!parse("registry.example:5000/x").is_loopback());
    }

    #[test]
    fn ports_are_1_to_65535() {
        assert_eq!(parse("localhost:65535/x").registry, "localhost:65535");
        assert_eq!(
            "localhost:99999/x"
                .parse::<Reference>()
                .unwrap_err()
                .to_string(),
            "invalid image reference `localhost:99999/x`: the registry must be `host` or `host:port` with a port from 1 to 65535"
        );
    }

    #[test]
    fn docker_hub_shorthand() {
        assert_eq!(parse("busybox").to_string(), "docker.io/library/busybox");
        assert_eq!(parse("busybox:1.36").tag.as_deref(), Some("1.36"));
        assert_eq!(parse("team/app").to_string(), "docker.io/team/app");
        assert_eq!(parse("index.docker.io/library/x").registry, "docker.io");
    }

    #[test]
    fn tags_and_digests() {
        let d = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";
        let r = parse(&format!("localhost:5000/x:v1@{d}"));
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.digest.as_ref().map(Digest::as_str), Some(d));
        assert_eq!(
            r.with_digest(r.digest.clone().unwrap()).to_string(),
            format!("localhost:5000/x@{d}")
        );
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "UPPER/x",
            "localhost:5000/",
            "x:",
            "x@sha256:12",
            "a//b",
            "x:-bad",
            "host:port/x",
            "localhost:99999/x",
            "localhost:0/x",
            "localhost:+80/x",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
        assert_eq!(
            "x@sha256:12".parse::<Reference>().unwrap_err().to_string(),
            "invalid image reference `x@sha256:12`: invalid digest `sha256:12`: expected `sha256:` followed by 64 lowercase hex digits"
        );
    }
}
