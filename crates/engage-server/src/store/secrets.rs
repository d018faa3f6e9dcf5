//! The secrets sealed with the server's key, column by column, for a key rotation
//! (`engage-server rotate-secret-key`). The store does not know the key: the caller says, for
//! each sealed value, whether to keep it or what to replace it with.
//!
//! Portable SQL with numbered placeholders (SQLite and PostgreSQL). A value is replaced only
//! if it is still the one read (`WHERE column = old value`; every sealed value has its own
//! random nonce), so a secret changed meanwhile by a running server is left as that server
//! wrote it.

use serde::Serialize;

use super::{on_tx, Store, StoreError};

/// Every column that holds a secret sealed with the server's key: `(table, column)`.
pub const SEALED_COLUMNS: [(&str, &str); 5] = [
    ("api_clients", "secret_encrypted"),
    ("senders", "access_token_encrypted"),
    ("whatsapp_settings", "app_secret_encrypted"),
    ("whatsapp_settings", "verify_token_encrypted"),
    // status callback signing secrets (issue 11)
    ("callback_endpoints", "secret_encrypted"),
];

/// What to do with one sealed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reseal {
    /// Already sealed with the current key.
    Keep,
    /// Sealed with the previous key: store this instead (sealed with the current key).
    Replace(Vec<u8>),
    /// Opened by neither key: left as it is.
    Unreadable,
}

/// The outcome for one column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResealCounts {
    /// `table.column`.
    pub column: String,
    pub resealed: u64,
    pub already_current: u64,
    pub unreadable: u64,
}

/// The outcome of [`Store::reseal_secrets`], per column and in total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResealReport {
    pub resealed: u64,
    pub already_current: u64,
    pub unreadable: u64,
    pub columns: Vec<ResealCounts>,
}

impl Store {
    /// Passes every stored sealed secret to `reseal` and applies its answers, all in one
    /// transaction: either every replacement is committed or none is.
    pub async fn reseal_secrets(
        &self,
        mut reseal: impl FnMut(&[u8]) -> Reseal,
    ) -> Result<ResealReport, StoreError> {
        let mut tx = self.begin().await?;
        let mut report = ResealReport::default();
        for (table, column) in SEALED_COLUMNS {
            let mut counts = ResealCounts {
                column: format!("{table}.{column}"),
                ..ResealCounts::default()
            };
            let select = format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL");
            let update = format!("UPDATE {table} SET {column} = $1 WHERE {column} = $2");
            let sealed: Vec<(Vec<u8>,)> =
                on_tx!(&mut tx, conn => sqlx::query_as(&select).fetch_all(&mut *conn).await)?;
            for (old,) in sealed {
                match reseal(&old) {
                    Reseal::Keep => counts.already_current += 1,
                    Reseal::Unreadable => counts.unreadable += 1,
                    Reseal::Replace(new) => {
                        counts.resealed += on_tx!(&mut tx, conn => sqlx::query(&update)
                            .bind(&new)
                            .bind(&old)
                            .execute(&mut *conn)
                            .await
                            .map(|done| done.rows_affected()))?;
                    }
                }
            }
            report.resealed += counts.resealed;
            report.already_current += counts.already_current;
            report.unreadable += counts.unreadable;
            report.columns.push(counts);
        }
        tx.commit().await?;
        Ok(report)
    }
}
