//! Audited writes: one fenced transaction that inserts an audit row in `pushes` (who, when,
//! from where, what) together with the rows it describes, so a failed write leaves neither.

/// Opens a fenced transaction on `$p`, inserts the audit row (`$operation`, `$message`) and
/// binds its id to `$id` (`$returning`: whether the dialect returns it), runs `$body` with
/// `$tx` and commits. Evaluates to the audit row's id.
macro_rules! audited {
    ($p:expr, $sql:expr, $lock:expr, $operation:expr, $message:expr, $what:expr,
     $returning:tt, |$tx:ident, $id:ident| $body:block) => {{
        let holder = $lock.holder();
        let mut $tx = $crate::store::fenced_transaction!($p, $sql, $lock, $what);
        let query = sqlx::query($sql.insert_audit.as_str())
            .bind($operation.as_str())
            .bind(holder.user.as_str())
            .bind(holder.host.as_str())
            .bind(i64::from(holder.pid))
            .bind($message);
        let $id: i64 = $crate::audit::audited!(@id $returning, query, $tx, $what);
        $body
        $tx.commit().await.map_err($crate::store::query_error($what.clone()))?;
        $id
    }};
    (@id returning, $query:expr, $tx:ident, $what:expr) => {
        sqlx::Row::try_get::<i64, _>(
            &$query
                .fetch_one(&mut *$tx)
                .await
                .map_err($crate::store::query_error($what.clone()))?,
            0,
        )
        .map_err($crate::store::query_error($what.clone()))?
    };
    (@id last_insert_id, $query:expr, $tx:ident, $what:expr) => {
        i64::try_from(
            $query
                .execute(&mut *$tx)
                .await
                .map_err($crate::store::query_error($what.clone()))?
                .last_insert_id(),
        )
        .unwrap_or(i64::MAX)
    };
}

/// Runs [`audited!`] on whichever pool `$store` has.
macro_rules! on_pool {
    ($store:expr, $lock:expr, $operation:expr, $message:expr, $what:expr,
     |$tx:ident, $id:ident| $body:block) => {{
        let sql = $store.sql();
        match $store.pool() {
            $crate::store::Pool::Sqlite(p) => {
                $crate::audit::audited!(
                    p,
                    sql,
                    $lock,
                    $operation,
                    $message,
                    $what,
                    returning,
                    |$tx, $id| $body
                )
            }
            $crate::store::Pool::Postgres(p) => {
                $crate::audit::audited!(
                    p,
                    sql,
                    $lock,
                    $operation,
                    $message,
                    $what,
                    returning,
                    |$tx, $id| $body
                )
            }
            $crate::store::Pool::MySql(p) => {
                $crate::audit::audited!(
                    p,
                    sql,
                    $lock,
                    $operation,
                    $message,
                    $what,
                    last_insert_id,
                    |$tx, $id| $body
                )
            }
        }
    }};
}
pub(crate) use {audited, on_pool};
