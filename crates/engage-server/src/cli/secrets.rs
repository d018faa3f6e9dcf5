//! `rotate-secret-key`: re-encrypts every stored secret with the current key.
//!
//! A rotation: (1) restart every instance with the new key as `ENGAGE_SECRET_KEY` (or
//! `ENGAGE_SECRET_KEY_FILE`) and the old one as `ENGAGE_SECRET_KEY_PREVIOUS` — they open
//! secrets sealed with either and seal new ones with the new key; (2) run this command once;
//! (3) when it reports `"unreadable": 0`, drop `ENGAGE_SECRET_KEY_PREVIOUS`.

use serde_json::Value;

use crate::config::ServerConfig;
use crate::crypto::{SealedWith, SecretKey};
use crate::error::ServerError;
use crate::store::secrets::{Reseal, ResealReport};
use crate::store::Store;

/// → `{"resealed", "already_current", "unreadable", "previous_key", "columns": [...]}`.
pub async fn rotate_secret_key(config: &ServerConfig) -> Result<Value, ServerError> {
    let key = config.load_secret_key()?;
    let store = super::open(config).await?;
    let result = reseal_with(&store, &key).await;
    store.close().await;
    let mut summary = serde_json::to_value(result?).expect("the report serialises");
    summary["previous_key"] = Value::Bool(key.has_previous());
    Ok(summary)
}

/// Re-seals with `key`'s current key every secret its previous key sealed, in one
/// transaction; secrets neither key opens are counted and left as they are.
pub async fn reseal_with(store: &Store, key: &SecretKey) -> Result<ResealReport, ServerError> {
    Ok(store
        .reseal_secrets(|sealed| match key.open(sealed) {
            Ok((_, SealedWith::Current)) => Reseal::Keep,
            Ok((plaintext, SealedWith::Previous)) => Reseal::Replace(key.encrypt(&plaintext)),
            Err(_) => Reseal::Unreadable,
        })
        .await?)
}
