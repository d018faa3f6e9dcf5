//! The do-not-message list (issue 12): `opt_outs` and the workspace's opt-out keywords. The
//! only SQL on them; staff changes are recorded in the audit log in the same transaction.

use std::collections::HashSet;

use engage_core::wire::{OptOut, OptOutSource};
use engage_core::AuditAction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{record_in, AuditContext, NewAuditEntry};
use super::{enum_str, from_millis, now_ms, on_pool, on_tx, parse_enum, Store, StoreError};

/// Rows per `IN (...)` look-up.
const CHUNK: usize = 500;

type OptOutRow = (String, String, Option<String>, i64);

fn opt_out((phone, source, detail, created_at): OptOutRow) -> Result<OptOut, StoreError> {
    Ok(OptOut {
        phone,
        source: parse_enum("opt-out source", &source)?,
        detail,
        created_at: from_millis(created_at),
    })
}

impl Store {
    /// Which of `phones` (E.164) are on the workspace's list.
    pub async fn opted_out(
        &self,
        workspace_id: Uuid,
        phones: &[&str],
    ) -> Result<HashSet<String>, StoreError> {
        let mut found = HashSet::new();
        for chunk in phones.chunks(CHUNK) {
            let rows: Vec<String> = on_pool!(self, pool => {
                let mut builder = sqlx::QueryBuilder::new(
                    "SELECT phone FROM opt_outs WHERE workspace_id = ",
                );
                builder.push_bind(workspace_id.to_string()).push(" AND phone IN (");
                let mut list = builder.separated(", ");
                for phone in chunk {
                    list.push_bind(*phone);
                }
                builder.push(")");
                builder.build_query_scalar::<String>().fetch_all(pool).await
            })?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// Puts `phone` on the list; `false` when it already was (nothing changes then). A staff
    /// addition (`context`) is recorded in the audit log in the same transaction.
    pub async fn add_opt_out(
        &self,
        workspace_id: Uuid,
        phone: &str,
        source: OptOutSource,
        detail: Option<&str>,
        context: Option<&AuditContext>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let added = on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO opt_outs (workspace_id, phone, source, detail, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, phone) DO NOTHING",
        )
        .bind(workspace_id.to_string())
        .bind(phone)
        .bind(enum_str(&source))
        .bind(detail)
        .bind(now_ms())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?
            == 1;
        if let (true, Some(context)) = (added, context) {
            let entry = NewAuditEntry::new(AuditAction::OptOutAdded)
                .target(phone)
                .change(None, Some(json!({ "phone": phone, "reason": detail })));
            record_in(&mut tx, context, &entry).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Puts many numbers (E.164, with an optional reason each) on the list in one transaction
    /// with one audit entry; returns how many were new.
    pub async fn import_opt_outs(
        &self,
        workspace_id: Uuid,
        rows: &[(String, Option<String>)],
        context: &AuditContext,
    ) -> Result<u32, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let mut added = 0u32;
        for chunk in rows.chunks(CHUNK) {
            let done = on_tx!(&mut tx, conn => {
                let mut builder = sqlx::QueryBuilder::new(
                    "INSERT INTO opt_outs (workspace_id, phone, source, detail, created_at) ",
                );
                builder.push_values(chunk, |mut row, (phone, reason)| {
                    row.push_bind(workspace_id.to_string())
                        .push_bind(phone.as_str())
                        .push_bind("staff")
                        .push_bind(reason.as_deref())
                        .push_bind(now);
                });
                builder.push(" ON CONFLICT (workspace_id, phone) DO NOTHING");
                builder.build().execute(&mut *conn).await.map(|done| done.rows_affected())
            })?;
            added += u32::try_from(done).unwrap_or(u32::MAX);
        }
        let entry = NewAuditEntry::new(AuditAction::OptOutAdded)
            .target("CSV import")
            .change(
                None,
                Some(json!({ "imported": added, "lines": rows.len() })),
            );
        record_in(&mut tx, context, &entry).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Takes `phone` off the list, recording who and why; `false` when it was not on it.
    pub async fn remove_opt_out(
        &self,
        workspace_id: Uuid,
        phone: &str,
        reason: &str,
        context: &AuditContext,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let removed: Option<OptOutRow> = on_tx!(&mut tx, conn => sqlx::query_as(
            "DELETE FROM opt_outs WHERE workspace_id = $1 AND phone = $2
             RETURNING phone, source, detail, created_at",
        )
        .bind(workspace_id.to_string())
        .bind(phone)
        .fetch_optional(&mut *conn)
        .await)?;
        let Some(row) = removed else {
            return Ok(false);
        };
        let before = opt_out(row)?;
        let entry = NewAuditEntry::new(AuditAction::OptOutRemoved)
            .target(phone)
            .change(
                Some(json!({ "phone": phone, "source": before.source, "detail": before.detail })),
                Some(json!({ "reason": reason })),
            );
        record_in(&mut tx, context, &entry).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The list, newest first, numbers starting with `prefix` (E.164 digits) when given;
    /// `before`: the `(created_at, phone)` of the previous page's last row.
    pub async fn list_opt_outs(
        &self,
        workspace_id: Uuid,
        prefix: Option<&str>,
        before: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<OptOut>, StoreError> {
        let pattern = prefix.map(|p| format!("{}%", p.replace(['%', '_'], "")));
        let rows: Vec<OptOutRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT phone, source, detail, created_at FROM opt_outs
             WHERE workspace_id = $1 AND ($2 IS NULL OR phone LIKE $3)
               AND ($4 IS NULL OR created_at < $5 OR (created_at = $6 AND phone < $7))
             ORDER BY created_at DESC, phone DESC LIMIT $8",
        )
        .bind(workspace_id.to_string())
        .bind(pattern.as_deref())
        .bind(pattern.as_deref())
        .bind(before.map(|(at, _)| at))
        .bind(before.map(|(at, _)| at))
        .bind(before.map(|(at, _)| at))
        .bind(before.map(|(_, phone)| phone))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(opt_out).collect()
    }

    /// A reply from `from` (WhatsApp's `wa_id` digits, or E.164): when its whole text is one
    /// of the workspace's keywords, the number goes on the list. Returns the keyword matched.
    pub async fn record_reply(
        &self,
        workspace_id: Uuid,
        from: &str,
        text: &str,
    ) -> Result<Option<String>, StoreError> {
        let keywords = self.opt_out_keywords(workspace_id).await?;
        let Some(keyword) = engage_core::opt_out::matching_keyword(text, &keywords) else {
            return Ok(None);
        };
        let digits: String = from.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Ok(None);
        }
        let detail: String = text.chars().take(500).collect();
        self.add_opt_out(
            workspace_id,
            &format!("+{digits}"),
            OptOutSource::Reply,
            Some(&detail),
            None,
        )
        .await?;
        Ok(Some(keyword.to_owned()))
    }

    /// The workspace of the sender with WhatsApp's `phone_number_id` (a reply's recipient), or
    /// of the sender `sender_id` (the sandbox's simulated reply).
    pub async fn sender_workspace(
        &self,
        phone_number_id: Option<&str>,
        sender_id: Option<&str>,
    ) -> Result<Option<Uuid>, StoreError> {
        let found: Option<String> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT workspace_id FROM senders WHERE phone_number_id = $1 OR id = $2",
        )
        .bind(phone_number_id)
        .bind(sender_id)
        .fetch_optional(pool)
        .await)?;
        found
            .as_deref()
            .map(|id| super::parse_uuid("sender workspace", id))
            .transpose()
    }

    /// The workspace's opt-out keywords (the defaults when it never changed them).
    pub async fn opt_out_keywords(&self, workspace_id: Uuid) -> Result<Vec<String>, StoreError> {
        let stored: Option<Option<String>> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT opt_out_keywords FROM workspaces WHERE id = $1",
        )
        .bind(workspace_id.to_string())
        .fetch_optional(pool)
        .await)?;
        match stored.flatten() {
            Some(json) => super::parse_json("opt-out keywords", &json),
            None => Ok(engage_core::opt_out::DEFAULT_KEYWORDS
                .iter()
                .map(|k| (*k).to_owned())
                .collect()),
        }
    }

    /// Replaces the keywords (already validated), recorded in the audit log.
    pub async fn set_opt_out_keywords(
        &self,
        workspace_id: Uuid,
        keywords: &[String],
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let before = self.opt_out_keywords(workspace_id).await?;
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE workspaces SET opt_out_keywords = $1 WHERE id = $2",
        )
        .bind(super::to_json(&keywords))
        .bind(workspace_id.to_string())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
        let entry = NewAuditEntry::new(AuditAction::OptOutKeywordsChanged).change(
            Some(json!({ "keywords": before })),
            Some(json!({ "keywords": keywords })),
        );
        record_in(&mut tx, context, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Quick-reply buttons marked as opt-out (issue 12 §4), kept in `templates.opt_out_buttons`.
impl Store {
    /// Marks exactly `buttons` (texts of the template's quick replies, already checked) as
    /// opt-out, recorded in the audit log with the marks before and after. `Ok(false)` when
    /// the template is not in the workspace.
    pub async fn set_opt_out_buttons(
        &self,
        workspace_id: Uuid,
        template_id: Uuid,
        buttons: &[String],
        context: &AuditContext,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let before: Option<(String, String, Option<String>)> = on_tx!(&mut tx, conn => sqlx::query_as(
            "SELECT name, language, opt_out_buttons FROM templates WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace_id.to_string())
        .bind(template_id.to_string())
        .fetch_optional(&mut *conn)
        .await)?;
        let Some((name, language, before)) = before else {
            return Ok(false);
        };
        let before: Vec<String> = before
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE templates SET opt_out_buttons = $1 WHERE workspace_id = $2 AND id = $3",
        )
        .bind((!buttons.is_empty()).then(|| super::to_json(&buttons)))
        .bind(workspace_id.to_string())
        .bind(template_id.to_string())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
        if before != buttons {
            let entry = NewAuditEntry::new(AuditAction::OptOutButtonsChanged)
                .target(format!("{name} · {language}"))
                .change(
                    Some(json!({ "buttons": before })),
                    Some(json!({ "buttons": buttons })),
                );
            record_in(&mut tx, context, &entry).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// A press of the quick-reply button `pressed` by `from`: when the template of the message
    /// it answers marks that button as opt-out — the message by WhatsApp's id (`context.id`)
    /// or by Engage's id (the sandbox) — or, without a known message, when any template of
    /// the workspace marks a button with that text, the number goes on the list with source
    /// `button`. Returns the marked button's text.
    pub async fn record_button_press(
        &self,
        workspace_id: Uuid,
        from: &str,
        pressed: &str,
        context_wamid: Option<&str>,
        message_id: Option<Uuid>,
    ) -> Result<Option<String>, StoreError> {
        let answered: Option<Option<String>> = if context_wamid.is_some() || message_id.is_some() {
            on_pool!(self, pool => sqlx::query_scalar(
                "SELECT t.opt_out_buttons FROM messages m
                   JOIN campaigns c ON c.id = m.campaign_id
                   JOIN templates t ON t.id = c.template_id
                  WHERE m.workspace_id = $1 AND (m.provider_message_id = $2 OR m.id = $3)",
            )
            .bind(workspace_id.to_string())
            .bind(context_wamid)
            .bind(message_id.map(|id| id.to_string()))
            .fetch_optional(pool)
            .await)?
        } else {
            None
        };
        let marked: Vec<String> = match answered {
            Some(buttons) => buttons
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
            None => {
                let all: Vec<String> = on_pool!(self, pool => sqlx::query_scalar(
                    "SELECT opt_out_buttons FROM templates
                      WHERE workspace_id = $1 AND opt_out_buttons IS NOT NULL",
                )
                .bind(workspace_id.to_string())
                .fetch_all(pool)
                .await)?;
                all.iter()
                    .filter_map(|json| serde_json::from_str::<Vec<String>>(json).ok())
                    .flatten()
                    .collect()
            }
        };
        let Some(button) = engage_core::opt_out::marked_button(pressed, &marked) else {
            return Ok(None);
        };
        let digits: String = from.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Ok(None);
        }
        let detail: String = pressed.chars().take(500).collect();
        self.add_opt_out(
            workspace_id,
            &format!("+{digits}"),
            OptOutSource::Button,
            Some(&detail),
            None,
        )
        .await?;
        Ok(Some(button.to_owned()))
    }
}
