//! Resolving an application's values against the host environment.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use sisyphus_core::app::{Application, Protocol, Value, Variable};
use sisyphus_core::names::{host_env_var, port_env_var};

use crate::Error;

/// A snapshot of the host environment (the CLI reads it once; tests build their own).
#[derive(Clone, Debug, Default)]
pub struct HostEnv(pub BTreeMap<String, String>);

/// The key under which [`HostEnv::from_vars_os`] records a variable set to a non-UTF-8 value
/// (no real variable name holds a NUL).
const NOT_UTF8: &str = "\0not-utf8\0";

impl HostEnv {
    /// The value of `name`, if set (and UTF-8).
    pub fn get(&self, name: &str) -> Option<&str> {
        if name.starts_with('\0') {
            return None;
        }
        self.0.get(name).map(String::as_str)
    }

    /// A snapshot of `vars` (`std::env::vars_os()`): UTF-8 names and values are kept, and a
    /// UTF-8 name set to a non-UTF-8 value is remembered as such, so a config's variable set
    /// that way is reported as not UTF-8 instead of "not set" (issue #11, item 17).
    pub fn from_vars_os(
        vars: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    ) -> HostEnv {
        let mut map = BTreeMap::new();
        for (name, value) in vars {
            let Ok(name) = name.into_string() else {
                continue;
            };
            match value.into_string() {
                Ok(value) => {
                    map.insert(name, value);
                }
                Err(_) => {
                    map.insert(format!("{NOT_UTF8}{name}"), String::new());
                }
            }
        }
        HostEnv(map)
    }

    /// Whether `name` is set to a value that is not UTF-8 (see [`HostEnv::from_vars_os`]).
    pub fn is_not_utf8(&self, name: &str) -> bool {
        self.0.contains_key(&format!("{NOT_UTF8}{name}"))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for HostEnv {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        HostEnv(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// Where the application runs: decides what a `FileVariable` turns into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A process on this host: a FileVariable's value is the host file's path.
    Host,
    /// A container: the host file is mounted at the FileVariable's path, which is the value.
    Container,
}

/// A variable that is not set in the host environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The config's variable name, e.g. `secret-token`.
    pub variable: String,
    /// The host env var that would provide it, e.g. `SECRET_TOKEN`.
    pub env_var: String,
    /// What is wrong.
    pub problem: MissingProblem,
}

/// What is wrong with a variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum MissingProblem {
    /// The StringVariable's env var is not set.
    StringUnset,
    /// The FileVariable's env var is not set.
    FileUnset,
    /// The FileVariable's env var names a file that does not exist.
    FileNotFound(String),
    /// The env var is set, to a value that is not UTF-8.
    NotUtf8,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Missing {
            variable,
            env_var,
            problem,
        } = self;
        match problem {
            MissingProblem::StringUnset => {
                write!(f, "`{env_var}` (StringVariable `{variable}`): not set")
            }
            MissingProblem::FileUnset => write!(
                f,
                "`{env_var}` (FileVariable `{variable}`): not set, expected the path of a file"
            ),
            MissingProblem::NotUtf8 => write!(
                f,
                "`{env_var}` (variable `{variable}`): set, but its value is not UTF-8 text"
            ),
            MissingProblem::FileNotFound(path) => write!(
                f,
                "`{env_var}` (FileVariable `{variable}`): `{path}` is not a file"
            ),
        }
    }
}

/// One env var the app gets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvEntry {
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
    /// Whether the value came from a StringVariable (masked when printed).
    pub secret: bool,
}

/// A port with its local number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalPort {
    /// The port name.
    pub name: String,
    /// The number after any `PORT_<NAME>` override.
    pub number: u16,
    /// The protocol.
    pub protocol: Protocol,
}

/// A FileVariable's host file and where the app expects it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileMount {
    /// The variable name.
    pub variable: String,
    /// The host file (from the variable's env var).
    pub host_path: String,
    /// The path in the config (where a container sees it).
    pub container_path: String,
}

/// Everything a local run needs: argv after the program, env, ports and files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalRun {
    /// Arguments from the config (extra command-line arguments are appended by the caller).
    pub args: Vec<LocalArg>,
    /// Env vars from the config, in declaration order.
    pub env: Vec<EnvEntry>,
    /// Ports active in the environment, sorted by name.
    pub ports: Vec<LocalPort>,
    /// Files to provide, sorted by variable name, then container path (one variable used at two
    /// paths is mounted twice).
    pub files: Vec<FileMount>,
}

/// One argument; `secret` when it came from a StringVariable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalArg {
    /// The text.
    pub value: String,
    /// Whether it is a secret (masked when printed).
    pub secret: bool,
    /// The StringVariable it came from, if any.
    pub variable: Option<String>,
}

/// The base environment a `run-config` child gets before the config's variables: these names,
/// when set on the host. Nothing else is inherited (so `SECRET_TOKEN`-style sources do not leak
/// into the app unless the config maps them).
pub const BASE_ENV: &[&str] = &[
    "HOME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "LOGNAME",
    "PATH",
    "SHELL",
    "TERM",
    "TMPDIR",
    "TZ",
    "USER",
];

/// The base environment taken from `host`: [`BASE_ENV`] plus the names in `pass`.
pub fn base_env(host: &HostEnv, pass: &[String]) -> Vec<(String, String)> {
    BASE_ENV
        .iter()
        .map(|s| (*s).to_owned())
        .chain(pass.iter().cloned())
        .filter_map(|name| host.get(&name).map(|v| (name.clone(), v.to_owned())))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect()
}

/// Resolve `app`'s values against `host` for `target`.
///
/// `StringVariable("secret-token")` reads `SECRET_TOKEN`; `FileVariable(name="google-credentials")`
/// reads a host file path from `GOOGLE_CREDENTIALS` (the file must exist; it is made absolute);
/// `Port(name="http")` takes `PORT_HTTP` when set.
///
/// # Errors
///
/// [`Error::MissingVariables`] listing every unset or broken variable at once; a bad or clashing
/// `PORT_*` override; two FileVariables at one container path.
pub fn resolve(app: &Application, host: &HostEnv, target: Target) -> Result<LocalRun, Error> {
    let ports = resolve_ports(app, host)?;
    let variables = read_variables(app, host)?;
    let value_of = |value: &Value| variables.value_of(value, &ports, target);
    let args = app.args.iter().map(value_of).collect();
    let env = app
        .env
        .iter()
        .map(|e| {
            let v = value_of(&e.value);
            EnvEntry {
                name: e.name.clone(),
                value: v.value,
                secret: v.secret,
            }
        })
        .collect();
    Ok(LocalRun {
        args,
        env,
        ports,
        files: variables.files.into_values().collect(),
    })
}

/// The host values of an application's variables.
struct Variables {
    /// StringVariable name → value.
    strings: BTreeMap<String, String>,
    /// (FileVariable name, container path) → mount: one variable may be used at several paths.
    files: BTreeMap<(String, String), FileMount>,
}

/// Read every variable `app` uses from `host`; all problems are reported at once.
fn read_variables(app: &Application, host: &HostEnv) -> Result<Variables, Error> {
    let mut missing = Vec::new();
    let mut variables = Variables {
        strings: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    for var in app.variables() {
        let name = var.name().to_owned();
        let env_var = host_env_var(&name);
        let problem = match (var, host.get(&env_var)) {
            (Variable::String { .. }, Some(value)) => {
                variables.strings.insert(name, value.to_owned());
                continue;
            }
            (_, None) if host.is_not_utf8(&env_var) => MissingProblem::NotUtf8,
            (Variable::String { .. }, None) => MissingProblem::StringUnset,
            (Variable::File { path, .. }, Some(host_path)) => match host_file(host_path) {
                Some(absolute) => {
                    let mount = FileMount {
                        variable: name.clone(),
                        host_path: absolute,
                        container_path: path.clone(),
                    };
                    variables.files.insert((name, path), mount);
                    continue;
                }
                None => MissingProblem::FileNotFound(host_path.to_owned()),
            },
            (Variable::File { .. }, None) => MissingProblem::FileUnset,
        };
        missing.push(Missing {
            variable: name,
            env_var,
            problem,
        });
    }
    if !missing.is_empty() {
        missing.sort_by(|a, b| a.variable.cmp(&b.variable));
        missing.dedup_by(|a, b| a.variable == b.variable);
        return Err(Error::MissingVariables(missing));
    }
    check_mount_paths(&variables.files)?;
    Ok(variables)
}

/// The absolute path of a regular file named by a FileVariable's env var, if it is one.
fn host_file(path: &str) -> Option<String> {
    let absolute = std::fs::canonicalize(path).ok()?;
    if !absolute.is_file() {
        return None;
    }
    absolute.into_os_string().into_string().ok()
}

/// Two variables mounted at one container path would hide one another.
fn check_mount_paths(files: &BTreeMap<(String, String), FileMount>) -> Result<(), Error> {
    let mut by_path: BTreeMap<&str, &str> = BTreeMap::new();
    for mount in files.values() {
        if let Some(first) = by_path.insert(&mount.container_path, &mount.variable) {
            return Err(Error::MountClash {
                first: first.to_owned(),
                second: mount.variable.clone(),
                path: mount.container_path.clone(),
            });
        }
    }
    Ok(())
}

impl Variables {
    /// The text a value becomes for `target`.
    fn value_of(&self, value: &Value, ports: &[LocalPort], target: Target) -> LocalArg {
        let (text, secret) = match value {
            Value::Literal { value } => (value.clone(), false),
            Value::StringVariable { name } => {
                (self.strings.get(name).cloned().unwrap_or_default(), true)
            }
            Value::FileVariable { name, path } => match target {
                Target::Host => (
                    self.files
                        .get(&(name.clone(), path.clone()))
                        .map_or_else(|| path.clone(), |f| f.host_path.clone()),
                    false,
                ),
                Target::Container => (path.clone(), false),
            },
            Value::Port { name } => (
                ports
                    .iter()
                    .find(|p| &p.name == name)
                    .map(|p| p.number.to_string())
                    .unwrap_or_default(),
                false,
            ),
        };
        let variable = match value {
            Value::StringVariable { name } => Some(name.clone()),
            _ => None,
        };
        LocalArg {
            value: text,
            secret,
            variable,
        }
    }
}

fn resolve_ports(app: &Application, host: &HostEnv) -> Result<Vec<LocalPort>, Error> {
    let mut out: Vec<LocalPort> = Vec::new();
    for port in &app.ports {
        let var = port_env_var(&port.name);
        let number = match host.get(&var) {
            Some(text) => match text.trim().parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(Error::BadPortOverride {
                        var,
                        found: text.to_owned(),
                    });
                }
            },
            None => port.number,
        };
        if let Some(other) = out.iter().find(|p| p.number == number) {
            return Err(Error::PortClash {
                first: other.name.clone(),
                second: port.name.clone(),
                number,
            });
        }
        out.push(LocalPort {
            name: port.name.clone(),
            number,
            protocol: port.protocol,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use sisyphus_core::app::{EnvVar, Port};

    fn app() -> Application {
        Application {
            args: vec![
                Value::Literal {
                    value: "--spec".into(),
                },
                Value::StringVariable {
                    name: "secret-token".into(),
                },
                Value::Port {
                    name: "http".into(),
                },
            ],
            env: vec![
                EnvVar {
                    name: "TOKEN".into(),
                    value: Value::StringVariable {
                        name: "secret-token".into(),
                    },
                },
                EnvVar {
                    name: "CREDS".into(),
                    value: Value::FileVariable {
                        name: "google-credentials".into(),
                        path: "/etc/creds.json".into(),
                    },
                },
                EnvVar {
                    name: "HTTP_PORT".into(),
                    value: Value::Port {
                        name: "http".into(),
                    },
                },
            ],
            ports: vec![Port {
                name: "http".into(),
                number: 8080,
                protocol: Protocol::Tcp,
                assigned: false,
            }],
            ..Application::default()
        }
    }

    #[test]
    fn lists_every_missing_variable_at_once() {
        let err = resolve(&app(), &HostEnv::default(), Target::Host).unwrap_err();
        assert_eq!(
            err.to_string(),
            "variables the config needs are not set in the environment:\n  \
             `GOOGLE_CREDENTIALS` (FileVariable `google-credentials`): not set, expected the path of a file\n  \
             `SECRET_TOKEN` (StringVariable `secret-token`): not set"
        );
    }

    /// Issue #11, item 17: a value that is not UTF-8 was reported as "not set".
    #[test]
    fn a_non_utf8_value_is_not_called_unset() {
        use std::os::unix::ffi::OsStringExt as _;
        let host = HostEnv::from_vars_os([
            (
                std::ffi::OsString::from("SECRET_TOKEN"),
                std::ffi::OsString::from_vec(vec![0xff, 0xfe]),
            ),
            ("GOOGLE_CREDENTIALS".into(), "/nonexistent".into()),
        ]);
        assert_eq!(host.get("SECRET_TOKEN"), None);
        let err = resolve(&app(), &host, Target::Host).unwrap_err();
        assert!(
            err.to_string().contains(
                "`SECRET_TOKEN` (variable `secret-token`): set, but its value is not UTF-8 text"
            ),
            "{err}"
        );
    }

    #[test]
    fn resolves_values_for_host_and_container() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().canonicalize().unwrap().join("creds.json");
        std::fs::write(&creds, "{}").unwrap();
        let host: HostEnv = [
            ("SECRET_TOKEN", "s3cret"),
            ("GOOGLE_CREDENTIALS", creds.to_str().unwrap()),
            ("PORT_HTTP", "9090"),
        ]
        .into_iter()
        .collect();
        let run = resolve(&app(), &host, Target::Host).unwrap();
        let args: Vec<_> = run.args.iter().map(|a| a.value.as_str()).collect();
        assert_eq!(args, ["--spec", "s3cret", "9090"]);
        assert!(run.args[1].secret);
        assert_eq!(run.env[1].value, creds.to_str().unwrap());
        assert_eq!(run.env[2].value, "9090");
        let run = resolve(&app(), &host, Target::Container).unwrap();
        assert_eq!(run.env[1].value, "/etc/creds.json");
        assert_eq!(run.files[0].host_path, creds.to_str().unwrap());
    }

    #[test]
    fn one_file_variable_at_two_paths_is_mounted_twice() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().canonicalize().unwrap().join("c.json");
        std::fs::write(&creds, "{}").unwrap();
        let file = |path: &str| Value::FileVariable {
            name: "c".into(),
            path: path.into(),
        };
        let env = |name: &str, value| EnvVar {
            name: name.into(),
            value,
        };
        let app = Application {
            env: vec![env("A", file("/a.json")), env("B", file("/b.json"))],
            ..Application::default()
        };
        // A relative path on the host is made absolute.
        let relative = pathdiff(&creds);
        let host: HostEnv = [("C", relative.as_str())].into_iter().collect();
        let run = resolve(&app, &host, Target::Container).unwrap();
        let mounts: Vec<(&str, &str)> = run
            .files
            .iter()
            .map(|f| (f.host_path.as_str(), f.container_path.as_str()))
            .collect();
        let host_path = creds.to_str().unwrap();
        assert_eq!(mounts, [(host_path, "/a.json"), (host_path, "/b.json")]);
        assert_eq!(run.env[0].value, "/a.json");
        assert_eq!(run.env[1].value, "/b.json");
        let run = resolve(&app, &host, Target::Host).unwrap();
        assert_eq!(run.env[1].value, host_path);
    }

    /// `path` relative to the current directory (`../..` up to the root, then down).
    fn pathdiff(path: &Path) -> String {
        let cwd = std::env::current_dir().unwrap();
        let ups = cwd.components().count() - 1;
        let rest = path.strip_prefix("/").unwrap();
        format!("{}{}", "../".repeat(ups), rest.display())
    }

    #[test]
    fn two_file_variables_at_one_path_clash() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("c.json");
        std::fs::write(&creds, "{}").unwrap();
        let file = |name: &str| Value::FileVariable {
            name: name.into(),
            path: "/etc/c.json".into(),
        };
        let app = Application {
            args: vec![file("a"), file("b")],
            ..Application::default()
        };
        let p = creds.to_str().unwrap();
        let host: HostEnv = [("A", p), ("B", p)].into_iter().collect();
        assert_eq!(
            resolve(&app, &host, Target::Container)
                .unwrap_err()
                .to_string(),
            "FileVariables `a` and `b` are both mounted at `/etc/c.json`"
        );
    }

    #[test]
    fn rejects_bad_port_override() {
        let host: HostEnv = [("SECRET_TOKEN", "x"), ("PORT_HTTP", "http")]
            .into_iter()
            .collect();
        let err = resolve(&app(), &host, Target::Host).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`PORT_HTTP` is `http`, expected a port number from 1 to 65535"
        );
    }

    #[test]
    fn base_env_keeps_only_listed_names() {
        let host: HostEnv = [("PATH", "/bin"), ("SECRET_TOKEN", "x"), ("EXTRA", "1")]
            .into_iter()
            .collect();
        assert_eq!(
            base_env(&host, &[]),
            vec![("PATH".to_owned(), "/bin".to_owned())]
        );
        assert_eq!(base_env(&host, &["EXTRA".to_owned()]).len(), 2);
    }
}
