//! "Sync from WhatsApp": the templates (`GET /{waba}/message_templates`, every page) and
//! phone numbers (`GET /{waba}/phone_numbers`) of each WhatsApp Business Account the
//! workspace's whatsapp_cloud senders belong to, brought into the workspace: new ones
//! added, changed ones updated, gone ones disabled (templates) or deactivated (senders).

use std::collections::BTreeSet;

use engage_core::wire::SenderStatus;
use engage_core::PhoneNumber;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crypto::SecretKey;
use crate::store::{Store, StoreError};

use super::client::{GraphClient, MetaTemplateRecord};
use super::import::{import_listing, TemplateImport};
use super::WhatsAppError;
use crate::store::NewCloudSender;

/// A template or number sync left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SyncSkipped {
    /// `name (language)` of a template, the display number of a phone number.
    pub item: String,
    pub reason: String,
}

/// What a sync changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SyncReport {
    pub templates_created: u32,
    pub templates_updated: u32,
    /// Synced before, absent now: set DISABLED.
    pub templates_disabled: u32,
    pub senders_created: u32,
    pub senders_updated: u32,
    /// Numbers no longer listed by Meta: set inactive.
    pub senders_deactivated: u32,
    pub skipped: Vec<SyncSkipped>,
    /// The templates, one by one (the same report as `template import`).
    pub templates: TemplateImport,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `+55 11 98765-4321` → `+5511987654321`.
fn e164_of_display(display: &str) -> Option<PhoneNumber> {
    let digits: String = display.chars().filter(char::is_ascii_digit).collect();
    PhoneNumber::parse(&format!("+{digits}")).ok()
}

/// Syncs every WhatsApp Business Account of the workspace's whatsapp_cloud senders.
pub async fn sync_workspace(
    store: &Store,
    key: &SecretKey,
    client: &GraphClient,
    workspace_id: Uuid,
) -> Result<SyncReport, WhatsAppError> {
    let senders = store.cloud_senders(workspace_id).await?;
    if senders.is_empty() {
        return Err(WhatsAppError::NoCloudSender);
    }
    let mut report = SyncReport::default();
    let mut seen_template_ids: Vec<String> = Vec::new();
    let mut done_wabas = BTreeSet::new();
    for account in &senders {
        if !done_wabas.insert(account.waba_id.clone()) {
            continue;
        }
        let token = key.decrypt(&account.access_token_encrypted)?;

        let items = client
            .list_templates(&account.waba_id, &token)
            .await?
            .iter()
            .map(MetaTemplateRecord::listing_item)
            .collect();
        let imported = import_listing(store, workspace_id, items).await?;
        seen_template_ids.extend(imported.meta_ids());
        report.templates_created += count(imported.imported.len());
        report.templates_updated += count(imported.updated.len());
        report
            .skipped
            .extend(imported.skipped.iter().map(|skipped| SyncSkipped {
                item: skipped.item.clone(),
                reason: match &skipped.field {
                    Some(field) => format!("{field}: {}", skipped.reason),
                    None => skipped.reason.clone(),
                },
            }));
        report.templates.imported.extend(imported.imported);
        report.templates.updated.extend(imported.updated);
        report.templates.skipped.extend(imported.skipped);

        let numbers = client.list_phone_numbers(&account.waba_id, &token).await?;
        let mut listed = BTreeSet::new();
        for number in numbers {
            listed.insert(number.id.clone());
            let Some(phone) = e164_of_display(&number.display_phone_number) else {
                report.skipped.push(SyncSkipped {
                    item: number.display_phone_number.clone(),
                    reason: "not a valid phone number".to_owned(),
                });
                continue;
            };
            let name = number
                .verified_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| phone.display().to_owned());
            match senders.iter().find(|s| s.phone_number_id == number.id) {
                Some(existing) => {
                    if store
                        .update_cloud_sender(
                            &existing.id,
                            &name,
                            phone.as_e164(),
                            SenderStatus::Active,
                        )
                        .await?
                    {
                        report.senders_updated += 1;
                    }
                }
                None => {
                    if store.phone_number_id_in_use(&number.id).await? {
                        report.skipped.push(SyncSkipped {
                            item: number.display_phone_number.clone(),
                            reason: "its phone number id belongs to another workspace".to_owned(),
                        });
                        continue;
                    }
                    match store
                        .create_cloud_sender(NewCloudSender {
                            workspace_id,
                            name: &name,
                            phone: phone.as_e164(),
                            status: SenderStatus::Active,
                            phone_number_id: &number.id,
                            waba_id: &account.waba_id,
                            access_token_encrypted: &account.access_token_encrypted,
                            rate_per_second: None,
                        })
                        .await
                    {
                        Ok(_) => report.senders_created += 1,
                        Err(StoreError::SenderPhoneTaken) => report.skipped.push(SyncSkipped {
                            item: number.display_phone_number.clone(),
                            reason: "the workspace already has a sender with this phone number"
                                .to_owned(),
                        }),
                        Err(error) => return Err(error.into()),
                    }
                }
            }
        }
        for gone in senders
            .iter()
            .filter(|s| s.waba_id == account.waba_id && !listed.contains(&s.phone_number_id))
        {
            if gone.status != "inactive"
                && store
                    .update_cloud_sender(
                        &gone.id,
                        &store.sender_name(&gone.id).await?,
                        &gone.phone,
                        SenderStatus::Inactive,
                    )
                    .await?
            {
                report.senders_deactivated += 1;
            }
        }
    }
    report.templates_disabled = u32::try_from(
        store
            .disable_templates_not_in(workspace_id, &seen_template_ids)
            .await?
            .len(),
    )
    .unwrap_or(u32::MAX);
    Ok(report)
}
