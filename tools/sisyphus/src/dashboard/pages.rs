//! The dashboard's pages (HTML) and its JSON API: each reads the state database (and, for a
//! resource, its clusters) and hands the result to a view of `crate::views`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use sisyphus_core::change::ChangeSet;
use sisyphus_core::desired::ResourceId;
use sisyphus_core::pause::PauseTarget;
use sisyphus_core::state::RecordedObject;
use sisyphus_state::{HistoryEntry, HistoryFilter, PushChange};

use super::html::{escape, link, page, pre, segment};
use super::{ApiFailure, App, Failure, pods};
use crate::views::history as history_view;
use crate::views::status::{self as status_view, Status};

/// How many history rows a page lists unless `?limit=` says otherwise, and the most it lists.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1_000;
/// How many log lines the logs page shows unless `?lines=` says otherwise, and the most.
const DEFAULT_LOG_LINES: i64 = 200;
const MAX_LOG_LINES: i64 = 10_000;

type Shared = State<Arc<App>>;

/// `?limit=&audit=&resource=&cluster=` of the history views.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    limit: Option<usize>,
    audit: Option<bool>,
    resource: Option<String>,
    cluster: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Result<HistoryFilter, Failure> {
        let resource = match self.resource.as_deref() {
            None | Some("") => None,
            Some(text) => Some(parse_resource(text)?),
        };
        let audit = self.audit.unwrap_or(false);
        Ok(HistoryFilter {
            audit,
            resource: if audit { None } else { resource },
            cluster: if audit {
                None
            } else {
                self.cluster.clone().filter(|c| !c.is_empty())
            },
            limit: self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        })
    }
}

/// `KIND/NAMESPACE/NAME` as a resource, or 400.
fn parse_resource(text: &str) -> Result<ResourceId, Failure> {
    PauseTarget::parse_resource(text).map_err(|e| Failure::new(StatusCode::BAD_REQUEST, e))
}

/// The path of a resource's page.
pub fn resource_href(resource: &ResourceId) -> String {
    format!(
        "/resources/{}/{}/{}",
        segment(resource.kind.as_str()),
        segment(&resource.folder),
        segment(&resource.name)
    )
}

/// Lock, pauses, pins and the newest push.
async fn status(app: &App) -> Result<Status, Failure> {
    let newest = HistoryFilter {
        audit: false,
        resource: None,
        cluster: None,
        limit: 1,
    };
    Ok(Status {
        lock: app.store.lock_info().await?,
        pauses: app.store.pauses().await?,
        pins: app.store.pins().await?,
        last_push: app.store.history(&newest).await?.into_iter().next(),
    })
}

/// `/`: the status, then the history (or with `?audit=true` the audit trail).
pub async fn index(
    State(app): Shared,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, Failure> {
    let filter = query.filter()?;
    let status = status(&app).await?;
    let entries = app.store.history(&filter).await?;
    let mut body = String::from("<h2>Status</h2>\n");
    body.push_str(&pre(&status_view::text(&status)));
    body.push_str(&format!(
        "<h2>{}</h2>\n",
        if filter.audit {
            "Audit trail: every operation that changed the state"
        } else {
            "History: pushes and rollbacks"
        }
    ));
    body.push_str(&history_table(&entries));
    Ok(Html(page("Pushes", &body)))
}

/// One row per history entry: id (its change set), what, outcome, when, who, and per resource
/// what moved (each resource linked to its page).
fn history_table(entries: &[HistoryEntry]) -> String {
    if entries.is_empty() {
        return "<p>Nothing recorded yet.</p>\n".to_owned();
    }
    let mut out = String::from(
        "<table>\n<tr><th>id</th><th>operation</th><th>outcome</th><th>started</th>\
         <th>by</th><th>what</th><th>resources</th></tr>\n",
    );
    for entry in entries {
        let row = &entry.push;
        let moves: Vec<String> = entry
            .moves
            .iter()
            .map(|one| {
                let text = escape(history_view::move_text(one).trim_end());
                match &one.resource {
                    Some(resource) => format!(
                        "{}<br><small>{}</small>",
                        link(&resource_href(resource), &resource.path()),
                        text.replace('\n', "<br>")
                    ),
                    None => format!("<small>{}</small>", text.replace('\n', "<br>")),
                }
            })
            .collect();
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"{outcome}\">{outcome}</td><td>{}</td>\
             <td>{} on {}</td><td>{}</td><td>{}</td></tr>\n",
            link(&format!("/pushes/{}", row.id), &row.id.to_string()),
            escape(row.operation.as_str()),
            escape(&row.started.to_string()),
            escape(&row.user),
            escape(&row.host),
            escape(&history_view::what(row)),
            moves.join("<br>"),
            outcome = row.outcome.as_str(),
        ));
    }
    out.push_str("</table>\n");
    out
}

/// A history row and its change set, or 404.
async fn push_and_changes(
    app: &App,
    id: i64,
) -> Result<(sisyphus_state::PushRow, ChangeSet), Failure> {
    let Some(row) = app.store.push(id).await? else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            format!("push {id} is not in the history"),
        ));
    };
    let changes = ChangeSet {
        changes: app
            .store
            .push_changes(id)
            .await?
            .iter()
            .map(PushChange::change)
            .collect::<Result<_, _>>()?,
        blocked: Vec::new(),
    };
    Ok((row, changes))
}

/// `/pushes/{id}`: the change set as `sisyphus history show` prints it (Secret values never
/// stored, so never shown).
pub async fn push(State(app): Shared, Path(id): Path<i64>) -> Result<Html<String>, Failure> {
    let (row, changes) = push_and_changes(&app, id).await?;
    let title = format!("{} {id}", row.operation);
    Ok(Html(page(
        &title,
        &pre(&history_view::show_text(&row, &changes, false)),
    )))
}

/// `/api/pushes/{id}`: `sisyphus history show PUSH --output json`.
pub async fn push_json(State(app): Shared, Path(id): Path<i64>) -> Result<Json<Value>, ApiFailure> {
    let (row, changes) = push_and_changes(&app, id).await.map_err(ApiFailure)?;
    Ok(Json(history_view::show_json(&row, &changes)))
}

/// `/api/status`: `sisyphus status --output json`.
pub async fn status_json(State(app): Shared) -> Result<Json<Value>, ApiFailure> {
    let status = status(&app).await.map_err(ApiFailure)?;
    Ok(Json(status_view::json(&status)))
}

/// `/api/history`: `sisyphus history --output json`, with the same filters as query values.
pub async fn history_json(
    State(app): Shared,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiFailure> {
    let filter = query.filter().map_err(ApiFailure)?;
    let entries = app
        .store
        .history(&filter)
        .await
        .map_err(|e| ApiFailure(e.into()))?;
    Ok(Json(history_view::json(&entries)))
}

/// `/resources`: every resource the state database records objects of, grouped by the folder
/// that declares it (its namespace, or `global`), each with its clusters, its config images
/// and whether it is paused or pinned.
pub async fn resources(State(app): Shared) -> Result<Html<String>, Failure> {
    let snapshot = app.store.snapshot(None).await?;
    let pauses = app.store.pauses().await?;
    let pins = app.store.pins().await?;
    let mut by_resource: BTreeMap<&ResourceId, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for object in snapshot.objects.values() {
        let Some(resource) = &object.resource else {
            continue;
        };
        let (clusters, images) = by_resource.entry(resource).or_default();
        clusters.insert(object.key.cluster.as_str());
        if let Some(config) = &object.config {
            images.insert(config.config_image.as_str());
        }
    }
    let mut body = String::new();
    if by_resource.is_empty() {
        body.push_str("<p>Nothing recorded yet.</p>\n");
    }
    let mut folder: Option<&str> = None;
    for (resource, (clusters, images)) in &by_resource {
        if folder != Some(resource.folder.as_str()) {
            if folder.is_some() {
                body.push_str("</table>\n");
            }
            folder = Some(resource.folder.as_str());
            body.push_str(&format!(
                "<h2>{}</h2>\n<table>\n<tr><th>resource</th><th>clusters</th>\
                 <th>config images</th><th>state</th></tr>\n",
                escape(&resource.folder)
            ));
        }
        let mut state = Vec::new();
        if let Some(pause) = pauses.iter().find(|p| p.target.holds_resource(resource)) {
            state.push(format!("paused by {}", pause.user));
        }
        if let Some(pin) = pins.iter().find(|p| p.resource == **resource) {
            state.push(format!("pinned to push {}", pin.to_push));
        }
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"running\">{}</td></tr>\n",
            link(&resource_href(resource), &resource.path()),
            escape(&clusters.iter().copied().collect::<Vec<_>>().join(", ")),
            images
                .iter()
                .map(|i| escape(i))
                .collect::<Vec<_>>()
                .join("<br>"),
            escape(&state.join("; ")),
        ));
    }
    if folder.is_some() {
        body.push_str("</table>\n");
    }
    Ok(Html(page("Resources", &body)))
}

/// `/resources/{kind}/{folder}/{name}`: its pause and pin, its recorded objects, its pods in
/// every cluster (with links to their logs), its history, and the pause or resume form.
pub async fn resource(
    State(app): Shared,
    Path((kind, folder, name)): Path<(String, String, String)>,
) -> Result<Html<String>, Failure> {
    let resource = parse_resource(&format!("{kind}/{folder}/{name}"))?;
    let target = resource.path();
    let snapshot = app.store.snapshot(None).await?;
    let objects: Vec<&RecordedObject> = snapshot
        .objects
        .values()
        .filter(|r| r.resource.as_ref() == Some(&resource))
        .collect();
    let filter = HistoryFilter {
        audit: false,
        resource: Some(resource.clone()),
        cluster: None,
        limit: DEFAULT_LIMIT,
    };
    let entries = app.store.history(&filter).await?;
    if objects.is_empty() && entries.is_empty() {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            format!("`{target}`: the state database records no object and no push of it"),
        ));
    }
    let mut body = String::new();
    let pauses = app.store.pauses().await?;
    // Its own pause first (the one its page can resume), else its namespace's.
    let pause = pauses
        .iter()
        .find(|p| p.target == PauseTarget::Resource(resource.clone()))
        .or_else(|| {
            pauses.iter().find(|p| match &p.target {
                PauseTarget::Namespace(ns) => {
                    *ns == resource.folder || p.target.recorded_in(objects.iter().copied())
                }
                PauseTarget::Resource(_) => false,
            })
        });
    match pause {
        Some(pause) => body.push_str(&format!(
            "<p class=\"running\">{}</p>\n",
            escape(&crate::views::skipped::paused_by(pause))
        )),
        None => body.push_str("<p>Not paused: pushes change it.</p>\n"),
    }
    if let Some(pin) = app
        .store
        .pins()
        .await?
        .into_iter()
        .find(|p| p.resource == resource)
    {
        body.push_str(&format!(
            "<p class=\"running\">{}: pushes keep it there until <code>sisyphus unpin {}</code></p>\n",
            escape(&crate::pins::pinned_by(&pin)),
            escape(&target)
        ));
    }
    body.push_str(&super::writes::forms(&app, &resource, pause));

    body.push_str("<h2>Objects</h2>\n<table>\n<tr><th>cluster</th><th>object</th><th>config image</th><th>binary image</th><th>last written by</th></tr>\n");
    for object in &objects {
        let (config, binary) = object.config.as_ref().map_or(("", ""), |c| {
            (c.config_image.as_str(), c.binary_image.as_str())
        });
        body.push_str(&format!(
            "<tr><td>{}</td><td>{} {} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&object.key.cluster),
            escape(&object.key.api_version()),
            escape(&object.key.kind),
            escape(&object.key.namespace.as_ref().map_or_else(
                || object.key.name.clone(),
                |ns| format!("{ns}/{}", object.key.name)
            )),
            escape(config),
            escape(binary),
            link(
                &format!("/pushes/{}", object.push_id),
                &format!("push {}", object.push_id)
            ),
        ));
    }
    body.push_str("</table>\n");

    body.push_str("<h2>Pods</h2>\n");
    body.push_str(&pods_section(&app, &resource, &objects).await);
    body.push_str("<h2>History</h2>\n");
    body.push_str(&history_table(&entries));
    Ok(Html(page(&target, &body)))
}

/// The pods table: cluster, pod, phase, ready containers, restarts, node, logs links.
async fn pods_section(app: &App, resource: &ResourceId, objects: &[&RecordedObject]) -> String {
    let workloads = pods::workloads(objects);
    if workloads.is_empty() {
        return "<p>No workload of it runs pods.</p>\n".to_owned();
    }
    let per_cluster = pods::list(app, &workloads).await;
    let mut out = String::from(
        "<table>\n<tr><th>cluster</th><th>pod</th><th>phase</th><th>ready</th>\
         <th>restarts</th><th>node</th><th>logs</th></tr>\n",
    );
    for (cluster, found) in &per_cluster {
        let pods = match &found.pods {
            Ok(pods) => pods,
            Err(why) => {
                out.push_str(&format!(
                    "<tr><td>{}</td><td colspan=\"6\" class=\"failed\">{}</td></tr>\n",
                    escape(cluster),
                    escape(why)
                ));
                continue;
            }
        };
        if pods.is_empty() {
            out.push_str(&format!(
                "<tr><td>{}</td><td colspan=\"6\">no pods</td></tr>\n",
                escape(cluster)
            ));
        }
        for (_, pod) in pods {
            let text = |p: &str| pod.pointer(p).and_then(Value::as_str).unwrap_or("");
            let name = text("/metadata/name");
            let statuses = pod
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let containers: Vec<String> = pod
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map(|cs| {
                    cs.iter()
                        .filter_map(|c| c["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let ready = statuses.iter().filter(|s| s["ready"] == true).count();
            let restarts: i64 = statuses
                .iter()
                .filter_map(|s| s["restartCount"].as_i64())
                .sum();
            let logs: Vec<String> = containers
                .iter()
                .map(|container| {
                    link(
                        &format!(
                            "{}/logs?cluster={}&pod={}&container={}",
                            resource_href(resource),
                            segment(cluster),
                            segment(name),
                            segment(container)
                        ),
                        container,
                    )
                })
                .collect();
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{ready}/{}</td><td>{restarts}</td>\
                 <td>{}</td><td>{}</td></tr>\n",
                escape(cluster),
                escape(name),
                escape(text("/status/phase")),
                containers.len(),
                escape(text("/spec/nodeName")),
                logs.join(" "),
            ));
        }
    }
    out.push_str("</table>\n");
    out
}

/// `?cluster=&pod=&container=&lines=` of the logs page.
#[derive(Debug, Deserialize)]
pub struct LogsQuery {
    cluster: String,
    pod: String,
    container: Option<String>,
    lines: Option<i64>,
}

/// `/resources/{kind}/{folder}/{name}/logs`: the newest lines of one container of one of the
/// resource's pods, as plain text. A pod that is not one of the resource's is 404: the
/// dashboard is no way to read any pod of the cluster.
pub async fn logs(
    State(app): Shared,
    Path((kind, folder, name)): Path<(String, String, String)>,
    Query(query): Query<LogsQuery>,
) -> Result<Response, Failure> {
    let resource = parse_resource(&format!("{kind}/{folder}/{name}"))?;
    let snapshot = app.store.snapshot(None).await?;
    let objects: Vec<&RecordedObject> = snapshot
        .objects
        .values()
        .filter(|r| r.resource.as_ref() == Some(&resource) && r.key.cluster == query.cluster)
        .collect();
    let workloads = pods::workloads(&objects);
    let mut found = pods::list(&app, &workloads).await;
    let not_ours = || {
        Failure::new(
            StatusCode::NOT_FOUND,
            format!(
                "pod `{}` in cluster `{}` is not one of `{}`'s",
                query.pod,
                query.cluster,
                resource.path()
            ),
        )
    };
    let Some(there) = found.remove(&query.cluster) else {
        return Err(not_ours());
    };
    let pods = there
        .pods
        .map_err(|why| Failure::new(StatusCode::BAD_GATEWAY, why))?;
    let Some((namespace, _)) = pods.iter().find(|(_, p)| {
        p.pointer("/metadata/name").and_then(Value::as_str) == Some(query.pod.as_str())
    }) else {
        return Err(not_ours());
    };
    let Some(cluster) = there.cluster.as_ref().and_then(|c| c.get(&query.cluster)) else {
        return Err(Failure::new(
            StatusCode::BAD_GATEWAY,
            "the cluster is not connected",
        ));
    };
    let lines = query
        .lines
        .unwrap_or(DEFAULT_LOG_LINES)
        .clamp(1, MAX_LOG_LINES);
    let read = cluster.pod_logs(namespace, &query.pod, query.container.as_deref(), lines);
    let log = match tokio::time::timeout(pods::LOG_TIMEOUT, read).await {
        Ok(Ok(log)) => log,
        Ok(Err(e)) => {
            return Err(Failure::new(
                StatusCode::BAD_GATEWAY,
                crate::pipeline::chain(&e),
            ));
        }
        Err(_) => {
            return Err(Failure::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "`{}` did not return the log within {} s",
                    query.cluster,
                    pods::LOG_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], log).into_response())
}
