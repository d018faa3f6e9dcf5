//! `snippet`: a campaign's integration code in one language, with the real credentials (the
//! same data as `GET /v1/campaigns/{id}/integration`), for admins and scripts.

use clap::Args;
use engage_core::snippet::Integration;
use engage_core::wire::CredentialMode;
use engage_core::SnippetLang;
use serde_json::Value;
use uuid::Uuid;

use crate::config::ServerConfig;
use crate::error::ServerError;

#[derive(Debug, Args)]
pub struct SnippetArgs {
    /// The campaign's id.
    #[arg(long)]
    pub campaign: Uuid,
    /// curl_bash (default), power_shell, curl_cmd, python, node, php, java, c_sharp, go, ruby.
    #[arg(long, default_value = "curl_bash", value_parser = parse_lang)]
    pub lang: SnippetLang,
    /// Base URL the team reaches the server at; else ENGAGE_PUBLIC_URL, else
    /// http://<ENGAGE_LISTEN>.
    #[arg(long)]
    pub public_url: Option<String>,
    /// The campaign's test credentials (`engage_test_…`): its messages never reach WhatsApp.
    #[arg(long)]
    pub test: bool,
}

fn parse_lang(name: &str) -> Result<SnippetLang, String> {
    SnippetLang::parse(name).ok_or_else(|| {
        let names: Vec<_> = SnippetLang::ALL.iter().map(|lang| lang.as_str()).collect();
        format!("unknown language; one of: {}", names.join(", "))
    })
}

/// `snippet --campaign ID [--lang LANG] [--test]` → `{"lang", "token", "send"}`: step 1 and step 2 as
/// code (`jq -r .send` gives the program to save).
pub async fn snippet(config: &ServerConfig, args: &SnippetArgs) -> Result<Value, ServerError> {
    let key = config.load_secret_key()?;
    let store = super::open(config).await?;
    let mode = if args.test {
        CredentialMode::Test
    } else {
        CredentialMode::Live
    };
    let result = integration(config, &store, &key, args.campaign, mode).await;
    store.close().await;
    let integration = result?;
    Ok(
        serde_json::to_value(Integration::from_wire(&integration).render(args.lang))
            .expect("a snippet serialises"),
    )
}

async fn integration(
    config: &ServerConfig,
    store: &crate::store::Store,
    key: &crate::crypto::SecretKey,
    campaign_id: Uuid,
    mode: CredentialMode,
) -> Result<engage_core::wire::CampaignIntegration, ServerError> {
    let not_found = || ServerError::NotFound {
        what: "campaign",
        id: campaign_id.to_string(),
    };
    let workspace = store
        .campaign_workspace(campaign_id)
        .await?
        .ok_or_else(not_found)?;
    let campaign = store
        .campaign(workspace, campaign_id)
        .await?
        .ok_or_else(not_found)?;
    let public_url = config
        .public_url
        .clone()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| format!("http://{}", config.listen));
    crate::integration::campaign_integration(store, key, &public_url, workspace, &campaign, mode)
        .await
}
