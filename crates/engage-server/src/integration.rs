//! A campaign's integration details: the URLs, its API credentials (live or test) and an
//! example body, the one source of `GET /v1/campaigns/{id}/integration`,
//! `GET /v1/campaigns/{id}/snippets` and `engage-server snippet`.
//!
//! Each campaign created since issue 11 has its own live and test client; older campaigns use
//! the workspace client until their credentials are rotated; test credentials are created on
//! first use for campaigns made before test mode.

use engage_core::wire::{Campaign, CampaignIntegration, CredentialMode, CredentialScope};
use uuid::Uuid;

use crate::crypto::{new_client_id, new_test_client_id, random_token, sha256, SecretKey};
use crate::error::ServerError;
use crate::http::DEFAULT_API_CLIENT_NAME;
use crate::store::{from_millis, now_ms, ApiClientRecord, NewApiClient, Store, StoreError};

/// The integration of `campaign` (of `workspace_id`) with its `mode` credentials, the real
/// client secret included.
pub async fn campaign_integration(
    store: &Store,
    key: &SecretKey,
    public_url: &str,
    workspace_id: Uuid,
    campaign: &Campaign,
    mode: CredentialMode,
) -> Result<CampaignIntegration, ServerError> {
    let credentials = campaign_credentials(store, key, workspace_id, campaign.id, mode).await?;
    let template = engage_core::Template::from_wire(&campaign.template).map_err(|error| {
        StoreError::Corrupt {
            what: "template",
            detail: format!(
                "stored template {} is invalid: {error}",
                campaign.template.id
            ),
        }
    })?;
    let public_url = public_url.trim_end_matches('/');
    Ok(credentials.into_integration(
        format!("{public_url}/oauth/token"),
        format!("{public_url}/v1/campaigns/{}/messages", campaign.id),
        template.example_request(),
    ))
}

/// The credentials of one campaign in one mode, secret opened.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub mode: CredentialMode,
    pub scope: CredentialScope,
    pub last_used_at: Option<i64>,
    pub previous_secret_expires_at: Option<i64>,
}

impl Credentials {
    fn open(
        key: &SecretKey,
        client: ApiClientRecord,
        mode: CredentialMode,
    ) -> Result<Self, ServerError> {
        let now = now_ms();
        Ok(Credentials {
            client_secret: key.decrypt(&client.secret_encrypted)?,
            scope: if client.campaign_id.is_some() {
                CredentialScope::Campaign
            } else {
                CredentialScope::Workspace
            },
            previous_secret_expires_at: client.previous_secret(now).map(|(_, until)| until),
            last_used_at: client.last_used_at,
            client_id: client.client_id,
            mode,
        })
    }

    /// Fills the credential fields of an integration answer.
    pub fn into_integration(
        self,
        token_url: String,
        send_url: String,
        example_request: engage_core::wire::SendMessageRequest,
    ) -> CampaignIntegration {
        CampaignIntegration {
            token_url,
            send_url,
            client_id: self.client_id,
            client_secret: self.client_secret,
            example_request,
            mode: self.mode,
            scope: self.scope,
            last_used_at: self.last_used_at.map(from_millis),
            previous_secret_expires_at: self.previous_secret_expires_at.map(from_millis),
        }
    }
}

pub fn is_test(mode: CredentialMode) -> bool {
    mode == CredentialMode::Test
}

/// A new client of `campaign_id` in `mode`, with its secret (hashed and sealed).
pub fn new_campaign_client(
    key: &SecretKey,
    workspace_id: Uuid,
    campaign_id: Uuid,
    mode: CredentialMode,
) -> NewApiClient {
    let secret = random_token();
    let (client_id, name) = match mode {
        CredentialMode::Live => (new_client_id(), "Campaign (live)"),
        CredentialMode::Test => (new_test_client_id(), "Campaign (test)"),
    };
    NewApiClient {
        workspace_id,
        name: name.to_owned(),
        client_id,
        secret_hash: sha256(&secret),
        secret_encrypted: key.encrypt(&secret),
        campaign_id: Some(campaign_id),
        test: is_test(mode),
    }
}

/// The live and test clients a new campaign is created with.
pub fn clients_of_new_campaign(
    key: &SecretKey,
    workspace_id: Uuid,
    campaign_id: Uuid,
) -> Vec<NewApiClient> {
    [CredentialMode::Live, CredentialMode::Test]
        .into_iter()
        .map(|mode| new_campaign_client(key, workspace_id, campaign_id, mode))
        .collect()
}

/// The campaign's credentials in `mode` (the campaign is known to be in the workspace). A
/// campaign without its own live client uses the workspace client; test credentials are
/// created on first use for campaigns made before test mode.
pub async fn campaign_credentials(
    store: &Store,
    key: &SecretKey,
    workspace_id: Uuid,
    campaign_id: Uuid,
    mode: CredentialMode,
) -> Result<Credentials, ServerError> {
    for _ in 0..2 {
        if let Some(client) = store
            .campaign_api_client(campaign_id, is_test(mode))
            .await?
        {
            return Credentials::open(key, client, mode);
        }
        if mode == CredentialMode::Live {
            let client = workspace_client(store, key, workspace_id).await?;
            return Credentials::open(key, client, mode);
        }
        let new = new_campaign_client(key, workspace_id, campaign_id, mode);
        // `None`: created meanwhile by a concurrent request; read it on the next turn.
        store.insert_api_client(&new).await?;
    }
    Err(StoreError::Corrupt {
        what: "api client",
        detail: "the campaign's test credentials could not be created".into(),
    }
    .into())
}

/// The workspace's oldest workspace-wide client, created when there is none.
async fn workspace_client(
    store: &Store,
    key: &SecretKey,
    workspace_id: Uuid,
) -> Result<ApiClientRecord, ServerError> {
    if let Some(client) = store.first_api_client(workspace_id).await? {
        return Ok(client);
    }
    crate::demo::create_api_client(store, key, workspace_id, DEFAULT_API_CLIENT_NAME).await?;
    store.first_api_client(workspace_id).await?.ok_or_else(|| {
        StoreError::Corrupt {
            what: "api client",
            detail: "the workspace client just created is missing".into(),
        }
        .into()
    })
}
