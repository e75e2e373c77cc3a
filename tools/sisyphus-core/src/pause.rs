//! Pauses: a Sisyphus resource, or every resource of a namespace, that pushes leave exactly as
//! it is in every cluster (not updated, not recreated, not deleted). The state database keeps
//! them; diff moves the changes they hold out of the change set into [`Skipped`] entries.
//!
//! A target is written `KIND/NAMESPACE/NAME` for a resource (`Deployment/web/echo`; the
//! middle part is the folder that declares it, a namespace name or `global`) and
//! `namespace/NAME` for a whole namespace.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::change::Change;
use crate::desired::{ObjectKey, ResourceId};
use crate::production::{Resource, ResourceKind};
use crate::state::RecordedObject;

/// The word that starts a namespace target (`namespace/web`).
pub const NAMESPACE_TARGET: &str = "namespace";

/// What is paused.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PauseTarget {
    /// One Sisyphus resource.
    Resource(ResourceId),
    /// Every resource of a namespace folder, and every object in that namespace.
    Namespace(String),
}

impl PauseTarget {
    /// Reads `KIND/NAMESPACE/NAME` (kind in any case: `deployment/web/echo`) or
    /// `namespace/NAME`.
    ///
    /// # Errors
    ///
    /// What is wrong with `text`, with the expected form.
    pub fn parse(text: &str) -> Result<PauseTarget, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let expected = "expected `KIND/NAMESPACE/NAME` (KIND one of `Deployment`, `CronJob`, \
                        `KubernetesYaml`; NAMESPACE the folder, or `global`) or `namespace/NAME`";
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("invalid resource `{text}`: {expected}"));
        }
        match parts.as_slice() {
            [word, name] if word.eq_ignore_ascii_case(NAMESPACE_TARGET) => {
                Ok(PauseTarget::Namespace((*name).to_owned()))
            }
            [kind, folder, name] => {
                let Some(kind) = parse_kind(kind) else {
                    return Err(format!(
                        "invalid resource `{text}`: unknown kind `{kind}`, {expected}"
                    ));
                };
                Ok(PauseTarget::Resource(ResourceId {
                    kind,
                    folder: (*folder).to_owned(),
                    name: (*name).to_owned(),
                }))
            }
            _ => Err(format!("invalid resource `{text}`: {expected}")),
        }
    }

    /// Reads `KIND/NAMESPACE/NAME` (kind in any case) as a resource; `namespace/NAME` is an
    /// error here, for what takes one resource only.
    ///
    /// # Errors
    ///
    /// What is wrong with `text`, with the expected form.
    pub fn parse_resource(text: &str) -> Result<ResourceId, String> {
        match PauseTarget::parse(text)? {
            PauseTarget::Resource(resource) => Ok(resource),
            PauseTarget::Namespace(_) => Err(format!(
                "expected a resource `KIND/NAMESPACE/NAME`, not a namespace: `{text}`"
            )),
        }
    }

    /// Whether this target holds `resource` as a whole: it is that resource, or the namespace
    /// folder that declares it.
    pub fn holds_resource(&self, resource: &ResourceId) -> bool {
        match self {
            PauseTarget::Resource(r) => r == resource,
            PauseTarget::Namespace(ns) => *ns == resource.folder,
        }
    }

    /// Whether this target holds `change`: its resource (desired or recorded) is the paused
    /// resource or comes from the paused namespace folder, or (for a namespace) the object lives
    /// in that namespace or is that Namespace.
    pub fn holds(&self, change: &Change) -> bool {
        let resources = [
            change.desired.as_ref().and_then(|d| d.resource.as_ref()),
            change.recorded.as_ref().and_then(|r| r.resource.as_ref()),
        ];
        match self {
            PauseTarget::Resource(paused) => resources.into_iter().flatten().any(|r| r == paused),
            PauseTarget::Namespace(ns) => {
                resources.into_iter().flatten().any(|r| &r.folder == ns)
                    || change.key.namespace.as_deref() == Some(ns.as_str())
                    || is_namespace_object(&change.key, ns)
            }
        }
    }
}

impl PauseTarget {
    /// Whether the files declare it: a resource of this kind, folder and name, or (for a
    /// namespace) any resource in that folder.
    pub fn declared_in(&self, resources: &[Resource]) -> bool {
        resources.iter().any(|r| match self {
            PauseTarget::Resource(id) => {
                r.kind() == id.kind && r.folder == id.folder && r.name == id.name
            }
            PauseTarget::Namespace(ns) => &r.folder == ns,
        })
    }

    /// Whether the state records it: an object of that resource, or (for a namespace) an
    /// object of a resource in that folder or in that namespace, or that Namespace.
    pub fn recorded_in<'a>(&self, mut recorded: impl Iterator<Item = &'a RecordedObject>) -> bool {
        recorded.any(|r| match self {
            PauseTarget::Resource(id) => r.resource.as_ref() == Some(id),
            PauseTarget::Namespace(ns) => {
                r.resource.as_ref().is_some_and(|id| &id.folder == ns)
                    || r.key.namespace.as_deref() == Some(ns.as_str())
                    || is_namespace_object(&r.key, ns)
            }
        })
    }
}

/// Whether `key` is the Namespace object `name`.
pub fn is_namespace_object(key: &ObjectKey, name: &str) -> bool {
    key.group.is_empty() && key.kind == "Namespace" && key.namespace.is_none() && key.name == name
}

impl fmt::Display for PauseTarget {
    /// `Deployment/web/echo` or `namespace/web`: the form [`PauseTarget::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PauseTarget::Resource(r) => f.write_str(&r.path()),
            PauseTarget::Namespace(ns) => write!(f, "{NAMESPACE_TARGET}/{ns}"),
        }
    }
}

/// A resource kind in any case.
fn parse_kind(word: &str) -> Option<ResourceKind> {
    [
        ResourceKind::Deployment,
        ResourceKind::CronJob,
        ResourceKind::KubernetesYaml,
    ]
    .into_iter()
    .find(|kind| kind.as_str().eq_ignore_ascii_case(word))
}

/// A pause as the state database records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// What is paused.
    pub target: PauseTarget,
    /// Who paused it.
    pub user: String,
    /// From which host.
    pub host: String,
    /// When, in unix milliseconds (the database's clock).
    pub since_ms: i64,
    /// Why, as given with `--reason`.
    pub reason: Option<String>,
}

/// A change diff found but left out of the change set because of a pause.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    /// The change that was not made.
    pub change: Change,
    /// The pause that holds it.
    pub pause: Pause,
    /// Why a change outside the paused target is skipped too (a Namespace deletion that would
    /// delete paused objects with it).
    pub why: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_resource_is_read_and_held_by_itself_or_its_folder() {
        let echo =
            PauseTarget::parse_resource("deployment/web/echo").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(echo.path(), "Deployment/web/echo");
        let error = PauseTarget::parse_resource("namespace/web").unwrap_err();
        assert!(
            error.contains("not a namespace: `namespace/web`"),
            "{error}"
        );
        assert!(PauseTarget::parse_resource("web").is_err());
        assert!(PauseTarget::Resource(echo.clone()).holds_resource(&echo));
        assert!(PauseTarget::Namespace("web".into()).holds_resource(&echo));
        assert!(!PauseTarget::Namespace("api".into()).holds_resource(&echo));
        let other = ResourceId {
            name: "other".into(),
            ..echo.clone()
        };
        assert!(!PauseTarget::Resource(other).holds_resource(&echo));
    }

    #[test]
    fn targets_parse_and_print_alike() {
        for text in [
            "Deployment/web/echo",
            "KubernetesYaml/global/crds",
            "namespace/web",
        ] {
            assert_eq!(
                PauseTarget::parse(text).map(|t| t.to_string()),
                Ok(text.into())
            );
        }
        assert_eq!(
            PauseTarget::parse("cronjob/web/nightly").map(|t| t.to_string()),
            Ok("CronJob/web/nightly".into())
        );
        for bad in [
            "",
            "web",
            "web/echo",
            "Service/web/echo",
            "Deployment//echo",
            "a/b/c/d",
        ] {
            let error = PauseTarget::parse(bad).unwrap_err();
            assert!(error.contains("expected `KIND/NAMESPACE/NAME`"), "{error}");
            assert!(error.contains(&format!("`{bad}`")), "{error}");
        }
        assert!(
            PauseTarget::parse("Service/web/echo")
                .unwrap_err()
                .contains("unknown kind `Service`")
        );
    }
}
