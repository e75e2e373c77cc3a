//! Group one resource's problems across clusters: the same problem at the same place becomes one
//! error listing every cluster it happens in.

use std::error::Error as _;

use sisyphus_core::desired::ResourceId;
use sisyphus_core::production::SourceLocation;

use crate::error::{Error, Problem};

struct Entry {
    location: SourceLocation,
    text: String,
    problem: Problem,
    clusters: Vec<String>,
}

/// One resource's problems, in the order first seen.
#[derive(Default)]
pub(crate) struct ResourceProblems {
    entries: Vec<Entry>,
}

impl ResourceProblems {
    /// Add the problems found for `cluster`.
    pub fn add(&mut self, cluster: &str, problems: Vec<(SourceLocation, Problem)>) {
        for (location, problem) in problems {
            self.add_one(cluster, location, &problem);
        }
    }

    /// Add one problem found for `cluster`.
    pub fn add_one(&mut self, cluster: &str, location: SourceLocation, problem: &Problem) {
        let text = chain(problem);
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|e| e.location == location && e.text == text)
        {
            if !entry.clusters.iter().any(|c| c == cluster) {
                entry.clusters.push(cluster.to_owned());
            }
            return;
        }
        self.entries.push(Entry {
            location,
            text,
            problem: problem.clone(),
            clusters: vec![cluster.to_owned()],
        });
    }

    /// The errors, one per distinct problem.
    pub fn into_errors(self, resource: &ResourceId) -> Vec<Error> {
        self.entries
            .into_iter()
            .map(|e| Error::Resource {
                resource: resource.clone(),
                clusters: e.clusters,
                location: e.location,
                problem: e.problem,
            })
            .collect()
    }
}

/// The problem and all its causes, as one string (the grouping key).
fn chain(problem: &Problem) -> String {
    let mut text = problem.to_string();
    let mut source = problem.source();
    while let Some(cause) = source {
        text.push('\n');
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
