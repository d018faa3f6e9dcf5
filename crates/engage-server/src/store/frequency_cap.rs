//! The recent send times of each recipient of a capped campaign (`frequency_cap_sends`),
//! read and written only by the message writer inside its group transaction: the row is
//! upserted first, which locks it until the commit (on PostgreSQL a concurrent writer of
//! another instance waits there and then reads the times this one added; SQLite has one
//! writer per file), so the check and the insert of the messages are atomic.

use engage_core::frequency_cap::{MAX_MESSAGES, MAX_PERIOD_MS};

use super::{on_tx, Tx};

/// The recipient of a capped send: campaign id, E.164 number, and whether the send uses
/// test credentials (counted apart from live sends).
pub(crate) type CapKey = (String, String, bool);

/// Locks the recipient's row (creating it) and returns its recorded send times (ms).
pub(crate) async fn lock_sends(tx: &mut Tx, key: &CapKey) -> Result<Vec<i64>, sqlx::Error> {
    let (campaign_id, phone, test) = key;
    let sends: String = on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO frequency_cap_sends (campaign_id, phone, test, sends) VALUES ($1, $2, $3, '[]')
         ON CONFLICT (campaign_id, phone, test) DO UPDATE SET sends = frequency_cap_sends.sends
         RETURNING sends",
    )
    .bind(campaign_id)
    .bind(phone)
    .bind(*test)
    .fetch_one(&mut *conn)
    .await)?;
    // A value this code did not write is treated as no history rather than failing sends.
    Ok(serde_json::from_str(&sends).unwrap_or_default())
}

/// Writes the recipient's send times back, keeping those that any cap could still count:
/// within the longest period before `now`, the newest [`MAX_MESSAGES`].
pub(crate) async fn store_sends(
    tx: &mut Tx,
    key: &CapKey,
    sends: &[i64],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut kept: Vec<i64> = sends
        .iter()
        .copied()
        .filter(|t| *t + MAX_PERIOD_MS > now)
        .collect();
    kept.sort_unstable();
    let excess = kept.len().saturating_sub(MAX_MESSAGES as usize);
    kept.drain(..excess);
    let (campaign_id, phone, test) = key;
    on_tx!(tx, conn => sqlx::query(
        "UPDATE frequency_cap_sends SET sends = $1 WHERE campaign_id = $2 AND phone = $3 AND test = $4",
    )
    .bind(serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into()))
    .bind(campaign_id)
    .bind(phone)
    .bind(*test)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
