//! The team of a workspace: members and their roles, deactivation (which ends every session
//! at once), one-time invitation and password-reset codes, sign-in throttling counters, and
//! the caller's sessions list. Every change is written with its audit entry in one
//! transaction.

use engage_core::team::ThrottlePolicy;
use engage_core::wire::{PendingInvitation, SessionSummary, TeamMember};
use engage_core::{AuditAction, Role};
use serde_json::json;
use sqlx::FromRow;
use uuid::Uuid;

use super::audit::{record_in, AuditContext, NewAuditEntry};
use super::sessions::NewToken;
use super::{
    enum_str, from_millis, now_ms, on_pool, on_tx, parse_enum, parse_uuid, unique_or, Store,
    StoreError, Tx,
};

/// An unused, unexpired code's invitation.
#[derive(Debug, Clone)]
pub struct InvitationRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub role: Role,
    /// Set for a password reset of this existing account.
    pub user_id: Option<Uuid>,
}

/// A new invitation (or password reset) to store.
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub role: Role,
    pub user_id: Option<Uuid>,
    pub code_hash: &'a [u8; 32],
    pub expires_at: i64,
}

/// What accepting a code did.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
}

/// How a session started: where from.
#[derive(Debug, Clone, Default)]
pub struct SessionOrigin {
    pub device: String,
    pub address: Option<String>,
}

#[derive(FromRow)]
struct MemberRow {
    id: String,
    email: String,
    role: String,
    deactivated_at: Option<i64>,
    created_at: i64,
    blocked_until: Option<i64>,
}

#[derive(FromRow)]
struct InvitationRow {
    id: String,
    workspace_id: String,
    email: String,
    role: String,
    user_id: Option<String>,
    expires_at: i64,
}

#[derive(FromRow)]
struct SessionRow {
    id: String,
    device: Option<String>,
    address: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    refreshed_at: i64,
}

/// The throttling key of an account.
pub fn account_key(email: &str) -> String {
    format!("account:{email}")
}

/// The throttling key of a client address.
pub fn address_key(address: &str) -> String {
    format!("address:{address}")
}

impl InvitationRow {
    fn record(self) -> Result<(InvitationRecord, i64), StoreError> {
        Ok((
            InvitationRecord {
                id: parse_uuid("invitation id", &self.id)?,
                workspace_id: parse_uuid("workspace id", &self.workspace_id)?,
                email: self.email,
                role: parse_enum("role", &self.role)?,
                user_id: self
                    .user_id
                    .map(|id| parse_uuid("user id", &id))
                    .transpose()?,
            },
            self.expires_at,
        ))
    }
}

/// Revokes every session and token of `user_id` inside `tx`.
async fn end_all_sessions_in(tx: &mut Tx, user_id: &str, reason: &str) -> Result<(), StoreError> {
    let now = now_ms();
    on_tx!(tx, conn => sqlx::query(
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    on_tx!(tx, conn => sqlx::query(
        "UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

impl Store {
    /// Members of the workspace, oldest first, with any sign-in block of their account.
    pub async fn team_members(&self, workspace_id: Uuid) -> Result<Vec<TeamMember>, StoreError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, MemberRow>(
            "SELECT u.id, u.email, u.role, u.deactivated_at, u.created_at, f.blocked_until
             FROM users u LEFT JOIN sign_in_failures f
               ON f.throttle_key = 'account:' || u.email AND f.blocked_until > $2
             WHERE u.workspace_id = $1 ORDER BY u.created_at, u.id",
        )
        .bind(workspace_id.to_string())
        .bind(now_ms())
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|row| {
                Ok(TeamMember {
                    id: parse_uuid("user id", &row.id)?,
                    email: row.email,
                    role: parse_enum("role", &row.role)?,
                    active: row.deactivated_at.is_none(),
                    created_at: from_millis(row.created_at),
                    blocked_until: row.blocked_until.map(from_millis),
                })
            })
            .collect()
    }

    /// The member `user_id` of the workspace.
    pub async fn team_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<TeamMember>, StoreError> {
        Ok(self
            .team_members(workspace_id)
            .await?
            .into_iter()
            .find(|member| member.id == user_id))
    }

    /// Invitations and resets of the workspace not used and not expired, newest first.
    pub async fn pending_invitations(
        &self,
        workspace_id: Uuid,
    ) -> Result<Vec<PendingInvitation>, StoreError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, InvitationRow>(
            "SELECT id, workspace_id, email, role, user_id, expires_at FROM invitations
             WHERE workspace_id = $1 AND used_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC, id DESC",
        )
        .bind(workspace_id.to_string())
        .bind(now_ms())
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|row| {
                let (record, expires_at) = row.record()?;
                Ok(PendingInvitation {
                    id: record.id,
                    email: record.email,
                    role: record.role,
                    reset: record.user_id.is_some(),
                    expires_at: from_millis(expires_at),
                })
            })
            .collect()
    }

    /// Stores an invitation (or a reset) by the admin of `context`, with its audit entry.
    /// An invitation for an email that already has an account fails with
    /// [`StoreError::EmailTaken`].
    pub async fn create_invitation(
        &self,
        context: &AuditContext,
        created_by: Uuid,
        invitation: NewInvitation<'_>,
    ) -> Result<PendingInvitation, StoreError> {
        let workspace_id = context.workspace_id.ok_or(StoreError::Corrupt {
            what: "audit context",
            detail: "an invitation needs a workspace".into(),
        })?;
        let id = Uuid::now_v7();
        let mut tx = self.begin_write().await?;
        if invitation.user_id.is_none() {
            let existing: Option<String> = on_tx!(&mut tx, conn => sqlx::query_scalar(
                "SELECT id FROM users WHERE email = $1",
            )
            .bind(invitation.email)
            .fetch_optional(&mut *conn)
            .await)?;
            if existing.is_some() {
                return Err(StoreError::EmailTaken);
            }
        }
        on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO invitations (id, workspace_id, email, role, user_id, code_hash, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(workspace_id.to_string())
        .bind(invitation.email)
        .bind(enum_str(&invitation.role))
        .bind(invitation.user_id.map(|id| id.to_string()))
        .bind(invitation.code_hash.as_slice())
        .bind(created_by.to_string())
        .bind(now_ms())
        .bind(invitation.expires_at)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
        let action = if invitation.user_id.is_some() {
            AuditAction::PasswordResetIssued
        } else {
            AuditAction::UserInvited
        };
        let entry = NewAuditEntry::new(action)
            .target(invitation.email)
            .change(None, Some(json!({ "role": invitation.role })));
        record_in(&mut tx, context, &entry).await?;
        tx.commit().await?;
        Ok(PendingInvitation {
            id,
            email: invitation.email.to_owned(),
            role: invitation.role,
            reset: invitation.user_id.is_some(),
            expires_at: from_millis(invitation.expires_at),
        })
    }

    /// Spends the code and sets the password: creates the account of an invitation, or sets
    /// the new password of a reset (ending the account's other sessions); then starts a
    /// session. All in one transaction with its audit entry. `None` when the code is unknown,
    /// expired or already used.
    pub async fn accept_invitation(
        &self,
        code_hash: &[u8; 32],
        password_hash: &str,
        origin: &SessionOrigin,
        access: NewToken<'_>,
        refresh: NewToken<'_>,
    ) -> Result<Option<Accepted>, StoreError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let row = on_tx!(&mut tx, conn => sqlx::query_as::<_, InvitationRow>(
            "UPDATE invitations SET used_at = $1
             WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $3
             RETURNING id, workspace_id, email, role, user_id, expires_at",
        )
        .bind(now)
        .bind(code_hash.as_slice())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (invitation, _) = row.record()?;
        let user_id = match invitation.user_id {
            Some(user_id) => {
                let changed = on_tx!(&mut tx, conn => sqlx::query(
                    "UPDATE users SET password_hash = $1 WHERE id = $2 AND deactivated_at IS NULL",
                )
                .bind(password_hash)
                .bind(user_id.to_string())
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected()))?;
                if changed == 0 {
                    return Ok(None);
                }
                end_all_sessions_in(&mut tx, &user_id.to_string(), "password_reset").await?;
                user_id
            }
            None => {
                let user_id = Uuid::now_v7();
                on_tx!(&mut tx, conn => sqlx::query(
                    "INSERT INTO users (id, workspace_id, email, password_hash, created_at, role)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(user_id.to_string())
                .bind(invitation.workspace_id.to_string())
                .bind(&invitation.email)
                .bind(password_hash)
                .bind(now)
                .bind(enum_str(&invitation.role))
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected()))
                .map_err(|error| unique_or(error, StoreError::EmailTaken))?;
                user_id
            }
        };
        let context = AuditContext {
            workspace_id: Some(invitation.workspace_id),
            actor: super::audit::Actor::User {
                id: user_id,
                email: invitation.email.clone(),
            },
            address: origin.address.clone(),
        };
        let entry = NewAuditEntry::new(AuditAction::InvitationAccepted)
            .target(&invitation.email)
            .change(
                None,
                Some(json!({ "role": invitation.role, "reset": invitation.user_id.is_some() })),
            );
        record_in(&mut tx, &context, &entry).await?;
        super::sessions::start_session_in(
            &mut tx,
            invitation.workspace_id,
            user_id,
            origin,
            access,
            refresh,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Accepted {
            user_id,
            workspace_id: invitation.workspace_id,
            email: invitation.email,
        }))
    }

    /// Changes a member's role and/or active state, with one audit entry per change;
    /// deactivating ends every session of the member in the same transaction. `Ok(None)`
    /// when the member is not in the workspace. Refuses to leave the workspace without an
    /// active admin ([`StoreError::LastAdmin`]).
    pub async fn update_member(
        &self,
        context: &AuditContext,
        user_id: Uuid,
        role: Option<Role>,
        active: Option<bool>,
    ) -> Result<Option<()>, StoreError> {
        let workspace = context
            .workspace_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        let user = user_id.to_string();
        let mut tx = self.begin_write().await?;
        let current: Option<(String, String, Option<i64>)> = on_tx!(&mut tx, conn => sqlx::query_as(
            "SELECT email, role, deactivated_at FROM users WHERE id = $1 AND workspace_id = $2",
        )
        .bind(&user)
        .bind(&workspace)
        .fetch_optional(&mut *conn)
        .await)?;
        let Some((email, old_role, deactivated_at)) = current else {
            return Ok(None);
        };
        let old_role: Role = parse_enum("role", &old_role)?;
        let was_active = deactivated_at.is_none();
        let new_role = role.unwrap_or(old_role);
        let now_active = active.unwrap_or(was_active);
        if old_role == Role::Admin && was_active && (new_role != Role::Admin || !now_active) {
            let admins: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE workspace_id = $1 AND role = 'admin' AND deactivated_at IS NULL",
            )
            .bind(&workspace)
            .fetch_one(&mut *conn)
            .await)?;
            if admins <= 1 {
                return Err(StoreError::LastAdmin);
            }
        }
        if new_role != old_role {
            on_tx!(&mut tx, conn => sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                .bind(enum_str(&new_role))
                .bind(&user)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected()))?;
            let entry = NewAuditEntry::new(AuditAction::RoleChanged)
                .target(&email)
                .change(
                    Some(json!({ "role": old_role })),
                    Some(json!({ "role": new_role })),
                );
            record_in(&mut tx, context, &entry).await?;
        }
        if now_active != was_active {
            let deactivated = (!now_active).then(now_ms);
            on_tx!(&mut tx, conn => sqlx::query("UPDATE users SET deactivated_at = $1 WHERE id = $2")
                .bind(deactivated)
                .bind(&user)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected()))?;
            if !now_active {
                end_all_sessions_in(&mut tx, &user, "deactivated").await?;
            }
            let action = if now_active {
                AuditAction::UserReactivated
            } else {
                AuditAction::UserDeactivated
            };
            let entry = NewAuditEntry::new(action).target(&email).change(
                Some(json!({ "active": was_active })),
                Some(json!({ "active": now_active })),
            );
            record_in(&mut tx, context, &entry).await?;
        }
        tx.commit().await?;
        Ok(Some(()))
    }

    /// Sets the caller's new password (already checked against the current one), with its
    /// audit entry; the caller's other sessions end.
    pub async fn change_password(
        &self,
        context: &AuditContext,
        user_id: Uuid,
        keep_session: Option<Uuid>,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let user = user_id.to_string();
        let mut tx = self.begin_write().await?;
        on_tx!(&mut tx, conn => sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(&user)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected()))?;
        let now = now_ms();
        let keep = keep_session.map(|id| id.to_string()).unwrap_or_default();
        on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE sessions SET revoked_at = $1, revoked_reason = 'password_changed'
             WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
        )
        .bind(now)
        .bind(&user)
        .bind(&keep)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
        on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE tokens SET revoked_at = $1
             WHERE user_id = $2 AND revoked_at IS NULL AND (session_id IS NULL OR session_id <> $3)",
        )
        .bind(now)
        .bind(&user)
        .bind(&keep)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
        record_in(
            &mut tx,
            context,
            &NewAuditEntry::new(AuditAction::PasswordChanged),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the caller ("sign out everywhere"), with its audit entry.
    pub async fn end_all_sessions(
        &self,
        context: &AuditContext,
        user_id: Uuid,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        end_all_sessions_in(&mut tx, &user_id.to_string(), "signed_out_everywhere").await?;
        record_in(
            &mut tx,
            context,
            &NewAuditEntry::new(AuditAction::SignedOutEverywhere),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller's live sessions, most recently used first.
    pub async fn user_sessions(
        &self,
        user_id: Uuid,
        current: Option<Uuid>,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, SessionRow>(
            "SELECT id, device, address, created_at, last_used_at, refreshed_at FROM sessions
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(user_id.to_string())
        .bind(now_ms())
        .fetch_all(pool)
        .await)?;
        let mut items = rows
            .into_iter()
            .map(|row| {
                let id = parse_uuid("session id", &row.id)?;
                Ok(SessionSummary {
                    id,
                    device: row
                        .device
                        .unwrap_or_else(|| engage_core::team::device_label(None)),
                    address: row.address,
                    created_at: from_millis(row.created_at),
                    last_used_at: from_millis(
                        row.last_used_at
                            .unwrap_or(row.refreshed_at)
                            .max(row.refreshed_at),
                    ),
                    current: Some(id) == current,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        items.sort_by_key(|item| std::cmp::Reverse(item.last_used_at));
        Ok(items)
    }

    /// Records that session `session_id` was used now.
    pub async fn touch_session(&self, session_id: Uuid) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(session_id.to_string())
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    // ------------------------------------------------------------ sign-in throttling

    /// The latest `blocked_until` (Unix ms) among `keys` still in the future, if any.
    pub async fn sign_in_blocked_until(&self, keys: &[String]) -> Result<Option<i64>, StoreError> {
        let now = now_ms();
        let mut latest = None;
        for key in keys {
            let until: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(
                "SELECT blocked_until FROM sign_in_failures WHERE throttle_key = $1 AND blocked_until > $2",
            )
            .bind(key)
            .bind(now)
            .fetch_optional(pool)
            .await)?;
            latest = latest.max(until);
        }
        Ok(latest)
    }

    /// Counts a failed sign-in against each `(key, window_ms)` and sets its block from
    /// `delay_ms(failures)`; records the audit entry in the same transaction.
    pub async fn record_sign_in_failure(
        &self,
        keys: &[(String, ThrottlePolicy)],
        context: &AuditContext,
        entry: &NewAuditEntry,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        for (key, policy) in keys {
            let window_ms =
                i64::try_from(policy.window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            // One atomic count per key (concurrent failures all count, on either backend):
            // a failure after the window starts a new one.
            let failures: i32 = on_tx!(&mut tx, conn => sqlx::query_scalar(
                "INSERT INTO sign_in_failures (throttle_key, failures, first_at, blocked_until)
                 VALUES ($1, 1, $2, 0)
                 ON CONFLICT (throttle_key) DO UPDATE SET
                   failures = CASE WHEN sign_in_failures.first_at + $3 > $2
                                   THEN sign_in_failures.failures + 1 ELSE 1 END,
                   first_at = CASE WHEN sign_in_failures.first_at + $3 > $2
                                   THEN sign_in_failures.first_at ELSE $2 END
                 RETURNING failures",
            )
            .bind(key)
            .bind(now)
            .bind(window_ms)
            .fetch_one(&mut *conn)
            .await)?;
            let delay_ms = policy
                .delay_secs(u32::try_from(failures).unwrap_or(0))
                .saturating_mul(1000);
            if delay_ms == 0 {
                // A free failure blocks nothing. (Writing `now` here would block, for an
                // instant, a concurrent sign-in whose clock reading came just before it.)
                continue;
            }
            let blocked_until = now.saturating_add(i64::try_from(delay_ms).unwrap_or(i64::MAX));
            on_tx!(&mut tx, conn => sqlx::query(
                "UPDATE sign_in_failures SET blocked_until = $1 WHERE throttle_key = $2",
            )
            .bind(blocked_until)
            .bind(key)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected()))?;
        }
        record_in(&mut tx, context, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the failures of `key` (a successful sign-in of the account).
    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("DELETE FROM sign_in_failures WHERE throttle_key = $1")
            .bind(key)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// An admin lifts the sign-in block of member `user_id`, with the audit entry. `Ok(None)`
    /// when the member is not in the workspace.
    pub async fn lift_sign_in_block(
        &self,
        context: &AuditContext,
        user_id: Uuid,
    ) -> Result<Option<()>, StoreError> {
        let mut tx = self.begin_write().await?;
        let email: Option<String> = on_tx!(&mut tx, conn => sqlx::query_scalar(
            "SELECT email FROM users WHERE id = $1 AND workspace_id = $2",
        )
        .bind(user_id.to_string())
        .bind(context.workspace_id.map(|id| id.to_string()))
        .fetch_optional(&mut *conn)
        .await)?;
        let Some(email) = email else {
            return Ok(None);
        };
        on_tx!(&mut tx, conn => sqlx::query("DELETE FROM sign_in_failures WHERE throttle_key = $1")
            .bind(account_key(&email))
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected()))?;
        record_in(
            &mut tx,
            context,
            &NewAuditEntry::new(AuditAction::SignInUnblocked).target(&email),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(()))
    }
}
