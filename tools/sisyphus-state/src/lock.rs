//! The push lock: one lease row (`locks.name = 'push'`) that every dialect handles the same
//! way, so at most one push, import, forget or refresh writes at a time.
//!
//! Taking the lock is one `UPDATE ... WHERE token IS NULL OR expires_at < now`: a
//! compare-and-set on the row, so of two racing takers exactly one changes it. The holder's
//! [`PushLock`] renews the lease every third of its duration from a tokio task; a holder that
//! dies stops renewing, and once the lease has expired the next taker takes it over (and marks
//! the dead holder's running push `interrupted`). Every write checks, in the statement that
//! counts it, that the row still carries the holder's token: a holder whose lease was taken
//! over or broken writes nothing more ([`Error::LockLost`]). Times come from the database
//! server's clock, so hosts with skewed clocks agree on expiry.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::task::JoinHandle;

use crate::error::Error;
use crate::store::{Columns as _, Store, query_error, with_pool};
use crate::time::Timestamp;

/// The lease a [`Store::lock`] takes unless told otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// The shortest lease: renewals every third of it must have time to reach the database.
pub const MIN_LEASE: Duration = Duration::from_millis(300);
/// How often a lease is taken over or broken before giving up on a racing peer.
const ATTEMPTS: usize = 5;

/// Who takes or breaks the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// The user (the OS user unless `--user`/`SISYPHUS_USER`).
    pub user: String,
    /// The host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
}

/// Who holds the lock, as the database says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    /// The holder.
    pub holder: Holder,
    /// When it took the lock.
    pub since: Timestamp,
    /// When it last renewed the lease.
    pub heartbeat: Timestamp,
    /// When the lease ends unless renewed.
    pub expires: Timestamp,
    /// Whether the lease had ended when read (the holder stopped renewing: it is gone or
    /// cut off from the database); the next [`Store::lock`] takes it over.
    pub expired: bool,
}

/// The lock row as read, with the database clock.
pub(crate) struct LockRow {
    pub token: Option<String>,
    pub info: Option<LockInfo>,
}

/// Proof that this process holds the push lock: every write of the [`Store`] takes one.
/// Renews its lease in the background until [`PushLock::release`].
///
/// Dropping it without `release` stops the renewals and leaves the lease to expire, exactly as
/// if the process had died: the next taker waits out the lease (or `sisyphus unlock`).
#[derive(Debug)]
pub struct PushLock {
    store: Store,
    token: String,
    holder: Holder,
    lease: Duration,
    state: Arc<LeaseState>,
    heartbeat: JoinHandle<()>,
}

#[derive(Debug, Default)]
struct LeaseState {
    lost: AtomicBool,
}

impl PushLock {
    /// Who holds it.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    /// The lease duration.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Whether this process knows it lost the lease (renewal found another token, or could
    /// not reach the database for a whole lease). Writes also check the database itself.
    pub fn is_lost(&self) -> bool {
        self.state.lost.load(Ordering::SeqCst)
    }

    /// Releases the lock (and stops renewing it).
    ///
    /// # Errors
    ///
    /// [`Error::LockLost`] when it was no longer held, [`Error::Query`].
    pub async fn release(self) -> Result<(), Error> {
        self.heartbeat.abort();
        let sql = self.store.sql();
        let cleared = with_pool!(self.store.pool(), p => sqlx::query(sql.lock_clear.as_str())
            .bind(self.token.as_str())
            .execute(p)
            .await
            .map_err(query_error("release the push lock"))?
            .rows_affected());
        if cleared == 1 {
            Ok(())
        } else {
            Err(self.lost())
        }
    }

    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// `Err(LockLost)` once the lease is known lost.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.is_lost() {
            Err(Error::LockLost)
        } else {
            Ok(())
        }
    }

    /// Marks the lease lost and returns [`Error::LockLost`].
    pub(crate) fn lost(&self) -> Error {
        self.state.lost.store(true, Ordering::SeqCst);
        Error::LockLost
    }
}

impl Drop for PushLock {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl Store {
    /// Takes the push lock for `holder` with a lease of `lease` ([`DEFAULT_LEASE`] is 60 s),
    /// taking over an expired lease. Fails at once when another holder's lease is live.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] with the holder, since when and from which host;
    /// [`Error::LeaseTooShort`] below [`MIN_LEASE`]; [`Error::Query`].
    pub async fn lock(&self, holder: &Holder, lease: Duration) -> Result<PushLock, Error> {
        if lease < MIN_LEASE {
            return Err(Error::LeaseTooShort {
                ttl_ms: lease.as_millis(),
            });
        }
        let token = new_token(holder);
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let sql = self.sql();
        let operation = "take the push lock";
        let message = format!(
            "interrupted: it never finished, and its push lock was released or expired (no \
             heartbeat) before `{}` on `{}` (pid {}) took it",
            holder.user, holder.host, holder.pid
        );
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let taken = with_pool!(self.pool(), p => {
                let mut tx = p.begin().await.map_err(query_error(operation))?;
                let taken = sqlx::query(sql.lock_take.as_str())
                    .bind(token.as_str())
                    .bind(holder.user.as_str())
                    .bind(holder.host.as_str())
                    .bind(i64::from(holder.pid))
                    .bind(lease_ms)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(operation))?
                    .rows_affected()
                    == 1;
                if taken {
                    // Only the holder runs pushes: any still running belong to a dead one.
                    sqlx::query(sql.interrupt_running.as_str())
                        .bind(message.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(operation))?;
                    tx.commit().await.map_err(query_error(operation))?;
                } else {
                    tx.rollback().await.map_err(query_error(operation))?;
                }
                taken
            });
            if taken {
                let state = Arc::new(LeaseState::default());
                let heartbeat = tokio::spawn(renew(
                    self.clone(),
                    token.clone(),
                    lease,
                    Arc::clone(&state),
                ));
                return Ok(PushLock {
                    store: self.clone(),
                    token,
                    holder: holder.clone(),
                    lease,
                    state,
                    heartbeat,
                });
            }
            let Some(row) = self.lock_row().await? else {
                return Err(missing_lock_row());
            };
            match row.info {
                Some(info) if !info.expired => return Err(locked(info)),
                // Released or expired since our attempt: try again.
                info => last = info,
            }
        }
        Err(last.map_or_else(missing_lock_row, locked))
    }

    /// Who holds the push lock, if anyone.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn lock_info(&self) -> Result<Option<LockInfo>, Error> {
        Ok(self.lock_row().await?.and_then(|row| row.info))
    }

    /// Breaks the push lock, whoever holds it, and records an `unlock` row in the history
    /// (by `holder`), saying whose lock it broke. A running push of the broken holder is
    /// marked `interrupted`; its further writes fail with [`Error::LockLost`]. Returns whom
    /// it broke the lock of (`None`: nobody held it).
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn unlock(&self, holder: &Holder) -> Result<Option<LockInfo>, Error> {
        let sql = self.sql();
        let operation = "break the push lock";
        let mut broken = None;
        for _ in 0..ATTEMPTS {
            let Some(LockRow {
                token: Some(token),
                info,
            }) = self.lock_row().await?
            else {
                break;
            };
            let cleared = with_pool!(self.pool(), p => sqlx::query(sql.lock_clear.as_str())
                .bind(token.as_str())
                .execute(p)
                .await
                .map_err(query_error(operation))?
                .rows_affected());
            if cleared == 1 {
                broken = info;
                break;
            }
        }
        let message = match &broken {
            Some(info) => {
                let interrupted = format!(
                    "interrupted: its push lock was broken with `sisyphus unlock` by `{}` on `{}`",
                    holder.user, holder.host
                );
                with_pool!(self.pool(), p => {
                    sqlx::query(sql.interrupt_running.as_str())
                        .bind(interrupted.as_str())
                        .execute(p)
                        .await
                        .map_err(query_error(operation))?;
                });
                format!(
                    "broke the push lock held by `{}` on host `{}` (pid {}) since {}",
                    info.holder.user, info.holder.host, info.holder.pid, info.since
                )
            }
            None => "the push lock was not held".to_owned(),
        };
        with_pool!(self.pool(), p => {
            sqlx::query(sql.insert_unlock.as_str())
                .bind(holder.user.as_str())
                .bind(holder.host.as_str())
                .bind(i64::from(holder.pid))
                .bind(message.as_str())
                .execute(p)
                .await
                .map_err(query_error("record the unlock in the history"))?;
        });
        Ok(broken)
    }

    /// The lock row (`None` if the migration's row is missing: a database edited by hand).
    pub(crate) async fn lock_row(&self) -> Result<Option<LockRow>, Error> {
        let sql = self.sql();
        const T: &str = "locks";
        const ID: &str = "push";
        with_pool!(self.pool(), p => {
            let Some(row) = sqlx::query(sql.lock_read.as_str())
                .fetch_optional(p)
                .await
                .map_err(query_error("read the push lock"))?
            else {
                return Ok(None);
            };
            let token: Option<String> = row.cell(0, T, ID)?;
            let now: i64 = row.cell(7, T, ID)?;
            let info = match token {
                None => None,
                Some(_) => {
                    let pid: i64 = row.cell(3, T, ID)?;
                    let expires: i64 = row.cell::<Option<i64>>(6, T, ID)?.unwrap_or(0);
                    Some(LockInfo {
                        holder: Holder {
                            user: row.cell::<Option<String>>(1, T, ID)?.unwrap_or_default(),
                            host: row.cell::<Option<String>>(2, T, ID)?.unwrap_or_default(),
                            pid: u32::try_from(pid).unwrap_or(0),
                        },
                        since: Timestamp(row.cell::<Option<i64>>(4, T, ID)?.unwrap_or(0)),
                        heartbeat: Timestamp(row.cell::<Option<i64>>(5, T, ID)?.unwrap_or(0)),
                        expires: Timestamp(expires),
                        expired: expires < now,
                    })
                }
            };
            Ok(Some(LockRow { token, info }))
        })
    }

    /// Extends the lease of `token`; `false` when the row no longer carries it.
    async fn renew_lease(&self, token: &str, lease: Duration) -> Result<bool, Error> {
        let sql = self.sql();
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let renewed = with_pool!(self.pool(), p => sqlx::query(sql.lock_renew.as_str())
            .bind(lease_ms)
            .bind(token)
            .execute(p)
            .await
            .map_err(query_error("renew the push lock"))?
            .rows_affected());
        Ok(renewed == 1)
    }
}

/// The `locks` row of the first migration is gone.
fn missing_lock_row() -> Error {
    Error::BadRow {
        table: "locks",
        id: "push".to_owned(),
        problem: "the row is missing (a database edited by hand?)".to_owned(),
    }
}

/// [`Error::Locked`] for `info`.
fn locked(info: LockInfo) -> Error {
    Error::Locked {
        user: info.holder.user,
        host: info.holder.host,
        pid: info.holder.pid,
        since: info.since,
        expires: info.expires,
    }
}

/// The heartbeat: renews the lease every third of it until the lease is lost (another token
/// on the row, or no renewal reached the database for a whole lease).
async fn renew(store: Store, token: String, lease: Duration, state: Arc<LeaseState>) {
    let period = lease / 3;
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(period).await;
        match tokio::time::timeout(period, store.renew_lease(&token, lease)).await {
            Ok(Ok(true)) => renewed = Instant::now(),
            Ok(Ok(false)) => {
                tracing::warn!("lost the push lock: another process holds it now");
                state.lost.store(true, Ordering::SeqCst);
                return;
            }
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "failed to renew the push lock");
            }
            Err(_) => tracing::warn!("renewing the push lock timed out"),
        }
        if renewed.elapsed() >= lease {
            tracing::warn!("lost the push lock: no renewal reached the database for a lease");
            state.lost.store(true, Ordering::SeqCst);
            return;
        }
    }
}

/// A token no other lease will carry: pid, time, a per-process counter and per-process
/// random bits.
fn new_token(holder: &Holder) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let random = RandomState::new().build_hasher().finish();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{nanos:x}-{n}-{random:016x}", holder.pid)
}
