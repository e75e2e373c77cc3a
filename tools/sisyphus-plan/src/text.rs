//! The plan as a human summary (`sisyphus plan --format text`): one line per resource.
//!
//! ```text
//! Deployment      echo/echo  clusters: a(1), b(1)  env: prod  image: reg/echo_config:latest
//! ```

use std::fmt::Write as _;

use sisyphus_core::production::{Plan, ResourceSpec};

/// One line per resource, in plan order, then a count line.
pub fn summary(plan: &Plan) -> String {
    let mut out = String::new();
    let width = plan
        .production
        .resources
        .iter()
        .map(|r| r.kind().as_str().len())
        .max()
        .unwrap_or(0);
    for r in &plan.production.resources {
        let _ = write!(
            out,
            "{:width$} {}/{}  ",
            r.kind().as_str(),
            r.folder,
            r.name
        );
        match &r.spec {
            ResourceSpec::Deployment(d) => {
                let clusters: Vec<String> = d
                    .footprint
                    .iter()
                    .map(|(c, e)| format!("{c}({})", e.replicas))
                    .collect();
                let _ = write!(
                    out,
                    "clusters: {}  env: {}  image: {}",
                    list(&clusters),
                    d.config.environment,
                    d.config.image
                );
            }
            ResourceSpec::CronJob(c) => {
                let mut clusters = c.clusters.clone();
                clusters.sort();
                let _ = write!(
                    out,
                    "clusters: {}  schedule: {}  env: {}  image: {}",
                    list(&clusters),
                    c.schedule,
                    c.config.environment,
                    c.config.image
                );
            }
            ResourceSpec::KubernetesYaml(k) => {
                let secrets = k.objects.iter().filter(|o| o.secret).count();
                let _ = write!(
                    out,
                    "clusters: {}  objects: {} ({} secret{})",
                    list(&k.clusters),
                    k.objects.len(),
                    secrets,
                    if secrets == 1 { "" } else { "s" }
                );
            }
        }
        out.push('\n');
    }
    let folders: std::collections::BTreeSet<&str> = plan
        .production
        .resources
        .iter()
        .map(|r| r.folder.as_str())
        .collect();
    let _ = writeln!(
        out,
        "{} resource(s) in {} folder(s), inputs {}",
        plan.production.resources.len(),
        folders.len(),
        plan.inputs_hash
    );
    out
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}
