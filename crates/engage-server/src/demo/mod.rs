//! The sandbox workspace: a staff user, an API client, three sender numbers (one inactive)
//! and realistic WhatsApp templates (Portuguese first, also Spanish and English). Seeding is
//! idempotent and always returns the same credentials (the client secret is stored
//! encrypted, so it is decrypted again).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use engage_core::wire::{ProviderKind, SenderStatus};

use crate::config::SecretKeySource;
use crate::crypto::{hash_password, new_client_id, random_token, sha256, SecretKey};
use crate::error::ServerError;
use crate::store::{NewSender, Store, StoreError};
use crate::whatsapp::import::{import_listing, TemplateImport};

/// The sandbox staff user (local only).
pub const DEMO_EMAIL: &str = "demo@engage.local";
pub const DEMO_PASSWORD: &str = "engage-sandbox";
pub const DEMO_WORKSPACE_NAME: &str = "Engage Sandbox";
pub const DEMO_API_CLIENT_NAME: &str = "Sandbox integration";

/// Meta `message_templates` listing of the demo templates.
const TEMPLATES_JSON: &str = include_str!("templates.json");

/// (name, phone, active)
const SENDERS: [(&str, &str, bool); 3] = [
    ("Atendimento São Paulo", "+5511987654321", true),
    ("Cobrança Rio de Janeiro", "+5521998765432", true),
    ("Promoções (desativado)", "+5531991234567", false),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoCredentials {
    pub workspace_id: Uuid,
    pub user: DemoUser,
    pub api_client: DemoApiClient,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoUser {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoApiClient {
    pub client_id: String,
    pub client_secret: String,
}

/// Seeds (idempotently) the demo workspace in the database at `database_url`.
pub async fn seed_demo(
    database_url: &str,
    secret_key: &SecretKeySource,
) -> Result<DemoCredentials, ServerError> {
    let key = secret_key.load()?;
    let store = Store::connect(database_url).await?;
    let result = seed(&store, &key).await;
    store.close().await;
    result
}

/// Seeds the demo workspace through an open store.
pub async fn seed(store: &Store, key: &SecretKey) -> Result<DemoCredentials, ServerError> {
    let workspace_id = demo_workspace(store).await?;
    for (name, phone, active) in SENDERS {
        store
            .ensure_sender(NewSender {
                workspace_id,
                name,
                phone,
                status: if active {
                    SenderStatus::Active
                } else {
                    SenderStatus::Inactive
                },
                provider: ProviderKind::Sandbox,
            })
            .await?;
    }
    import_templates(store, workspace_id, TEMPLATES_JSON).await?;
    let (client_id, client_secret) =
        workspace_client_credentials(store, key, workspace_id, DEMO_API_CLIENT_NAME).await?;
    Ok(DemoCredentials {
        workspace_id,
        user: DemoUser {
            email: DEMO_EMAIL.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
        },
        api_client: DemoApiClient {
            client_id,
            client_secret,
        },
    })
}

async fn demo_workspace(store: &Store) -> Result<Uuid, ServerError> {
    if let Some(user) = store.user_by_email(DEMO_EMAIL).await? {
        return Ok(user.workspace_id);
    }
    let workspace_id = store.create_workspace(DEMO_WORKSPACE_NAME).await?;
    let hash = password_hash(DEMO_PASSWORD.to_owned()).await?;
    match store
        .create_user(workspace_id, DEMO_EMAIL, &hash, engage_core::Role::Admin)
        .await
    {
        Ok(_) => Ok(workspace_id),
        // Seeded concurrently by another process: use its workspace.
        Err(StoreError::EmailTaken) => store
            .user_by_email(DEMO_EMAIL)
            .await?
            .map(|user| user.workspace_id)
            .ok_or(ServerError::Store(StoreError::EmailTaken)),
        Err(error) => Err(error.into()),
    }
}

/// argon2id off the async threads.
pub async fn password_hash(password: String) -> Result<String, ServerError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await?
        .map_err(ServerError::from)
}

/// Parses a Meta `message_templates` document and imports each template on its own
/// ([`crate::whatsapp::import`]); only a document that is not a listing is refused.
pub async fn import_templates(
    store: &Store,
    workspace_id: Uuid,
    json: &str,
) -> Result<TemplateImport, ServerError> {
    let items = engage_core::parse_meta_listing(json).map_err(|source| ServerError::Domain {
        field: "templates",
        source,
    })?;
    Ok(import_listing(store, workspace_id, items).await?)
}

/// Creates an API client; returns `(client_id, client_secret)`. The secret is stored hashed
/// and encrypted, never in clear.
pub async fn create_api_client(
    store: &Store,
    key: &SecretKey,
    workspace_id: Uuid,
    name: &str,
) -> Result<(String, String), StoreError> {
    let client_id = new_client_id();
    let secret = random_token();
    store
        .create_api_client(
            workspace_id,
            name,
            &client_id,
            &sha256(&secret),
            &key.encrypt(&secret),
        )
        .await?;
    Ok((client_id, secret))
}

/// The workspace's (oldest) API client credentials, creating a client named `name` when the
/// workspace has none.
pub async fn workspace_client_credentials(
    store: &Store,
    key: &SecretKey,
    workspace_id: Uuid,
    name: &str,
) -> Result<(String, String), ServerError> {
    if let Some(client) = store.first_api_client(workspace_id).await? {
        let secret = key.decrypt(&client.secret_encrypted)?;
        return Ok((client.client_id, secret));
    }
    Ok(create_api_client(store, key, workspace_id, name).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_templates_parse_with_engage_core() {
        let templates = engage_core::parse_meta_templates(super::TEMPLATES_JSON).unwrap();
        assert!(templates.len() >= 8);
        assert_eq!(templates[0].name(), "saldo_baixo");
    }
}
