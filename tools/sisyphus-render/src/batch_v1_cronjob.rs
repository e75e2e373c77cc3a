//! `batch/v1 CronJob`: one per footprint cluster.

use serde_json::{Map, Value};
use sisyphus_core::production::{CronJobSpec, SourceLocation};

use crate::container;
use crate::error::Problem;
use crate::metadata::{Meta, object, object_meta, template_meta};
use crate::workload::{Sink, Workload};

const RESTART_POLICIES: &[&str] = &["OnFailure", "Never"];
const CONCURRENCY_POLICIES: &[&str] = &["Allow", "Forbid", "Replace"];

/// The CronJob for `w`. Probes are an error (a Job's pod runs to completion); `restartPolicy`
/// defaults to `OnFailure`.
pub(crate) fn render(w: &Workload<'_>, spec: &CronJobSpec, meta: &Meta, sink: &mut Sink) -> Value {
    let probes: Vec<&'static str> = container::probes(w.app)
        .into_iter()
        .filter_map(|(name, _, probe)| probe.map(|_| name))
        .collect();
    if !probes.is_empty() {
        sink.problem(Problem::ProbeOnCronJob { probes });
    }
    let restart_policy = spec.restart_policy.as_deref().unwrap_or("OnFailure");
    check_one_of(
        sink,
        ("restartPolicy", &spec.restart_policy_location),
        restart_policy,
        RESTART_POLICIES,
        "`OnFailure`, `Never`",
    );
    if let Some(policy) = &spec.concurrency_policy {
        check_one_of(
            sink,
            ("concurrencyPolicy", &spec.concurrency_policy_location),
            policy,
            CONCURRENCY_POLICIES,
            "`Allow`, `Forbid`, `Replace`",
        );
    }

    let template = object([
        ("metadata", template_meta(&meta.labels, &meta.annotations)),
        ("spec", container::pod_spec(w, Some(restart_policy), sink)),
    ]);
    let mut job_spec = Map::new();
    if let Some(limit) = spec.backoff_limit {
        job_spec.insert("backoffLimit".into(), limit.into());
    }
    job_spec.insert("template".into(), template);

    let mut cron = Map::new();
    cron.insert("schedule".into(), spec.schedule.clone().into());
    if let Some(tz) = &spec.time_zone {
        cron.insert("timeZone".into(), tz.clone().into());
    }
    if let Some(policy) = &spec.concurrency_policy {
        cron.insert("concurrencyPolicy".into(), policy.clone().into());
    }
    if let Some(suspend) = spec.suspend {
        cron.insert("suspend".into(), suspend.into());
    }
    if let Some(limit) = spec.successful_jobs_history_limit {
        cron.insert("successfulJobsHistoryLimit".into(), limit.into());
    }
    if let Some(limit) = spec.failed_jobs_history_limit {
        cron.insert("failedJobsHistoryLimit".into(), limit.into());
    }
    cron.insert(
        "jobTemplate".into(),
        object([
            ("metadata", template_meta(&meta.labels, &meta.annotations)),
            ("spec", Value::Object(job_spec)),
        ]),
    );

    let annotations = meta.workload_annotations(w, sink);
    object([
        ("apiVersion", "batch/v1".into()),
        ("kind", "CronJob".into()),
        (
            "metadata",
            object_meta(w.name(), Some(w.namespace), &meta.labels, &annotations),
        ),
        ("spec", Value::Object(cron)),
    ])
}

/// A problem at the field's value when `found` is not one of `allowed` (load refuses these; a
/// plan built another way may have them).
fn check_one_of(
    sink: &mut Sink,
    (field, at): (&'static str, &SourceLocation),
    found: &str,
    allowed: &[&str],
    expected: &'static str,
) {
    if !allowed.contains(&found) {
        let problem = Problem::InvalidCronJobField {
            field,
            found: found.to_owned(),
            expected,
        };
        sink.problem_at(at, problem);
    }
}
