//! The integration log (issue 15): where the hand-off to the technical team stands on a
//! campaign, its recent requests, and every campaign's integration health for the list.
//! Read-only; every role may read it (the server decides).

use engage_core::wire::{CampaignIntegrationHealth, IntegrationLog};

use super::{validate, AppCore, AppError};

impl AppCore {
    /// The campaign's summary and recent requests (only the refused ones when asked).
    pub async fn integration_log(
        &self,
        campaign_id: &str,
        refused_only: bool,
    ) -> Result<IntegrationLog, AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.integration_log(&t, id, refused_only).await })
            .await
    }

    /// Each campaign's integration health (live, never used, failing, quiet).
    pub async fn integration_health(&self) -> Result<Vec<CampaignIntegrationHealth>, AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.integration_health(&t).await })
            .await
    }
}
