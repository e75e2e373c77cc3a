//! Database URLs: which dialect, where, and a form safe to print.
//!
//! In: the `--database-url` text (or an SQLite path). Out: a [`DatabaseUrl`] that knows its
//! [`Dialect`] and connect options, and whose `Display` and `Debug` replace any password with
//! `****`. Touches nothing (no file or network access).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::PgConnectOptions;

use crate::error::{Cause, Error};

/// What a password is shown as.
pub(crate) const PASSWORD_MASK: &str = "****";

/// The SQL dialects the state database speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// SQLite (embedded; a file or memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl Dialect {
    /// `sqlite`, `postgres` or `mysql`: the folder under `migrations/`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an SQLite database lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SqliteTarget {
    /// A file (created if missing).
    File(PathBuf),
    /// A private in-memory database (tests).
    Memory,
}

#[derive(Clone)]
pub(crate) enum Target {
    Sqlite(SqliteTarget),
    Postgres(Box<PgConnectOptions>),
    MySql(Box<MySqlConnectOptions>),
}

/// A parsed database URL. Printing it (`Display` or `Debug`) never shows a password.
///
/// Accepted forms:
///
/// | URL | database |
/// | --- | --- |
/// | `sqlite://state.db`, `sqlite:state.db` | SQLite file `state.db` (relative to the working directory) |
/// | `sqlite:///var/lib/sisyphus/state.db` | SQLite file at an absolute path |
/// | `sqlite::memory:` | a private in-memory SQLite database (tests) |
/// | `postgres://user:password@host:5432/db`, `postgresql://...` | PostgreSQL |
/// | `mysql://user:password@host:3306/db`, `mariadb://...` | MySQL or MariaDB |
///
/// SQLite paths may be percent-encoded (`%20` for a space); SQLite URLs take no `?options`.
/// PostgreSQL and MySQL URLs take sqlx's options (`?sslmode=require`, ...).
#[derive(Clone)]
pub struct DatabaseUrl {
    target: Target,
    /// The URL with its password replaced by `****`.
    redacted: String,
    /// Its passwords (as written and decoded), to scrub from driver errors.
    secrets: Vec<String>,
}

impl DatabaseUrl {
    /// Parses `url`.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedUrl`] for an unknown scheme (or text that is not a URL),
    /// [`Error::InvalidUrl`] when the URL does not parse; neither shows the password.
    pub fn parse(url: &str) -> Result<DatabaseUrl, Error> {
        let url = url.trim();
        let is_sqlite = url
            .get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("sqlite:"));
        // SQLite URLs hold no password; a path is shown as written.
        let redacted = if is_sqlite {
            url.to_owned()
        } else {
            redact(url)
        };
        let secrets = passwords(url);
        let invalid = |reason: &dyn std::error::Error| Error::InvalidUrl {
            url: redacted.clone(),
            source: Cause::scrubbed(reason, &secrets),
        };
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(Error::UnsupportedUrl {
                url: redacted.clone(),
            });
        };
        let target = match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Target::Sqlite(parse_sqlite(rest).map_err(|reason| Error::InvalidUrl {
                url: redacted.clone(),
                source: Cause::message(reason),
            })?),
            "postgres" | "postgresql" => Target::Postgres(Box::new(
                PgConnectOptions::from_str(url).map_err(|error| invalid(&error))?,
            )),
            "mysql" | "mariadb" => {
                let url = format!("mysql:{rest}");
                Target::MySql(Box::new(
                    MySqlConnectOptions::from_str(&url).map_err(|error| invalid(&error))?,
                ))
            }
            _ => {
                return Err(Error::UnsupportedUrl {
                    url: redacted.clone(),
                });
            }
        };
        Ok(DatabaseUrl {
            target,
            redacted,
            secrets,
        })
    }

    /// The SQLite database in file `path` (created if missing; its directory must exist).
    pub fn sqlite_file(path: impl Into<PathBuf>) -> DatabaseUrl {
        let path = path.into();
        DatabaseUrl {
            redacted: format!("sqlite://{}", path.display()),
            target: Target::Sqlite(SqliteTarget::File(path)),
            secrets: Vec::new(),
        }
    }

    /// A private in-memory SQLite database, gone when the [`crate::Store`] closes (tests).
    pub fn sqlite_memory() -> DatabaseUrl {
        DatabaseUrl {
            redacted: "sqlite::memory:".to_owned(),
            target: Target::Sqlite(SqliteTarget::Memory),
            secrets: Vec::new(),
        }
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        match self.target {
            Target::Sqlite(_) => Dialect::Sqlite,
            Target::Postgres(_) => Dialect::Postgres,
            Target::MySql(_) => Dialect::MySql,
        }
    }

    /// The SQLite file, for an SQLite database in a file.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.target {
            Target::Sqlite(SqliteTarget::File(path)) => Some(path),
            _ => None,
        }
    }

    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    pub(crate) fn secrets(&self) -> &[String] {
        &self.secrets
    }
}

impl fmt::Display for DatabaseUrl {
    /// The URL with any password replaced by `****`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl").field(&self.redacted).finish()
    }
}

/// The part after `sqlite:`: `//path`, `///abs/path`, `path` or `:memory:`.
fn parse_sqlite(rest: &str) -> Result<SqliteTarget, String> {
    if rest == ":memory:" || rest == "//:memory:" {
        return Ok(SqliteTarget::Memory);
    }
    if rest.contains('?') || rest.contains('#') {
        return Err(
            "an SQLite URL takes no `?` options; percent-encode `?` and `#` in the path \
                    (`%3F`, `%23`)"
                .to_owned(),
        );
    }
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.is_empty() {
        return Err(
            "the SQLite URL names no file; expected `sqlite://state.db` or \
                    `sqlite:///absolute/path/state.db`"
                .to_owned(),
        );
    }
    let path = percent_decode(path).ok_or_else(|| {
        "the SQLite path has an invalid percent escape or is not UTF-8 once decoded".to_owned()
    })?;
    Ok(SqliteTarget::File(PathBuf::from(path)))
}

/// `%XX` escapes decoded; `None` for a malformed escape or bytes that are not UTF-8.
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Where the user info and host of `scheme://user:password@host/...` may be: `(start, end)`
/// byte offsets in `url`, up to the first `?` or `#`. Not up to the first `/`: an unencoded
/// `/` in a password must not leave the rest of it in clear.
fn authority(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['?', '#'])
        .map_or(url.len(), |offset| start + offset);
    Some((start, end))
}

/// Query parameters that hold passwords (PostgreSQL and MySQL accept `?password=`).
fn is_password_parameter(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password") || key == "pass" || key == "pwd"
}

/// `url` with the password of its user info and of any password query parameter replaced by
/// `****`.
pub(crate) fn redact(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some((start, end)) = authority(url)
        && let Some(at) = url[start..end].rfind('@')
        && let Some(colon) = url[start..start + at].find(':')
    {
        out = format!(
            "{}{PASSWORD_MASK}{}",
            &url[..start + colon + 1],
            &url[start + at..]
        );
    }
    match out.split_once('?') {
        Some((head, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((query, fragment)) => (query, Some(fragment)),
                None => (query, None),
            };
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if is_password_parameter(key) => {
                        format!("{key}={PASSWORD_MASK}")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            let mut redacted = format!("{head}?{}", query.join("&"));
            if let Some(fragment) = fragment {
                redacted.push('#');
                redacted.push_str(fragment);
            }
            redacted
        }
        None => out,
    }
}

/// Every password in `url`, as written and percent-decoded, to scrub from error messages.
pub(crate) fn passwords(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((start, end)) = authority(url)
        && let Some(at) = url[start..end].rfind('@')
        && let Some(colon) = url[start..start + at].find(':')
    {
        found.push(url[start + colon + 1..start + at].to_owned());
    }
    if let Some((_, query)) = url.split_once('?') {
        let query = query.split('#').next().unwrap_or("");
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=')
                && is_password_parameter(key)
            {
                found.push(value.to_owned());
                found.push(value.replace('+', " "));
            }
        }
    }
    let decoded: Vec<String> = found.iter().filter_map(|p| percent_decode(p)).collect();
    found.extend(decoded);
    found.retain(|password| !password.is_empty());
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_user_info_and_query_passwords() {
        assert_eq!(
            redact("postgres://user:hunter2@host:5432/db"),
            "postgres://user:****@host:5432/db"
        );
        assert_eq!(
            redact("mysql://u:p%40ss@w@host/db?sslmode=require"),
            "mysql://u:****@host/db?sslmode=require"
        );
        assert_eq!(
            redact("postgres://host/db?user=u&password=hunter2#x"),
            "postgres://host/db?user=u&password=****#x"
        );
        assert_eq!(redact("postgres://user@host/db"), "postgres://user@host/db");
        assert_eq!(
            redact("postgres://u:pa/ss@host/db"),
            "postgres://u:****@host/db"
        );
    }

    #[test]
    fn finds_passwords_raw_and_decoded() {
        assert_eq!(
            passwords("postgres://u:p%40ss@host/db?password=a+b"),
            ["a b", "a+b", "p%40ss", "p@ss"]
        );
    }

    #[test]
    fn sqlite_forms() {
        let file = |url: &str| DatabaseUrl::parse(url).map(|u| u.sqlite_path().map(Path::to_owned));
        assert_eq!(file("sqlite://state.db").unwrap(), Some("state.db".into()));
        assert_eq!(file("sqlite:state.db").unwrap(), Some("state.db".into()));
        assert_eq!(
            file("sqlite:///abs/s.db").unwrap(),
            Some("/abs/s.db".into())
        );
        assert_eq!(file("sqlite:///a%20b.db").unwrap(), Some("/a b.db".into()));
        assert_eq!(file("sqlite::memory:").unwrap(), None);
        assert!(file("sqlite://").is_err());
        assert!(file("sqlite://x.db?mode=ro").is_err());
        assert_eq!(
            DatabaseUrl::parse("sqlite:///abs/s.db")
                .unwrap()
                .to_string(),
            "sqlite:///abs/s.db"
        );
    }
}
