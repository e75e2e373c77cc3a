//! Sisyphus's access to Kubernetes clusters, for diff, apply, refresh and import.
//!
//! In: kubeconfig files (paths the caller found; see [`kubeconfig_files`]) and context names;
//! objects as `serde_json::Value`s (apiVersion/kind/metadata, as rendered); [`ObjectKey`]s and
//! [`ListScope`]s from `sisyphus-core`.
//! Out: [`Clusters`] (one [`Cluster`] per context), and from each cluster discovery answers
//! ([`KindInfo`]), live objects ([`LiveObject`]: identity, resourceVersion, Secret *key names*),
//! apply results ([`Applied`], [`SecretUpdate`], [`Deleted`]) and request counts
//! ([`RequestCounts`]).
//! Touches: the API servers named in the kubeconfig (HTTPS) and the kubeconfig files and the
//! credential files they name (read only). Nothing else: no environment variable is read here,
//! the caller passes them in.
//!
//! # Secrets
//!
//! Secret values pass through memory only. [`Cluster::list`] keeps key names, [`Cluster::get`]
//! returns values masked by [`sisyphus_core::secret::masked`], and no error or log carries a
//! value (API server messages about a Secret have the object's values scrubbed). A Secret is
//! never server-side applied ([`Cluster::apply`] refuses): [`Cluster::create_secret`] creates it,
//! [`Cluster::add_secret_keys`] adds only the keys it lacks, guarded by its resourceVersion.
//!
//! # Requests
//!
//! Every HTTP request a cluster's client sends is counted by a tower layer, by method: `GET`,
//! `HEAD` and `OPTIONS` are reads, dry-run writes (`dryRun=All`) are counted apart, everything
//! else is a write ([`Cluster::requests`]).

mod connect;
mod count;
mod error;
mod logs;
mod objects;
mod operations;
mod secrets;
mod untracked;
mod watch;

pub use connect::{Cluster, Clusters, DEFAULT_CHECK_TIMEOUT, kubeconfig_files};
pub use count::RequestCounts;
pub use error::{Error, Errors};
pub use logs::MAX_LOG_BYTES;
pub use operations::{Applied, Deleted, KindInfo, METADATA_PAGE_SIZE, SECRET_PAGE_SIZE};
pub use secrets::SecretUpdate;
pub use untracked::is_automatic;
pub use watch::{Seen, event_time};

// The boundary types this crate speaks, re-exported for convenience.
pub use sisyphus_core::desired::ObjectKey;
pub use sisyphus_core::live::{ListScope, LiveObject};
pub use sisyphus_core::state::ObjectId;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use super::*;

    fn send<T: Send>(_: &T) {}

    /// The operations can run in spawned tasks (clusters in parallel).
    #[allow(dead_code, reason = "compile-time check only")]
    fn futures_are_send(
        clusters: &Clusters,
        cluster: &Cluster,
        key: &ObjectKey,
        scope: &ListScope,
    ) {
        let object = serde_json::Value::Null;
        let tracked = BTreeSet::new();
        send(clusters);
        send(cluster);
        send(&clusters.check());
        send(&cluster.kind("", "v1", "ConfigMap"));
        send(&cluster.refresh_discovery());
        send(&cluster.list(scope));
        send(&cluster.apply(&object, false));
        send(&cluster.dry_run_object(&object));
        send(&cluster.get(key));
        send(&cluster.delete(key, Duration::ZERO));
        send(&cluster.create_secret(&object, false));
        send(&cluster.add_secret_keys(&object, false));
        send(&cluster.untracked_in_namespace("n", &tracked));
        send(&cluster.wait_crd_established("n", Duration::ZERO));
        send(&cluster.wait_namespace_gone("n", Duration::ZERO));
        send(&cluster.watch(scope, None));
        send(&cluster.pods_matching("n", &Default::default()));
        send(&cluster.events_about("n", &BTreeSet::new()));
        send(&Clusters::connect(&[], &[]));
    }
}
