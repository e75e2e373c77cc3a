//! Which config images a plan uses, and which resources use each one.

use std::collections::BTreeMap;
use std::fmt;

use sisyphus_core::desired::ResourceId;
use sisyphus_core::production::{Plan, ResourceSpec, SourceLocation};

/// One resource that names a config image in `config.image`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct User {
    /// Where its `config.image` value is written (where the resource is declared, in a plan
    /// that does not record it).
    pub location: SourceLocation,
    /// The resource.
    pub resource: ResourceId,
}

/// The resources using one config image, in plan order (at least one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Users(pub Vec<User>);

impl Users {
    /// Where the first user writes `config.image` (the location an error about the image points
    /// at).
    pub fn location(&self) -> SourceLocation {
        self.0
            .first()
            .map(|u| u.location.clone())
            .unwrap_or_default()
    }
}

impl fmt::Display for Users {
    /// `Deployment echo/echo`, then `(also used by CronJob echo/job at echo/index.yaml:30:1)`
    /// when there are more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((first, rest)) = self.0.split_first() else {
            return f.write_str("no resource");
        };
        write!(f, "{}", first.resource)?;
        for (i, user) in rest.iter().enumerate() {
            let sep = if i == 0 { " (also used by " } else { ", " };
            write!(f, "{sep}{} at {}", user.resource, user.location)?;
        }
        if !rest.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Every distinct `config.image` (as written) of the plan's Deployments and CronJobs, with the
/// resources using it.
pub(crate) fn config_images(plan: &Plan) -> BTreeMap<String, Users> {
    let mut out: BTreeMap<String, Users> = BTreeMap::new();
    for resource in &plan.production.resources {
        let config = match &resource.spec {
            ResourceSpec::Deployment(d) => &d.config,
            ResourceSpec::CronJob(c) => &c.config,
            ResourceSpec::KubernetesYaml(_) => continue,
        };
        let user = User {
            location: config.image_location.or(&resource.location).clone(),
            resource: ResourceId {
                kind: resource.kind(),
                folder: resource.folder.clone(),
                name: resource.name.clone(),
            },
        };
        out.entry(config.image.clone())
            .or_insert_with(|| Users(Vec::new()))
            .0
            .push(user);
    }
    out
}

#[cfg(test)]
mod tests {
    use sisyphus_core::production::ResourceKind;

    use super::*;

    fn user(kind: ResourceKind, name: &str, line: u32) -> User {
        User {
            location: SourceLocation {
                file: "echo/index.yaml".into(),
                line,
                column: 1,
            },
            resource: ResourceId {
                kind,
                folder: "echo".into(),
                name: name.into(),
            },
        }
    }

    #[test]
    fn names_the_first_user_and_locates_the_others() {
        let one = Users(vec![user(ResourceKind::Deployment, "echo", 1)]);
        assert_eq!(one.to_string(), "Deployment echo/echo");
        let three = Users(vec![
            user(ResourceKind::Deployment, "echo", 1),
            user(ResourceKind::CronJob, "job", 30),
            user(ResourceKind::CronJob, "other", 50),
        ]);
        assert_eq!(
            three.to_string(),
            "Deployment echo/echo (also used by CronJob echo/job at echo/index.yaml:30:1, \
             CronJob echo/other at echo/index.yaml:50:1)"
        );
        assert_eq!(three.location().line, 1);
    }
}
