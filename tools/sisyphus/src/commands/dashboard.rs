//! `sisyphus dashboard`: serve the dashboard (`crate::dashboard`) until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::ExitStatus;
use crate::commands::args::{ClusterArgs, DatabaseArgs, UserArgs};
use crate::context::{self, Context};
use crate::dashboard::{App, Writes, allowed_hosts, router};

/// Arguments of `sisyphus dashboard`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Listen here, `HOST:PORT` (port 0 picks a free one). Whoever reaches it reads what the
    /// state database holds (never a Secret value) and the resources' pod logs: keep it on
    /// loopback, or put an authenticating proxy in front.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8473")]
    pub listen: SocketAddr,
    /// Also answer requests for this `Host` (`name` or `name:port`; repeatable): the name a
    /// proxy or the browser uses. Others are refused, so no page of another site can reach
    /// the dashboard by rebinding its own name to this address.
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The kubeconfig file, for the pods and their logs. Default: `$KUBECONFIG` (a path
    /// list), else `~/.kube/config`; without one the pages show no pods.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Let the dashboard pause and resume resources (under the push lock, in the audit
    /// trail). Off by default: the dashboard only reads.
    #[arg(long)]
    pub allow_writes: bool,
    /// With `--allow-writes`: record as the user this request header names (set by an
    /// authenticating proxy in front of the dashboard), and refuse writes without it.
    /// Only trust it when the proxy is the one way to reach the dashboard (the dashboard on
    /// loopback, the proxy on the same host): whoever reaches the dashboard can send any
    /// header.
    #[arg(
        long,
        value_name = "HEADER",
        requires = "allow_writes",
        conflicts_with = "user"
    )]
    pub user_header: Option<String>,
    /// Who writes are recorded as when no `--user-header` is given.
    #[command(flatten)]
    pub user: UserArgs,
}

/// Run the command.
///
/// # Errors
///
/// The database cannot be opened, the address cannot be listened on.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let kubeconfig = match context::kubeconfig_files(&ClusterArgs {
        clusters: Vec::new(),
        namespaces: Vec::new(),
        kubeconfig: args.kubeconfig.clone(),
    }) {
        Ok(files) => files,
        Err(e) => {
            crate::printer::warnings(&[format!(
                "no kubeconfig, so no pods and no logs: {}",
                crate::pipeline::chain(e.as_ref())
            )])?;
            Vec::new()
        }
    };
    let writes = if args.allow_writes {
        Some(Writes::new(
            args.user.user(),
            args.user_header.clone(),
            crate::settings::hostname(),
        )?)
    } else {
        None
    };
    ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on `{}`", args.listen))?;
        let address = listener.local_addr()?;
        crate::printer::status(&format!(
            "dashboard: http://{address}/ ({}; Ctrl-C stops it)",
            if writes.is_some() {
                "pause and resume allowed"
            } else {
                "read only"
            }
        ))?;
        let app = Arc::new(App {
            store: store.clone(),
            kubeconfig,
            writes,
            hosts: allowed_hosts(address, &args.allowed_hosts),
        });
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let serve = axum::serve(listener, router(app)).with_graceful_shutdown(async move {
            let mut stopping = stopping;
            let _ = stopping.wait_for(|s| *s).await;
        });
        let signalled = async {
            stopped().await;
            let _ = stop.send(true);
            // Requests in flight get this long to finish; then the process ends anyway.
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            served = serve => served.context("the dashboard's server failed")?,
            () = signalled => {}
        }
        store.close().await;
        Ok(ExitStatus::Success)
    })
}

/// How long requests in flight may take once asked to stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Resolves on Ctrl-C or SIGTERM.
async fn stopped() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async {
            match term.as_mut() {
                Some(term) => { term.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}
