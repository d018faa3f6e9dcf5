//! The one path by which Meta's templates enter a workspace, shared by `template import`
//! (a `message_templates` file), "Sync from WhatsApp" and the demo seed: each template of a
//! listing is imported or skipped on its own, keeps Meta's id, and a template Meta approved
//! in a kind Engage cannot send is imported marked unsupported (shown, never offered).
//! A status found changed since the last import becomes the template's last change, as a
//! webhook would have made it.

use engage_core::wire::{TemplateChange, TemplateChangeKind, TemplateStatus, UnsupportedKind};
use engage_core::ListingItem;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::store::{NewTemplate, Store, StoreError};

/// A template brought in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportedTemplate {
    pub id: Uuid,
    /// Meta's template id, when the listing has it.
    pub meta_id: Option<String>,
    pub name: String,
    pub language: String,
    pub status: TemplateStatus,
    /// Set when Engage cannot send this kind: it is shown as unavailable, never offered.
    pub unsupported: Option<UnsupportedKind>,
    /// Why, naming the component and field.
    pub unsupported_reason: Option<String>,
}

/// A template left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SkippedTemplate {
    /// `name (language)` as listed (`data[3]` when it has neither).
    pub item: String,
    /// The component and field at fault, e.g. `components[1].buttons[0].url`.
    pub field: Option<String>,
    pub reason: String,
}

/// What one import did, template by template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct TemplateImport {
    pub imported: Vec<ImportedTemplate>,
    pub updated: Vec<ImportedTemplate>,
    pub skipped: Vec<SkippedTemplate>,
}

impl TemplateImport {
    /// Meta's ids of every template imported or updated.
    pub fn meta_ids(&self) -> Vec<String> {
        self.imported
            .iter()
            .chain(&self.updated)
            .filter_map(|t| t.meta_id.clone())
            .collect()
    }
}

/// The change staff should see when an import finds `to` where `from` was stored.
fn change_between(from: &str, to: TemplateStatus) -> Option<TemplateChangeKind> {
    if from == crate::store::enum_str(&to) {
        return None;
    }
    match to {
        TemplateStatus::Paused => Some(TemplateChangeKind::Paused),
        TemplateStatus::Disabled => Some(TemplateChangeKind::Disabled),
        TemplateStatus::Rejected => Some(TemplateChangeKind::Rejected),
        TemplateStatus::Approved => Some(TemplateChangeKind::Reapproved),
        TemplateStatus::Pending => None,
    }
}

/// Imports every template of `items` into the workspace, each on its own.
pub async fn import_listing(
    store: &Store,
    workspace_id: Uuid,
    items: Vec<ListingItem>,
) -> Result<TemplateImport, StoreError> {
    let mut report = TemplateImport::default();
    for item in items {
        let template = match item.result {
            Ok(template) => template,
            Err(error) => {
                report.skipped.push(SkippedTemplate {
                    item: item.label,
                    field: error.field(),
                    reason: error.to_string(),
                });
                continue;
            }
        };
        let existing = store
            .template_state(workspace_id, template.name(), template.language())
            .await?;
        let last_change = existing
            .as_ref()
            .and_then(|e| change_between(&e.status, template.status()))
            .map(|kind| TemplateChange {
                kind,
                at: OffsetDateTime::now_utc(),
                reason: None,
                previous_category: None,
                new_category: None,
                previous_quality: None,
                new_quality: None,
            });
        let id = store
            .upsert_template(NewTemplate {
                workspace_id,
                name: template.name(),
                language: template.language(),
                category: template.category(),
                status: template.status(),
                components: template.components(),
                variables: template.variables(),
                meta_id: item.meta_id.as_deref(),
                unsupported: template.unsupported(),
                last_change: last_change.as_ref(),
            })
            .await?;
        let imported = ImportedTemplate {
            id,
            meta_id: item.meta_id,
            name: template.name().to_owned(),
            language: template.language().to_owned(),
            status: template.status(),
            unsupported: template.unsupported().map(|u| u.kind),
            unsupported_reason: template.unsupported().map(|u| u.reason.clone()),
        };
        match existing {
            Some(_) => report.updated.push(imported),
            None => report.imported.push(imported),
        }
    }
    Ok(report)
}
