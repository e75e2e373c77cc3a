//! Where credentials come from: Docker's `config.json` (`auths`, `credsStore`, `credHelpers`)
//! and Podman's `auth.json`. No file at all means anonymous access.

use std::path::{Path, PathBuf};

use docker_credential::{CredentialRetrievalError, DockerCredential};
use oci_client::secrets::RegistryAuth;

use crate::Error;

/// The credential files to consult, in order. The CLI builds this from the environment
/// ([`CredentialSource::from_env`]); tests name files directly.
#[derive(Clone, Debug, Default)]
pub struct CredentialSource {
    /// Docker config files (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`).
    pub docker_configs: Vec<PathBuf>,
    /// Podman auth files (`$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`).
    pub podman_auth_files: Vec<PathBuf>,
}

impl CredentialSource {
    /// The standard locations, from environment values the caller reads (`var("HOME")` etc.).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> CredentialSource {
        let docker_configs = match (var("DOCKER_CONFIG"), var("HOME")) {
            (Some(dir), _) => vec![Path::new(&dir).join("config.json")],
            (None, Some(home)) => vec![Path::new(&home).join(".docker").join("config.json")],
            (None, None) => vec![],
        };
        let podman_auth_files = match (var("REGISTRY_AUTH_FILE"), var("XDG_RUNTIME_DIR")) {
            (Some(file), _) => vec![PathBuf::from(file)],
            (None, Some(dir)) => vec![Path::new(&dir).join("containers").join("auth.json")],
            (None, None) => vec![],
        };
        CredentialSource {
            docker_configs,
            podman_auth_files,
        }
    }

    /// Anonymous access only: consult no file.
    pub fn anonymous() -> CredentialSource {
        CredentialSource::default()
    }

    /// The credentials for `registry` (`host[:port]`; `docker.io` for Docker Hub): the first
    /// file that has an entry wins; none → anonymous. Credential helpers
    /// (`docker-credential-<name>`) are run as `docker_credential` finds them on `PATH`.
    ///
    /// # Errors
    ///
    /// [`Error::CredentialFile`] when a file exists but cannot be read (permissions, a
    /// directory), [`Error::Credentials`] when it cannot be parsed or a helper fails.
    pub fn auth_for(&self, registry: &str) -> Result<RegistryAuth, Error> {
        let server = if registry == sisyphus_oci::reference::DOCKER_HUB {
            "https://index.docker.io/v1/"
        } else {
            registry
        };
        for file in self.docker_configs.iter().chain(&self.podman_auth_files) {
            let f = match fs_err::File::open(file) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(Error::CredentialFile {
                        registry: registry.to_owned(),
                        source,
                    });
                }
            };
            let found =
                docker_credential::get_credential_from_reader(std::io::BufReader::new(f), server);
            match found {
                Ok(DockerCredential::UsernamePassword(user, password)) => {
                    return Ok(RegistryAuth::Basic(user, password));
                }
                Ok(DockerCredential::IdentityToken(_)) => {
                    // An identity token is an OAuth refresh token; oci-client has no refresh
                    // grant, so it cannot be used. Go on looking.
                    tracing::warn!(
                        "ignoring the identity token for `{registry}` in `{}`: refresh tokens are not supported",
                        file.display()
                    );
                }
                Err(CredentialRetrievalError::NoCredentialConfigured) => {}
                Err(source) => {
                    return Err(Error::Credentials {
                        registry: registry.to_owned(),
                        source_name: format!("`{}`", file.display()),
                        source,
                    });
                }
            }
        }
        Ok(RegistryAuth::Anonymous)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_means_anonymous() {
        let source = CredentialSource {
            docker_configs: vec![PathBuf::from("/nonexistent/config.json")],
            podman_auth_files: vec![],
        };
        assert!(matches!(
            source.auth_for("localhost:5000"),
            Ok(RegistryAuth::Anonymous)
        ));
    }

    #[test]
    fn an_unreadable_file_is_an_error_not_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        // A path through a regular file: opening fails with ENOTDIR, which stands in for EACCES
        // (root, who runs the tests, is never denied).
        let file = dir.path().join("file");
        fs_err::write(&file, "").unwrap();
        let source = CredentialSource {
            docker_configs: vec![file.join("config.json")],
            podman_auth_files: vec![],
        };
        let err = source.auth_for("localhost:5000");
        match err {
            Err(Error::CredentialFile { .. }) => {}
            other => panic!("expected a credential file error, got {other:?}"),
        }
    }

    #[test]
    fn reads_auths_from_docker_then_podman_files() {
        let dir = tempfile::tempdir().unwrap();
        let docker = dir.path().join("config.json");
        let podman = dir.path().join("auth.json");
        // "alice:secret" in base64.
        fs_err::write(
            &docker,
            r#"{"auths":{"other:1":{"auth":"YWxpY2U6c2VjcmV0"}}}"#,
        )
        .unwrap();
        fs_err::write(
            &podman,
            r#"{"auths":{"localhost:5000":{"auth":"YWxpY2U6c2VjcmV0"}}}"#,
        )
        .unwrap();
        let source = CredentialSource {
            docker_configs: vec![docker],
            podman_auth_files: vec![podman],
        };
        match source.auth_for("localhost:5000").unwrap() {
            RegistryAuth::Basic(u, p) => assert_eq!((u.as_str(), p.as_str()), ("alice", "secret")),
            other => panic!("expected basic auth, got {other:?}"),
        }
        assert!(matches!(
            source.auth_for("third:2"),
            Ok(RegistryAuth::Anonymous)
        ));
    }

    #[test]
    fn env_locations() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/u".to_owned()),
            "XDG_RUNTIME_DIR" => Some("/run/user/1".to_owned()),
            _ => None,
        };
        let s = CredentialSource::from_env(env);
        assert_eq!(
            s.docker_configs,
            [PathBuf::from("/home/u/.docker/config.json")]
        );
        assert_eq!(
            s.podman_auth_files,
            [PathBuf::from("/run/user/1/containers/auth.json")]
        );
    }
}
