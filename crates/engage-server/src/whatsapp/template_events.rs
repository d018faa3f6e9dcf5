//! Meta's template notifications applied to the templates they name: the status (a paused,
//! disabled or rejected template refuses sends until approved again), the quality rating
//! and the category, each with the change staff see on the campaigns that use it. Every
//! notification is recorded; one that names no known template is logged as unmatched.

use engage_core::wire::{
    TemplateCategory, TemplateChange, TemplateChangeKind, TemplateQuality, TemplateStatus,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::{
    enum_str, Store, StoreError, TemplateEventOutcome, TemplateEventRecord, TemplateEventTarget,
    TemplateState, TemplateUpdate,
};

use super::webhook::{TemplateEvent, TemplateEventChange};

fn change_of(kind: TemplateChangeKind, at: OffsetDateTime) -> TemplateChange {
    TemplateChange {
        kind,
        at,
        reason: None,
        previous_category: None,
        new_category: None,
        previous_quality: None,
        new_quality: None,
    }
}

/// Higher is better; `UNKNOWN` (no rating yet) is not ranked.
fn quality_rank(quality: TemplateQuality) -> Option<u8> {
    match quality {
        TemplateQuality::Green => Some(3),
        TemplateQuality::Yellow => Some(2),
        TemplateQuality::Red => Some(1),
        TemplateQuality::Unknown => None,
    }
}

/// The status change staff should be told of, from `from` to `to`.
fn status_change_kind(from: &str, to: TemplateStatus) -> Option<TemplateChangeKind> {
    match to {
        TemplateStatus::Paused => Some(TemplateChangeKind::Paused),
        TemplateStatus::Disabled => Some(TemplateChangeKind::Disabled),
        TemplateStatus::Rejected => Some(TemplateChangeKind::Rejected),
        TemplateStatus::Approved if from != "PENDING" => Some(TemplateChangeKind::Reapproved),
        TemplateStatus::Approved | TemplateStatus::Pending => None,
    }
}

/// What `change` does to a template in `state` (empty: nothing).
pub fn update_for(
    change: &TemplateEventChange,
    state: &TemplateState,
    at: OffsetDateTime,
) -> TemplateUpdate {
    let mut update = TemplateUpdate::default();
    match change {
        TemplateEventChange::Status {
            event,
            new_status,
            reason,
        } => match new_status {
            Some(status) if enum_str(status) != state.status => {
                update.status = Some(*status);
                update.last_change =
                    status_change_kind(&state.status, *status).map(|kind| TemplateChange {
                        reason: reason.clone().filter(|r| r != "NONE"),
                        ..change_of(kind, at)
                    });
            }
            Some(_) => {}
            None if event.eq_ignore_ascii_case("FLAGGED") => {
                update.last_change = Some(TemplateChange {
                    reason: reason.clone().filter(|r| r != "NONE"),
                    ..change_of(TemplateChangeKind::Flagged, at)
                });
            }
            None => {}
        },
        TemplateEventChange::Quality { previous, new } => {
            let stored = state
                .quality
                .as_deref()
                .and_then(|q| crate::store::parse_enum::<TemplateQuality>("quality", q).ok());
            if stored == Some(*new) {
                return update;
            }
            update.quality = Some(*new);
            let before = stored.or(*previous);
            let dropped = match (before.and_then(quality_rank), quality_rank(*new)) {
                (Some(before), Some(after)) => after < before,
                _ => false,
            };
            if dropped {
                update.last_change = Some(TemplateChange {
                    previous_quality: before,
                    new_quality: Some(*new),
                    ..change_of(TemplateChangeKind::QualityDropped, at)
                });
            }
        }
        TemplateEventChange::Category {
            previous,
            new,
            scheduled,
        } => {
            let current =
                crate::store::parse_enum::<TemplateCategory>("category", &state.category).ok();
            let kind = match scheduled {
                true => TemplateChangeKind::RecategorisationScheduled,
                false if current == Some(*new) => return update,
                false => {
                    update.category = Some(*new);
                    TemplateChangeKind::Recategorised
                }
            };
            update.last_change = Some(TemplateChange {
                previous_category: previous.or(current),
                new_category: Some(*new),
                ..change_of(kind, at)
            });
        }
    }
    update
}

/// Applies a template notification (signed for `scope`, or for the whole server) to the
/// templates it names and records it. Returns the outcome and the campaigns whose cached
/// send context is stale.
pub async fn apply_template_event(
    store: &Store,
    scope: Option<Uuid>,
    event: &TemplateEvent,
) -> Result<(TemplateEventOutcome, Vec<Uuid>), StoreError> {
    let target = TemplateEventTarget {
        only_workspace: scope,
        waba_id: event.waba_id.as_deref().unwrap_or_default(),
        meta_template_id: event.template_id.as_deref(),
        name: event.name.as_deref(),
        language: event.language.as_deref(),
    };
    let matched = match event.waba_id {
        Some(_) => store.templates_named_by_event(target).await?,
        None => Vec::new(),
    };
    let now = OffsetDateTime::now_utc();
    let updates: Vec<(String, TemplateUpdate)> = matched
        .iter()
        .map(|state| {
            let mut update = event
                .change
                .as_ref()
                .map(|c| update_for(c, state, now))
                .unwrap_or_default();
            if state.meta_template_id.is_none() {
                update.meta_id = event.template_id.clone();
            }
            (state.id.clone(), update)
        })
        .collect();
    let ids: Vec<String> = matched.iter().map(|s| s.id.clone()).collect();
    let label = event.label();
    let (outcome, campaigns) = store
        .record_template_event(
            TemplateEventRecord {
                field: &event.field,
                target,
                event: label.as_deref(),
                payload: &event.value,
            },
            &ids,
            &updates,
        )
        .await?;
    if outcome == TemplateEventOutcome::Unmatched {
        tracing::warn!(
            field = %event.field,
            waba_id = ?event.waba_id,
            template_id = ?event.template_id,
            name = ?event.name,
            language = ?event.language,
            event = ?label,
            "unmatched template notification: no known template has this id or name and language; recorded, not applied"
        );
    }
    Ok((outcome, campaigns))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: &str, category: &str, quality: Option<&str>) -> TemplateState {
        TemplateState {
            id: "t".into(),
            workspace_id: "w".into(),
            status: status.into(),
            category: category.into(),
            quality: quality.map(str::to_owned),
            meta_template_id: Some("1".into()),
        }
    }

    fn status(event: &str, new_status: Option<TemplateStatus>) -> TemplateEventChange {
        TemplateEventChange::Status {
            event: event.into(),
            new_status,
            reason: Some("NONE".into()),
        }
    }

    fn kind(update: &TemplateUpdate) -> Option<TemplateChangeKind> {
        update.last_change.as_ref().map(|c| c.kind)
    }

    const AT: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    #[test]
    fn a_pause_a_disable_and_a_reapproval_are_changes_staff_see() {
        let approved = state("APPROVED", "UTILITY", None);
        let paused = update_for(
            &status("PAUSED", Some(TemplateStatus::Paused)),
            &approved,
            AT,
        );
        assert_eq!(paused.status, Some(TemplateStatus::Paused));
        assert_eq!(kind(&paused), Some(TemplateChangeKind::Paused));
        assert_eq!(
            paused.last_change.unwrap().reason,
            None,
            "NONE is no reason"
        );
        let again = update_for(
            &status("APPROVED", Some(TemplateStatus::Approved)),
            &state("PAUSED", "UTILITY", None),
            AT,
        );
        assert_eq!(kind(&again), Some(TemplateChangeKind::Reapproved));
        let first = update_for(
            &status("APPROVED", Some(TemplateStatus::Approved)),
            &state("PENDING", "UTILITY", None),
            AT,
        );
        assert_eq!(first.status, Some(TemplateStatus::Approved));
        assert_eq!(kind(&first), None, "a first approval is no news");
    }

    #[test]
    fn a_repeated_status_changes_nothing_and_a_flag_only_warns() {
        let approved = state("APPROVED", "UTILITY", None);
        assert!(update_for(
            &status("APPROVED", Some(TemplateStatus::Approved)),
            &approved,
            AT
        )
        .is_empty());
        let flagged = update_for(&status("FLAGGED", None), &approved, AT);
        assert_eq!(flagged.status, None);
        assert_eq!(kind(&flagged), Some(TemplateChangeKind::Flagged));
    }

    #[test]
    fn only_a_lower_quality_is_a_drop() {
        let green = state("APPROVED", "UTILITY", Some("GREEN"));
        let quality = |previous, new| TemplateEventChange::Quality { previous, new };
        let yellow = update_for(
            &quality(Some(TemplateQuality::Green), TemplateQuality::Yellow),
            &green,
            AT,
        );
        assert_eq!(yellow.quality, Some(TemplateQuality::Yellow));
        assert_eq!(kind(&yellow), Some(TemplateChangeKind::QualityDropped));
        let red = state("APPROVED", "UTILITY", Some("RED"));
        let up = update_for(
            &quality(Some(TemplateQuality::Red), TemplateQuality::Green),
            &red,
            AT,
        );
        assert_eq!(
            (up.quality, kind(&up)),
            (Some(TemplateQuality::Green), None)
        );
        let unknown = update_for(&quality(None, TemplateQuality::Unknown), &green, AT);
        assert_eq!(kind(&unknown), None);
    }

    #[test]
    fn a_recategorisation_changes_the_category_and_an_announced_one_only_warns() {
        let utility = state("APPROVED", "UTILITY", None);
        let done = TemplateEventChange::Category {
            previous: Some(TemplateCategory::Utility),
            new: TemplateCategory::Marketing,
            scheduled: false,
        };
        let update = update_for(&done, &utility, AT);
        assert_eq!(update.category, Some(TemplateCategory::Marketing));
        let change = update.last_change.unwrap();
        assert_eq!(change.kind, TemplateChangeKind::Recategorised);
        assert_eq!(change.previous_category, Some(TemplateCategory::Utility));
        let announced = TemplateEventChange::Category {
            previous: Some(TemplateCategory::Utility),
            new: TemplateCategory::Marketing,
            scheduled: true,
        };
        let update = update_for(&announced, &utility, AT);
        assert_eq!(update.category, None);
        assert_eq!(
            kind(&update),
            Some(TemplateChangeKind::RecategorisationScheduled)
        );
    }
}
