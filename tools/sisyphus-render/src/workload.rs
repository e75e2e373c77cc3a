//! One Deployment or CronJob evaluated for one cluster, and the sink its problems go to.

use sisyphus_core::app::Application;
use sisyphus_core::production::{AppConfig, Resource, SourceLocation, VariableBinding};

use crate::error::{Problem, WarningKind};
use crate::input::ResolvedConfig;

/// A Deployment or CronJob with its evaluated application, for one cluster.
pub(crate) struct Workload<'a> {
    /// The resource.
    pub resource: &'a Resource,
    /// The namespace its objects go to.
    pub namespace: &'a str,
    /// Its `config` section.
    pub config: &'a AppConfig,
    /// The resolved config image.
    pub resolved: &'a ResolvedConfig,
    /// The application evaluated for this resource, environment, namespace and cluster.
    pub app: &'a Application,
}

impl Workload<'_> {
    /// The resource name (also the container name and the `app.kubernetes.io/name` label).
    pub fn name(&self) -> &str {
        &self.resource.name
    }

    /// The binding of a variable, if `config.variables` has one.
    pub fn binding(&self, variable: &str) -> Option<&VariableBinding> {
        self.config.variables.get(variable)
    }
}

/// Collects the problems and warnings of one (resource, cluster) render, each with a location:
/// the field the problem is about when the plan knows where it is written, else the resource's.
pub(crate) struct Sink {
    location: SourceLocation,
    /// Problems found.
    pub problems: Vec<(SourceLocation, Problem)>,
    /// Warnings found.
    pub warnings: Vec<(SourceLocation, WarningKind)>,
}

impl Sink {
    /// A sink whose default location is `location`.
    pub fn new(location: SourceLocation) -> Self {
        Sink {
            location,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// A problem at the default location.
    pub fn problem(&mut self, problem: Problem) {
        self.problems.push((self.location.clone(), problem));
    }

    /// A problem about the field written at `location` (the default location when that one is
    /// unknown, as in a plan written before field locations were recorded).
    pub fn problem_at(&mut self, location: &SourceLocation, problem: Problem) {
        let location = location.or(&self.location).clone();
        self.problems.push((location, problem));
    }

    /// A warning at the default location.
    pub fn warn(&mut self, warning: WarningKind) {
        self.warnings.push((self.location.clone(), warning));
    }
}
