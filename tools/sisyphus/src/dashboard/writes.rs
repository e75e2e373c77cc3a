//! Pausing and resuming from the dashboard (`--allow-writes` only): the same `Store::pause`
//! and `Store::resume` as the commands, under the push lock, with their audit rows. A form
//! carries the dashboard's random token, so another site cannot make a browser post one; the
//! user recorded is `--user`, or the one an authenticating proxy names in `--user-header`.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Redirect;
use serde::Deserialize;
use sisyphus_core::desired::ResourceId;
use sisyphus_core::pause::{Pause, PauseTarget};
use sisyphus_state::Holder;

use super::html::escape;
use super::pages::resource_href;
use super::{App, Failure};

/// How writes are allowed.
pub struct Writes {
    /// What every form must carry (random, per process).
    pub token: String,
    /// Who is recorded, when no `user_header` is set.
    pub user: String,
    /// The header an authenticating proxy in front of the dashboard names the user in.
    pub user_header: Option<String>,
    /// This host, for the audit row.
    pub host: String,
}

impl Writes {
    /// Writes by `user` on `host` (or the user `user_header` names), with a fresh token.
    ///
    /// # Errors
    ///
    /// No randomness (`/dev/urandom` unreadable).
    pub fn new(user: String, user_header: Option<String>, host: String) -> anyhow::Result<Writes> {
        let mut bytes = [0u8; 16];
        std::io::Read::read_exact(&mut fs_err::File::open("/dev/urandom")?, &mut bytes)?;
        let token = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Writes {
            token,
            user,
            user_header,
            host,
        })
    }

    /// Who is asking: the proxy's header when one is configured (refused without it).
    fn user(&self, headers: &HeaderMap) -> Result<String, Failure> {
        let Some(name) = &self.user_header else {
            return Ok(self.user.clone());
        };
        headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                Failure::new(
                    StatusCode::FORBIDDEN,
                    format!("no `{name}` header: writes need the user the proxy names there"),
                )
            })
    }
}

/// The pause form, or the resume form when `pause` holds the resource (a namespace's pause is
/// resumed by namespace, from the CLI). Empty when the dashboard only reads.
pub fn forms(app: &App, resource: &ResourceId, pause: Option<&Pause>) -> String {
    let Some(writes) = &app.writes else {
        return String::new();
    };
    let href = resource_href(resource);
    let token = format!(
        "<input type=\"hidden\" name=\"token\" value=\"{}\">",
        escape(&writes.token)
    );
    match pause {
        Some(Pause {
            target: PauseTarget::Resource(_),
            ..
        }) => format!(
            "<form method=\"post\" action=\"{}/resume\">{token}<button>resume</button></form>\n",
            escape(&href)
        ),
        Some(_) => String::new(),
        None => format!(
            "<form method=\"post\" action=\"{}/pause\">{token}\
             <input name=\"reason\" placeholder=\"why\" size=\"40\"> <button>pause</button></form>\n",
            escape(&href)
        ),
    }
}

/// A posted pause or resume form.
#[derive(Debug, Deserialize)]
pub struct Posted {
    token: String,
    reason: Option<String>,
}

/// Checks that writes are on and the form's token, and names the resource and who asks.
async fn checked(
    app: &App,
    path: (String, String, String),
    headers: &HeaderMap,
    form: &Posted,
) -> Result<(ResourceId, Holder), Failure> {
    let Some(writes) = &app.writes else {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "this dashboard only reads: start it with `--allow-writes` to pause and resume",
        ));
    };
    if !same(&form.token, &writes.token) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "the form is not this dashboard's (or it restarted since): reload the page",
        ));
    }
    let (kind, folder, name) = path;
    let resource = PauseTarget::parse_resource(&format!("{kind}/{folder}/{name}"))
        .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, e))?;
    let snapshot = app.store.snapshot(None).await?;
    if !PauseTarget::Resource(resource.clone()).recorded_in(snapshot.objects.values()) {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            format!(
                "`{}` does not exist: the state database records no object of it",
                resource.path()
            ),
        ));
    }
    let holder = Holder {
        user: writes.user(headers)?,
        host: writes.host.clone(),
        pid: std::process::id(),
    };
    Ok((resource, holder))
}

/// Equal, comparing every byte (the time does not say how much of a guess was right).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What a form asks for.
enum Asked {
    Pause(Option<String>),
    Resume,
}

/// Check the form, then pause or resume the resource under the push lock, then back to its
/// page.
async fn write(
    app: &App,
    path: (String, String, String),
    headers: &HeaderMap,
    form: &Posted,
    asked: Asked,
) -> Result<Redirect, Failure> {
    let (resource, holder) = checked(app, path, headers, form).await?;
    let targets = [PauseTarget::Resource(resource.clone())];
    let store = app.store.clone();
    // Its own task: a client that hangs up must not stop it between taking the lock and
    // releasing it.
    let written = tokio::spawn(async move {
        let lock = crate::context::take_lock(&store, &holder).await?;
        let written = match asked {
            Asked::Pause(reason) => store.pause(&lock, &targets, reason.as_deref()).await,
            Asked::Resume => store.resume(&lock, &targets).await,
        };
        lock.release().await?;
        written?;
        anyhow::Ok(())
    })
    .await;
    match written {
        Ok(result) => result?,
        Err(e) => {
            return Err(Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            ));
        }
    }
    Ok(Redirect::to(&resource_href(&resource)))
}

/// `POST .../pause` (`token`, `reason`).
pub async fn pause(
    State(app): State<Arc<App>>,
    Path(path): Path<(String, String, String)>,
    headers: HeaderMap,
    Form(form): Form<Posted>,
) -> Result<Redirect, Failure> {
    let reason = form
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    write(&app, path, &headers, &form, Asked::Pause(reason)).await
}

/// `POST .../resume` (`token`).
pub async fn resume(
    State(app): State<Arc<App>>,
    Path(path): Path<(String, String, String)>,
    headers: HeaderMap,
    Form(form): Form<Posted>,
) -> Result<Redirect, Failure> {
    write(&app, path, &headers, &form, Asked::Resume).await
}
