//! One Sisyphus YAML document → a resource: `Deployment`, `CronJob`, `KubernetesYaml` (its
//! inline objects; `sources` are returned for the loader to read) or `SisyphusYaml` (an include).

use std::collections::{BTreeMap, BTreeSet};

use sisyphus_core::names;
use sisyphus_core::production::{
    AppConfig, CronJobSpec, DeploymentSpec, FootprintEntry, GLOBAL_FOLDER, KubernetesYamlSpec,
    Resource, ResourceSpec, ServicePort, SourceLocation, VariableBinding, VariableSource,
};

use crate::cron::{check_schedule, check_time_zone};
use crate::diag::location;
use crate::objects::parse_object;
use crate::schema::{
    Cx, boolean, fields, mapping, nonempty_string, string, string_list, uint, unknown_field,
};
use crate::suggest::{closest, one_of};
use crate::yaml::{Node, Pos, Value};

/// The only `apiVersion` of Sisyphus YAML.
pub(crate) const API_VERSION: &str = "sisyphus/v1";

const KINDS: &[&str] = &["Deployment", "CronJob", "KubernetesYaml", "SisyphusYaml"];

/// What the document is about, as far as the folder is concerned.
pub(crate) struct Where<'a> {
    /// The namespace folder (or `global`).
    pub folder: &'a str,
    /// The clusters declared in `clusters.yaml`, if there is one.
    pub clusters: Option<&'a BTreeSet<String>>,
}

/// A parsed document.
pub(crate) enum Parsed {
    /// A Deployment or CronJob, complete.
    Resource(Resource),
    /// A KubernetesYaml resource with its inline objects, and the `sources` still to read.
    KubernetesYaml(Resource, Vec<(String, Pos)>),
    /// A SisyphusYaml include: more Sisyphus YAML to read into the same folder.
    Include(Vec<(String, Pos)>),
}

/// Parse one document; problems go to `cx` and give `None`.
pub(crate) fn parse_document(cx: &mut Cx<'_>, doc: &Node, at: &Where<'_>) -> Option<Parsed> {
    let Value::Map(entries) = &doc.value else {
        cx.error(
            doc.pos,
            format!(
                "expected a Sisyphus resource (a mapping with `apiVersion: {API_VERSION}` and `kind`), found {}",
                doc.value.describe()
            ),
        );
        return None;
    };
    let field = |name: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == name))
            .map(|(_, v)| v)
    };
    let api_version = match field("apiVersion") {
        None => {
            cx.error(
                doc.pos,
                format!("missing field `apiVersion`, expected `{API_VERSION}`"),
            );
            None
        }
        Some(node) => match string(cx, node, "`apiVersion`") {
            Some(v) if v == API_VERSION => Some(()),
            Some(v) => {
                // Another version's schema is unknown: its other fields are not checked.
                cx.error(
                    node.pos,
                    format!("unsupported apiVersion `{v}`, expected `{API_VERSION}`"),
                );
                return None;
            }
            None => None,
        },
    };
    let kind_node = match field("kind") {
        None => {
            cx.error(
                doc.pos,
                format!("missing field `kind`, expected {}", one_of(KINDS)),
            );
            return None;
        }
        Some(node) => node,
    };
    let kind = string(cx, kind_node, "`kind`")?;
    let parsed = match kind.as_str() {
        "Deployment" => deployment(cx, doc, at).map(Parsed::Resource),
        "CronJob" => cron_job(cx, doc, at).map(Parsed::Resource),
        "KubernetesYaml" => kubernetes_yaml(cx, doc, at),
        "SisyphusYaml" => sisyphus_yaml(cx, doc),
        other => {
            let hint = match closest(other, KINDS.iter().copied()) {
                Some(near) => format!(", did you mean `{near}`?"),
                None => format!(", expected {}", one_of(KINDS)),
            };
            cx.error(kind_node.pos, format!("unknown kind `{other}`{hint}"));
            None
        }
    };
    api_version.and(parsed)
}

/// `metadata`: name, labels, annotations.
struct Metadata {
    name: Option<String>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn metadata(
    cx: &mut Cx<'_>,
    doc_pos: Pos,
    node: Option<&Node>,
    kind: &str,
    name_required: bool,
) -> Option<Metadata> {
    let mut meta = Metadata {
        name: None,
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
    };
    let Some(node) = node else {
        if name_required {
            cx.error(
                doc_pos,
                format!("missing field `metadata` in {kind}, expected `metadata: {{name: ...}}`"),
            );
            return None;
        }
        return Some(meta);
    };
    let what = format!("{kind} `metadata`");
    let f = fields(
        cx,
        node,
        &what,
        &["name", "labels", "annotations", "namespace"],
    )?;
    if let Some(key) = f.key("namespace") {
        cx.error(
            key.pos,
            format!(
                "`metadata.namespace` is not allowed in a {kind}: the namespace is the name of the folder"
            ),
        );
    }
    let mut ok = true;
    match f.get("name") {
        Some(n) => match nonempty_string(cx, n, "`metadata.name`") {
            Some(name) if names::is_dns1123_label(&name) => meta.name = Some(name),
            Some(name) => {
                cx.error(
                    n.pos,
                    format!(
                        "invalid name `{name}`: expected a DNS-1123 label (at most 63 lowercase letters, digits or `-`, starting and ending with a letter or digit)"
                    ),
                );
                ok = false;
            }
            None => ok = false,
        },
        None if name_required => {
            cx.error(f.pos, format!("missing field `name` in {what}"));
            ok = false;
        }
        None => {}
    }
    if let Some(labels) = f.get("labels") {
        for (key, key_pos, value, value_pos) in string_map(cx, labels, "`metadata.labels`") {
            if !names::is_qualified_name(&key) {
                cx.error(key_pos, format!("invalid label key `{key}`: expected an optional DNS subdomain prefix and `/`, then at most 63 letters, digits, `-`, `_` or `.`"));
            } else if !names::is_label_value(&value) {
                cx.error(value_pos, format!("invalid value `{value}` for label `{key}`: expected at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"));
            } else {
                meta.labels.insert(key, value);
            }
        }
    }
    if let Some(annotations) = f.get("annotations") {
        for (key, key_pos, value, _) in string_map(cx, annotations, "`metadata.annotations`") {
            if names::is_qualified_name(&key) {
                meta.annotations.insert(key, value);
            } else {
                cx.error(key_pos, format!("invalid annotation key `{key}`: expected an optional DNS subdomain prefix and `/`, then at most 63 letters, digits, `-`, `_` or `.`"));
            }
        }
    }
    ok.then_some(meta)
}

/// A mapping of strings to strings, with positions of keys and values.
fn string_map(cx: &mut Cx<'_>, node: &Node, what: &str) -> Vec<(String, Pos, String, Pos)> {
    let Some(entries) = mapping(cx, node, what) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| {
            let key = string(cx, k, &format!("a key of {what}"))?;
            let value = string(cx, v, &format!("`{key}` in {what}"))?;
            Some((key, k.pos, value, v.pos))
        })
        .collect()
}

fn refuse_global(cx: &mut Cx<'_>, doc: &Node, at: &Where<'_>, kind: &str) -> bool {
    if at.folder == GLOBAL_FOLDER {
        cx.error(
            doc.pos,
            format!("a {kind} cannot be declared in `global/`: it needs a namespace, so declare it in a namespace folder"),
        );
        return true;
    }
    false
}

fn deployment(cx: &mut Cx<'_>, doc: &Node, at: &Where<'_>) -> Option<Resource> {
    let global = refuse_global(cx, doc, at, "Deployment");
    let f = fields(
        cx,
        doc,
        "a Deployment",
        &["apiVersion", "kind", "metadata", "config", "footprint"],
    )?;
    let meta = metadata(cx, doc.pos, f.get("metadata"), "Deployment", true);
    const CONFIG: &[&str] = &["env", "image", "variables", "service"];
    let config_node = f.required(cx, "config", "a Deployment");
    let config_fields = config_node.and_then(|n| fields(cx, n, "Deployment `config`", CONFIG));
    let config = config_fields
        .as_ref()
        .and_then(|c| app_config(cx, c, "Deployment"));
    let mut service_ports = BTreeMap::new();
    let mut ports_ok = true;
    if let Some(service) = config_fields.as_ref().and_then(|c| c.get("service")) {
        ports_ok = parse_service(cx, service, &mut service_ports);
    }
    let mut footprint = BTreeMap::new();
    let mut footprint_ok = false;
    if let Some(node) = f.required(cx, "footprint", "a Deployment") {
        footprint_ok = true;
        for (cluster, key, value) in footprint_entries(cx, node, at) {
            let what = format!("footprint cluster `{cluster}`");
            let Some(entry) = fields(cx, value, &what, &["replicas"]) else {
                footprint_ok = false;
                continue;
            };
            let replicas = entry
                .required(cx, "replicas", &what)
                .and_then(|n| uint(cx, n, "`replicas`", i32::MAX as u64));
            match replicas {
                Some(r) => {
                    let entry = FootprintEntry {
                        replicas: u32::try_from(r).unwrap_or(u32::MAX),
                        location: location(cx.file, key.pos),
                    };
                    footprint.insert(cluster, entry);
                }
                None => footprint_ok = false,
            }
        }
    }
    let meta = meta?;
    let config = config?;
    if global || !ports_ok || !footprint_ok {
        return None;
    }
    Some(Resource {
        folder: at.folder.to_string(),
        name: meta.name?,
        location: location(cx.file, doc.pos),
        labels: meta.labels,
        annotations: meta.annotations,
        spec: ResourceSpec::Deployment(DeploymentSpec {
            config,
            service_ports,
            footprint,
        }),
    })
}

fn parse_service(cx: &mut Cx<'_>, node: &Node, out: &mut BTreeMap<String, ServicePort>) -> bool {
    let Some(service) = fields(cx, node, "`config.service`", &["ports"]) else {
        return false;
    };
    let Some(ports) = service.get("ports") else {
        return true;
    };
    let Some(entries) = mapping(cx, ports, "`config.service.ports`") else {
        return false;
    };
    let mut ok = true;
    for (key, value) in entries {
        let Some(app_port) = string(cx, key, "an app port name in `config.service.ports`") else {
            ok = false;
            continue;
        };
        if !names::is_port_name(&app_port) {
            cx.error(key.pos, format!("invalid port name `{app_port}`: expected at most 15 lowercase letters, digits or `-`, with at least one letter"));
            ok = false;
            continue;
        }
        let what = format!("service port `{app_port}`");
        let Some(entry) = fields(cx, value, &what, &["name", "number"]) else {
            ok = false;
            continue;
        };
        let name = match entry.get("name") {
            Some(n) => match nonempty_string(cx, n, "the Service port `name`") {
                Some(name) if names::is_port_name(&name) => Some(name),
                Some(name) => {
                    cx.error(n.pos, format!("invalid Service port name `{name}`: expected at most 15 lowercase letters, digits or `-`, with at least one letter"));
                    ok = false;
                    None
                }
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let number = entry.required(cx, "number", &what).and_then(|n| {
            let v = uint(cx, n, "the Service port `number`", 65535)?;
            if v == 0 {
                cx.error(
                    n.pos,
                    "the Service port `number` must be between 1 and 65535, found 0",
                );
                return None;
            }
            u16::try_from(v).ok()
        });
        match number {
            Some(number) => {
                let port = ServicePort {
                    name,
                    number,
                    location: location(cx.file, key.pos),
                };
                out.insert(app_port, port);
            }
            None => ok = false,
        }
    }
    ok
}

/// The footprint's clusters with their entries; checks names against `clusters.yaml`.
fn footprint_entries<'n>(
    cx: &mut Cx<'_>,
    node: &'n Node,
    at: &Where<'_>,
) -> Vec<(String, &'n Node, &'n Node)> {
    let Some(entries) = mapping(cx, node, "`footprint`") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        let Some(cluster) = nonempty_string(cx, key, "a cluster name in `footprint`") else {
            continue;
        };
        if check_cluster(cx, &cluster, key.pos, at) {
            out.push((cluster, key, value));
        }
    }
    out
}

/// Whether `cluster` is declared (always true without `clusters.yaml`).
pub(crate) fn check_cluster(cx: &mut Cx<'_>, cluster: &str, pos: Pos, at: &Where<'_>) -> bool {
    let Some(declared) = at.clusters else {
        return true;
    };
    if declared.contains(cluster) {
        return true;
    }
    let hint = match closest(cluster, declared.iter().map(String::as_str)) {
        Some(near) => format!(", did you mean `{near}`?"),
        None => String::new(),
    };
    cx.error(
        pos,
        format!("unknown cluster `{cluster}`: it is not declared in `clusters.yaml`{hint}"),
    );
    false
}

/// `env`, `image` and `variables` of a `config`.
fn app_config(
    cx: &mut Cx<'_>,
    config: &crate::schema::Fields<'_>,
    kind: &str,
) -> Option<AppConfig> {
    let what = format!("{kind} `config`");
    let environment = config.required(cx, "env", &what).and_then(|n| {
        let env = nonempty_string(cx, n, "the environment `config.env`")?;
        Some((env, location(cx.file, n.pos)))
    });
    let image = config.required(cx, "image", &what).and_then(|n| {
        let image = nonempty_string(cx, n, "the config image `config.image`")?;
        // What resolve and render refuse, refused here (issue #11, items 8 and 15); the error
        // never repeats credentials.
        if let Err(e) = image.parse::<sisyphus_oci::reference::Reference>() {
            cx.error(
                n.pos,
                format!("invalid config image reference `{}`: {}", e.found, e.reason),
            );
            return None;
        }
        Some((image, location(cx.file, n.pos)))
    });
    let mut variables = BTreeMap::new();
    let mut ok = true;
    if let Some(node) = config.get("variables")
        && let Some(entries) = mapping(cx, node, "`config.variables`")
    {
        for (key, value) in entries {
            let Some(name) = nonempty_string(cx, key, "a variable name in `config.variables`")
            else {
                ok = false;
                continue;
            };
            match variable(cx, &name, value) {
                Some(source) => {
                    variables.insert(
                        name,
                        VariableBinding {
                            source,
                            location: location(cx.file, key.pos),
                        },
                    );
                }
                None => ok = false,
            }
        }
    }
    let ((environment, environment_location), (image, image_location)) = (environment?, image?);
    ok.then_some(AppConfig {
        environment,
        environment_location,
        image,
        image_location,
        variables,
    })
}

/// One of `secretKeyRef: {name, key}`, `configMapKeyRef: {name, key}`, `value: "..."`.
fn variable(cx: &mut Cx<'_>, name: &str, node: &Node) -> Option<VariableSource> {
    const SOURCES: &[&str] = &["secretKeyRef", "configMapKeyRef", "value"];
    let what = format!("variable `{name}`");
    let f = fields(cx, node, &what, SOURCES)?;
    let present: Vec<&str> = SOURCES
        .iter()
        .copied()
        .filter(|s| f.get(s).is_some())
        .collect();
    match present.as_slice() {
        [] => {
            cx.error(
                f.pos,
                format!("{what} has no source, expected one of {}", one_of(SOURCES)),
            );
            None
        }
        [one] => {
            let value = f.get(one)?;
            match *one {
                "value" => {
                    string(cx, value, &format!("`value` of {what}")).map(VariableSource::Value)
                }
                kind => {
                    let object = if kind == "secretKeyRef" {
                        "Secret"
                    } else {
                        "ConfigMap"
                    };
                    let refw = format!("`{kind}` of {what}");
                    let r = fields(cx, value, &refw, &["name", "key"])?;
                    let ref_name = r.required(cx, "name", &refw).and_then(|n| {
                        let s = nonempty_string(cx, n, &format!("the {object} name"))?;
                        if !names::is_dns1123_subdomain(&s) {
                            cx.error(n.pos, format!("invalid {object} name `{s}`: expected a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`)"));
                            return None;
                        }
                        Some(s)
                    });
                    let key = r.required(cx, "key", &refw).and_then(|n| {
                        let s = nonempty_string(cx, n, &format!("the {object} key"))?;
                        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
                            cx.error(n.pos, format!("invalid {object} key `{s}`: expected letters, digits, `-`, `_` or `.`"));
                            return None;
                        }
                        Some(s)
                    });
                    let (name, key) = (ref_name?, key?);
                    Some(if kind == "secretKeyRef" {
                        VariableSource::SecretKeyRef { name, key }
                    } else {
                        VariableSource::ConfigMapKeyRef { name, key }
                    })
                }
            }
        }
        _ => {
            cx.error(
                f.pos,
                format!(
                    "{what} has {} sources ({}), expected exactly one",
                    present.len(),
                    present
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            None
        }
    }
}

fn cron_job(cx: &mut Cx<'_>, doc: &Node, at: &Where<'_>) -> Option<Resource> {
    let global = refuse_global(cx, doc, at, "CronJob");
    let f = fields(
        cx,
        doc,
        "a CronJob",
        &["apiVersion", "kind", "metadata", "config", "footprint"],
    )?;
    let meta = metadata(cx, doc.pos, f.get("metadata"), "CronJob", true);
    let mut name_ok = true;
    if let (Some(Some(name)), Some(n)) = (meta.as_ref().map(|m| &m.name), f.get("metadata"))
        && name.len() > 52
    {
        cx.error(
            n.pos,
            format!(
                "CronJob name `{name}` is {} characters long, at most 52 are allowed (Kubernetes appends a suffix for each Job)",
                name.len()
            ),
        );
        name_ok = false;
    }
    const CONFIG: &[&str] = &[
        "env",
        "image",
        "variables",
        "schedule",
        "concurrencyPolicy",
        "restartPolicy",
        "timeZone",
        "suspend",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "backoffLimit",
    ];
    let c = f
        .required(cx, "config", "a CronJob")
        .and_then(|n| fields(cx, n, "CronJob `config`", CONFIG));
    let config = c.as_ref().and_then(|c| app_config(cx, c, "CronJob"));
    let mut ok = true;
    let mut schedule = None;
    let mut spec_fields = CronJobSpec {
        config: AppConfig {
            environment: String::new(),
            environment_location: SourceLocation::default(),
            image: String::new(),
            image_location: SourceLocation::default(),
            variables: BTreeMap::new(),
        },
        schedule: String::new(),
        schedule_location: SourceLocation::default(),
        concurrency_policy: None,
        concurrency_policy_location: SourceLocation::default(),
        restart_policy: None,
        restart_policy_location: SourceLocation::default(),
        time_zone: None,
        suspend: None,
        successful_jobs_history_limit: None,
        failed_jobs_history_limit: None,
        backoff_limit: None,
        clusters: Vec::new(),
    };
    if let Some(c) = &c {
        schedule = c
            .required(cx, "schedule", "CronJob `config`")
            .and_then(|n| {
                let s = nonempty_string(cx, n, "`config.schedule`")?;
                if let Err(why) = check_schedule(&s) {
                    cx.error(n.pos, format!("invalid schedule `{s}`: {why}"));
                    return None;
                }
                Some((s, location(cx.file, n.pos)))
            });
        ok &= schedule.is_some() || c.get("schedule").is_none();
        let mut choice = |name: &str, allowed: &[&str]| -> Option<(String, SourceLocation)> {
            let n = c.get(name)?;
            let v = nonempty_string(cx, n, &format!("`config.{name}`"))?;
            if allowed.contains(&v.as_str()) {
                Some((v, location(cx.file, n.pos)))
            } else {
                cx.error(
                    n.pos,
                    format!("invalid `{name}` `{v}`, expected {}", one_of(allowed)),
                );
                None
            }
        };
        let concurrency = choice("concurrencyPolicy", &["Allow", "Forbid", "Replace"]);
        let restart = choice("restartPolicy", &["OnFailure", "Never"]);
        if let Some((policy, at)) = concurrency {
            spec_fields.concurrency_policy = Some(policy);
            spec_fields.concurrency_policy_location = at;
        }
        if let Some((policy, at)) = restart {
            spec_fields.restart_policy = Some(policy);
            spec_fields.restart_policy_location = at;
        }
        if let Some(n) = c.get("timeZone") {
            spec_fields.time_zone = nonempty_string(cx, n, "`config.timeZone`").filter(|tz| {
                check_time_zone(tz)
                    .map_err(|why| cx.error(n.pos, format!("invalid `timeZone` `{tz}`: {why}")))
                    .is_ok()
            });
            ok &= spec_fields.time_zone.is_some();
        }
        if let Some(n) = c.get("suspend") {
            spec_fields.suspend = boolean(cx, n, "`config.suspend`");
            ok &= spec_fields.suspend.is_some();
        }
        let mut limit = |name: &str| -> (bool, Option<i32>) {
            match c.get(name) {
                None => (true, None),
                Some(n) => {
                    let v = uint(cx, n, &format!("`config.{name}`"), i32::MAX as u64)
                        .and_then(|v| i32::try_from(v).ok());
                    (v.is_some(), v)
                }
            }
        };
        let (a, s) = limit("successfulJobsHistoryLimit");
        let (b, fl) = limit("failedJobsHistoryLimit");
        let (d, bl) = limit("backoffLimit");
        ok &= a && b && d;
        spec_fields.successful_jobs_history_limit = s;
        spec_fields.failed_jobs_history_limit = fl;
        spec_fields.backoff_limit = bl;
        ok &= spec_fields.concurrency_policy.is_some() || c.get("concurrencyPolicy").is_none();
        ok &= spec_fields.restart_policy.is_some() || c.get("restartPolicy").is_none();
    }
    let mut clusters = Vec::new();
    if let Some(node) = f.required(cx, "footprint", "a CronJob") {
        for (cluster, _, value) in footprint_entries(cx, node, at) {
            let what = format!("CronJob footprint cluster `{cluster}`");
            match &value.value {
                Value::Null => clusters.push(cluster),
                Value::Map(entries) => {
                    for (k, _) in entries {
                        let key = k.scalar_string().unwrap_or_default();
                        let msg = if key == "replicas" {
                            format!(
                                "unknown field `replicas` in {what}: a CronJob footprint entry takes no fields, write `{cluster}: {{}}`"
                            )
                        } else {
                            unknown_field(&key, &what, &[])
                        };
                        cx.error(k.pos, msg);
                        ok = false;
                    }
                    clusters.push(cluster);
                }
                other => {
                    cx.error(
                        value.pos,
                        format!("expected `{{}}` for {what}, found {}", other.describe()),
                    );
                    ok = false;
                }
            }
        }
    } else {
        ok = false;
    }
    let meta = meta?;
    let config = config?;
    let schedule = schedule?;
    if global || !ok || !name_ok {
        return None;
    }
    spec_fields.config = config;
    (spec_fields.schedule, spec_fields.schedule_location) = schedule;
    clusters.sort();
    spec_fields.clusters = clusters;
    Some(Resource {
        folder: at.folder.to_string(),
        name: meta.name?,
        location: location(cx.file, doc.pos),
        labels: meta.labels,
        annotations: meta.annotations,
        spec: ResourceSpec::CronJob(spec_fields),
    })
}

fn kubernetes_yaml(cx: &mut Cx<'_>, doc: &Node, at: &Where<'_>) -> Option<Parsed> {
    let f = fields(
        cx,
        doc,
        "a KubernetesYaml",
        &[
            "apiVersion",
            "kind",
            "metadata",
            "sources",
            "objects",
            "clusters",
        ],
    )?;
    let meta = metadata(cx, doc.pos, f.get("metadata"), "KubernetesYaml", true);
    let mut ok = true;
    let mut clusters = Vec::new();
    let mut seen = BTreeSet::new();
    if let Some(node) = f.required(cx, "clusters", "a KubernetesYaml") {
        for (cluster, pos) in string_list(cx, node, "`clusters`") {
            if !check_cluster(cx, &cluster, pos, at) {
                ok = false;
            } else if !seen.insert(cluster.clone()) {
                cx.error(
                    pos,
                    format!("cluster `{cluster}` is listed twice in `clusters`"),
                );
                ok = false;
            } else {
                clusters.push(cluster);
            }
        }
    } else {
        ok = false;
    }
    let mut objects = Vec::new();
    if let Some(node) = f.get("objects")
        && let Some(items) = crate::schema::sequence(cx, node, "`objects`")
    {
        for item in items {
            match parse_object(cx, item) {
                Some(o) => objects.push(o),
                None => ok = false,
            }
        }
    }
    let sources = f
        .get("sources")
        .map(|n| string_list(cx, n, "`sources`"))
        .unwrap_or_default();
    let meta = meta?;
    if !ok {
        return None;
    }
    let resource = Resource {
        folder: at.folder.to_string(),
        name: meta.name?,
        location: location(cx.file, doc.pos),
        labels: meta.labels,
        annotations: meta.annotations,
        spec: ResourceSpec::KubernetesYaml(KubernetesYamlSpec { clusters, objects }),
    };
    Some(Parsed::KubernetesYaml(resource, sources))
}

fn sisyphus_yaml(cx: &mut Cx<'_>, doc: &Node) -> Option<Parsed> {
    let f = fields(
        cx,
        doc,
        "a SisyphusYaml",
        &["apiVersion", "kind", "metadata", "sources"],
    )?;
    metadata(cx, doc.pos, f.get("metadata"), "SisyphusYaml", false)?;
    let sources = f.required(cx, "sources", "a SisyphusYaml")?;
    Some(Parsed::Include(string_list(cx, sources, "`sources`")))
}
