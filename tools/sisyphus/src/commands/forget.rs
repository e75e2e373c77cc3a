//! `sisyphus forget`: drop tracked objects from the state database; the objects stay in their
//! clusters, untouched (the next push would create or adopt them again if the files still
//! declare them).

use std::collections::BTreeMap;

use anyhow::bail;
use sisyphus_core::change::Action;
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::state::ObjectId;
use sisyphus_state::{Operation, Outcome, PushInfo};

use crate::ExitStatus;
use crate::commands::args::{DatabaseArgs, UserArgs};
use crate::context::{self, Context};

/// Which tracked objects: each selector given must match (any of its values); at least one
/// selector is required.
#[derive(Debug, clap::Args)]
pub struct Selectors {
    /// Objects in this cluster (repeatable).
    #[arg(long = "cluster", value_name = "CLUSTER")]
    pub clusters: Vec<String>,
    /// Objects of this kind, e.g. `Deployment` (repeatable; any case).
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Objects in this namespace (repeatable).
    #[arg(long = "namespace", value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
    /// Objects with this name (repeatable).
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
}

impl Selectors {
    /// Whether no selector was given.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
            && self.kinds.is_empty()
            && self.namespaces.is_empty()
            && self.names.is_empty()
    }

    /// Whether `key` matches every selector given.
    pub fn matches(&self, key: &ObjectKey) -> bool {
        let any =
            |list: &[String], f: &dyn Fn(&String) -> bool| list.is_empty() || list.iter().any(f);
        any(&self.clusters, &|c| *c == key.cluster)
            && any(&self.kinds, &|k| k.eq_ignore_ascii_case(&key.kind))
            && any(&self.namespaces, &|n| {
                key.namespace.as_deref() == Some(n.as_str())
            })
            && any(&self.names, &|n| *n == key.name)
    }
}

/// Arguments of `sisyphus forget`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which objects.
    #[command(flatten)]
    pub selectors: Selectors,
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Who is doing it.
    #[command(flatten)]
    pub user: UserArgs,
}

/// Run the command.
///
/// # Errors
///
/// No selector, the database or the lock fails.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    if args.selectors.is_empty() {
        bail!(
            "`sisyphus forget` needs at least one of `--cluster`, `--kind`, `--namespace`, `--name` \
             (it would forget everything)"
        );
    }
    ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let holder = args.user.holder();
        let lock = context::take_lock(&store, &holder).await?;
        let snapshot = store.snapshot(None).await?;
        let chosen: Vec<&ObjectKey> = snapshot
            .objects
            .values()
            .map(|r| &r.key)
            .filter(|k| args.selectors.matches(k))
            .collect();
        let info = PushInfo {
            operation: Operation::Forget,
            user: holder.user.clone(),
            host: holder.host.clone(),
            inputs_hash: None,
        };
        let id = store.begin(&lock, &info).await?;
        let mut out = String::new();
        for key in &chosen {
            store.remove(&lock, &ObjectId::of(key)).await?;
            out.push_str(&format!("forgot {key}\n"));
        }
        let counts: BTreeMap<Action, usize> =
            [(Action::Delete, chosen.len())].into_iter().collect();
        store
            .finish(&lock, id, Outcome::Succeeded, &counts, None)
            .await?;
        lock.release().await?;
        store.close().await;
        out.push_str(&format!(
            "forgot {} object(s); they stay in their clusters\n",
            chosen.len()
        ));
        crate::printer::stdout(&out)?;
        Ok(ExitStatus::Success)
    })
}
