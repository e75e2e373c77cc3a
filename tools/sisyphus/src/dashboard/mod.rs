//! `sisyphus dashboard`: a small web view of the state database and the clusters, for the
//! people who operate pushes. It shows what the CLI shows (status, history, one push's change
//! set, the audit trail), every resource grouped by the namespace folder that declares it, and
//! per resource its history, its pause or pin, its pods in every cluster and their logs. With
//! `--allow-writes` it can pause and resume a resource, under the push lock, recorded in the
//! audit trail like `sisyphus pause`.
//!
//! Nothing here decides anything: pages are the CLI's views (`crate::views`) in HTML, and
//! writes go through the same `Store` calls as the commands. No script, no external asset.

mod guard;
mod html;
mod pages;
mod pods;
mod writes;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use sisyphus_state::Store;

pub use guard::allowed_hosts;
pub use writes::Writes;

/// What every request shares.
pub struct App {
    /// The state database.
    pub store: Store,
    /// The kubeconfig files, read again for each page that asks a cluster.
    pub kubeconfig: Vec<PathBuf>,
    /// How writes are allowed; `None`: the dashboard only reads.
    pub writes: Option<Writes>,
    /// The `Host` values a request may carry ([`allowed_hosts`]).
    pub hosts: BTreeSet<String>,
}

/// Every route.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/pushes/{id}", get(pages::push))
        .route("/resources", get(pages::resources))
        .route("/resources/{kind}/{folder}/{name}", get(pages::resource))
        .route("/resources/{kind}/{folder}/{name}/logs", get(pages::logs))
        .route(
            "/resources/{kind}/{folder}/{name}/pause",
            post(writes::pause),
        )
        .route(
            "/resources/{kind}/{folder}/{name}/resume",
            post(writes::resume),
        )
        .route("/api/status", get(pages::status_json))
        .route("/api/history", get(pages::history_json))
        .route("/api/pushes/{id}", get(pages::push_json))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::guard,
        ))
        .with_state(app)
}

/// A page that could not be made: its status and what to say, as a page.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    /// `status` with `message` (plain text; escaped when shown).
    pub fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    /// Anything else: 409 when another push holds the lock, else (the database failing) 500;
    /// with the error and its causes.
    fn from(error: E) -> Failure {
        let error = error.into();
        let status = match error.downcast_ref::<sisyphus_state::Error>() {
            Some(sisyphus_state::Error::Locked { .. }) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Failure::new(status, crate::pipeline::chain(error.as_ref()))
    }
}

/// A [`Failure`] of the JSON API: `{"error": ..., "status": ...}`.
#[derive(Debug)]
pub struct ApiFailure(pub Failure);

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let Failure { status, message } = self.0;
        let body = serde_json::json!({"error": message, "status": status.as_u16()});
        (status, Json(body)).into_response()
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = html::page(
            self.status.canonical_reason().unwrap_or("error"),
            &format!("<p class=\"failed\">{}</p>\n", html::escape(&self.message)),
        );
        (self.status, Html(body)).into_response()
    }
}
