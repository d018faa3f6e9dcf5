//! Staff sign-in sessions: a session is a family of tokens. Each sign-in starts one; its
//! access and refresh tokens carry its id; a refresh rotates the refresh token within the
//! session. Presenting a refresh token that was already rotated revokes the session and every
//! token of it (someone else has a copy). All of it is decided in the database, so it holds
//! across server instances sharing it.
//!
//! Staff tokens issued before sessions existed (`session_id` NULL) keep working: their access
//! tokens until they expire, and a refresh with such a refresh token starts a session for it.

use sqlx::FromRow;
use uuid::Uuid;

use engage_core::Role;

use super::audit::{record_in, AuditContext, NewAuditEntry};
use super::team::SessionOrigin;
use super::{now_ms, on_pool, on_tx, parse_enum, parse_uuid, Store, StoreError, Tx};

/// A live staff access token: who it belongs to and its session (none for tokens issued
/// before sessions existed).
#[derive(Debug, Clone)]
pub struct StaffToken {
    pub workspace_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Option<Uuid>,
    pub expires_at: i64,
    pub email: String,
    pub role: Role,
    /// When the session was last used (Unix ms; `None` before it was recorded).
    pub last_used_at: Option<i64>,
}

/// The outcome of presenting a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is spent, and the new pair belongs to `session_id`.
    Rotated { session_id: Uuid },
    /// The token had already been rotated: session `session_id` is now revoked.
    Reused { session_id: Uuid },
    /// Unknown, expired, or revoked with its session.
    Invalid,
}

/// A new token: SHA-256 of it and its expiry (Unix ms).
pub type NewToken<'a> = (&'a [u8; 32], i64);

#[derive(FromRow)]
struct StaffTokenRow {
    workspace_id: String,
    user_id: Option<String>,
    session_id: Option<String>,
    expires_at: i64,
    email: String,
    role: String,
    last_used_at: Option<i64>,
}

#[derive(FromRow)]
struct SpentRow {
    workspace_id: String,
    user_id: Option<String>,
    session_id: Option<String>,
}

fn parse_session(value: Option<&str>) -> Result<Option<Uuid>, StoreError> {
    value.map(|id| parse_uuid("session id", id)).transpose()
}

async fn insert_session_token(
    tx: &mut Tx,
    token: NewToken<'_>,
    kind: &str,
    workspace_id: &str,
    user_id: &str,
    session_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO tokens (token_hash, kind, workspace_id, user_id, api_client_id, expires_at, created_at, session_id)
         VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)",
    )
    .bind(token.0.as_slice())
    .bind(kind)
    .bind(workspace_id)
    .bind(user_id)
    .bind(token.1)
    .bind(now)
    .bind(session_id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Revokes session `session_id` (with `reason`) and every token of it, inside `conn`'s
/// transaction.
async fn revoke_session_in(
    tx: &mut Tx,
    session_id: &str,
    reason: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(session_id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    on_tx!(tx, conn => sqlx::query(
        "UPDATE tokens SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(session_id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Starts a session inside `tx`: the session row and its first access and refresh tokens.
pub(crate) async fn start_session_in(
    tx: &mut Tx,
    workspace_id: Uuid,
    user_id: Uuid,
    origin: &SessionOrigin,
    access: NewToken<'_>,
    refresh: NewToken<'_>,
) -> Result<Uuid, StoreError> {
    let now = now_ms();
    let session_id = Uuid::now_v7();
    let (session, workspace, user) = (
        session_id.to_string(),
        workspace_id.to_string(),
        user_id.to_string(),
    );
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO sessions (id, workspace_id, user_id, created_at, refreshed_at, expires_at, device, address, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&session)
    .bind(&workspace)
    .bind(&user)
    .bind(now)
    .bind(now)
    .bind(refresh.1)
    .bind(&origin.device)
    .bind(origin.address.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    insert_session_token(tx, access, "staff_access", &workspace, &user, &session, now).await?;
    insert_session_token(
        tx,
        refresh,
        "staff_refresh",
        &workspace,
        &user,
        &session,
        now,
    )
    .await?;
    Ok(session_id)
}

impl Store {
    /// Starts a session for a signed-in user with its first access and refresh tokens, and
    /// records the sign-in (`context`, `entry`) in the same transaction.
    pub async fn start_session(
        &self,
        context: &AuditContext,
        entry: &NewAuditEntry,
        user_id: Uuid,
        origin: &SessionOrigin,
        access: NewToken<'_>,
        refresh: NewToken<'_>,
    ) -> Result<Uuid, StoreError> {
        let workspace_id = context.workspace_id.ok_or(StoreError::Corrupt {
            what: "audit context",
            detail: "a session needs a workspace".into(),
        })?;
        let mut tx = self.begin().await?;
        let session_id =
            start_session_in(&mut tx, workspace_id, user_id, origin, access, refresh).await?;
        record_in(&mut tx, context, entry).await?;
        tx.commit().await?;
        Ok(session_id)
    }

    /// The staff access token when it is unexpired, unrevoked, and its session (if it has
    /// one) is not revoked.
    pub async fn live_staff_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<StaffToken>, StoreError> {
        let row = on_pool!(self, pool => sqlx::query_as::<_, StaffTokenRow>(
            "SELECT t.workspace_id, t.user_id, t.session_id, t.expires_at, u.email, u.role, s.last_used_at
             FROM tokens t JOIN users u ON u.id = t.user_id LEFT JOIN sessions s ON s.id = t.session_id
             WHERE t.token_hash = $1 AND t.kind = 'staff_access'
               AND t.revoked_at IS NULL AND t.expires_at > $2
               AND (t.session_id IS NULL OR s.revoked_at IS NULL)
               AND u.deactivated_at IS NULL",
        )
        .bind(token_hash.as_slice())
        .bind(now_ms())
        .fetch_optional(pool)
        .await)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let Some(user_id) = row.user_id else {
            return Ok(None);
        };
        Ok(Some(StaffToken {
            workspace_id: parse_uuid("workspace id", &row.workspace_id)?,
            user_id: parse_uuid("user id", &user_id)?,
            session_id: parse_session(row.session_id.as_deref())?,
            expires_at: row.expires_at,
            email: row.email,
            role: parse_enum("role", &row.role)?,
            last_used_at: row.last_used_at,
        }))
    }

    /// Refresh-token rotation within its session. A live refresh token is spent (atomically:
    /// of two concurrent uses of one token only one rotates, the other counts as reuse) and
    /// the new pair joins its session. An already-spent one revokes its whole session.
    pub async fn rotate_session_refresh_token(
        &self,
        presented: &[u8; 32],
        new_access: NewToken<'_>,
        new_refresh: NewToken<'_>,
    ) -> Result<Rotation, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let spent = on_tx!(&mut tx, conn => sqlx::query_as::<_, SpentRow>(
            "UPDATE tokens SET revoked_at = $1
             WHERE token_hash = $2 AND kind = 'staff_refresh' AND revoked_at IS NULL AND expires_at > $3
             RETURNING workspace_id, user_id, session_id",
        )
        .bind(now)
        .bind(presented.as_slice())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await)?;
        let Some(spent) = spent else {
            // Not live: a spent token of a session is a reuse; anything else is just invalid.
            let previous: Option<(Option<String>, Option<i64>)> = on_tx!(&mut tx, conn => sqlx::query_as(
                "SELECT session_id, revoked_at FROM tokens WHERE token_hash = $1 AND kind = 'staff_refresh'",
            )
            .bind(presented.as_slice())
            .fetch_optional(&mut *conn)
            .await)?;
            return match previous {
                Some((Some(session), Some(_))) => {
                    revoke_session_in(&mut tx, &session, "refresh_token_reused", now).await?;
                    tx.commit().await?;
                    Ok(Rotation::Reused {
                        session_id: parse_uuid("session id", &session)?,
                    })
                }
                _ => Ok(Rotation::Invalid),
            };
        };
        let Some(user) = spent.user_id else {
            return Ok(Rotation::Invalid);
        };
        let session = match spent.session_id {
            Some(session) => {
                let revoked: Option<(Option<i64>,)> = on_tx!(&mut tx, conn => sqlx::query_as(
                    "SELECT revoked_at FROM sessions WHERE id = $1",
                )
                .bind(&session)
                .fetch_optional(&mut *conn)
                .await)?;
                if !matches!(revoked, Some((None,))) {
                    // Its session ended meanwhile (logout, reuse on another instance).
                    return Ok(Rotation::Invalid);
                }
                on_tx!(&mut tx, conn => sqlx::query(
                    "UPDATE sessions SET refreshed_at = $1, expires_at = $2 WHERE id = $3",
                )
                .bind(now)
                .bind(new_refresh.1)
                .bind(&session)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected()))?;
                session
            }
            None => {
                // A refresh token from before sessions: start its session now, and file the
                // spent token under it so that a reuse of it revokes the new session.
                let session = Uuid::now_v7().to_string();
                on_tx!(&mut tx, conn => sqlx::query(
                    "INSERT INTO sessions (id, workspace_id, user_id, created_at, refreshed_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&session)
                .bind(&spent.workspace_id)
                .bind(&user)
                .bind(now)
                .bind(now)
                .bind(new_refresh.1)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected()))?;
                on_tx!(&mut tx, conn => sqlx::query(
                    "UPDATE tokens SET session_id = $1 WHERE token_hash = $2",
                )
                .bind(&session)
                .bind(presented.as_slice())
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected()))?;
                session
            }
        };
        insert_session_token(
            &mut tx,
            new_access,
            "staff_access",
            &spent.workspace_id,
            &user,
            &session,
            now,
        )
        .await?;
        insert_session_token(
            &mut tx,
            new_refresh,
            "staff_refresh",
            &spent.workspace_id,
            &user,
            &session,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Rotation::Rotated {
            session_id: parse_uuid("session id", &session)?,
        })
    }

    /// Ends session `session_id` of `user_id` (sign-out): the session and all its tokens are
    /// revoked. No effect on another user's session.
    pub async fn end_session(&self, session_id: Uuid, user_id: Uuid) -> Result<(), StoreError> {
        let now = now_ms();
        let session = session_id.to_string();
        // Reads, then writes: the write lock first (a deferred one failed logouts with
        // SQLITE_BUSY when another writer committed in between).
        let mut tx = self.begin_write().await?;
        let owned: Option<(String,)> = on_tx!(&mut tx, conn => sqlx::query_as(
            "SELECT id FROM sessions WHERE id = $1 AND user_id = $2",
        )
        .bind(&session)
        .bind(user_id.to_string())
        .fetch_optional(&mut *conn)
        .await)?;
        if owned.is_some() {
            revoke_session_in(&mut tx, &session, "logout", now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The session of a staff token of `user_id` (any kind, live or not); `None` for unknown
    /// tokens, another user's, or tokens from before sessions.
    pub async fn session_of_token(
        &self,
        token_hash: &[u8; 32],
        user_id: Uuid,
    ) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(Option<String>,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT session_id FROM tokens WHERE token_hash = $1 AND user_id = $2",
        )
        .bind(token_hash.as_slice())
        .bind(user_id.to_string())
        .fetch_optional(pool)
        .await)?;
        parse_session(row.and_then(|(session,)| session).as_deref())
    }

    /// Deletes sessions that ended (expired) more than a day ago and have no tokens left
    /// (expired tokens are purged first, a day after their expiry).
    pub async fn purge_expired_sessions(&self) -> Result<u64, StoreError> {
        let cutoff = now_ms() - 24 * 3600 * 1000;
        Ok(on_pool!(self, pool => sqlx::query(
            "DELETE FROM sessions WHERE expires_at < $1
             AND NOT EXISTS (SELECT 1 FROM tokens WHERE tokens.session_id = sessions.id)",
        )
        .bind(cutoff)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{random_token, sha256};
    use crate::store::{TokenKind, TokenOwner};

    async fn store_with_user() -> (tempfile::TempDir, Store, Uuid, Uuid) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let workspace_id = store.create_workspace("W").await.unwrap();
        let user_id = store
            .create_user(workspace_id, "a@b.c", "hash", engage_core::Role::Admin)
            .await
            .unwrap();
        (dir, store, workspace_id, user_id)
    }

    fn context(workspace_id: Uuid) -> AuditContext {
        AuditContext {
            workspace_id: Some(workspace_id),
            actor: crate::store::audit::Actor::Anonymous {
                email: "a@b.c".into(),
            },
            address: None,
        }
    }

    fn signed_in() -> NewAuditEntry {
        NewAuditEntry::new(engage_core::AuditAction::SignedIn)
    }

    fn pair() -> ([u8; 32], [u8; 32]) {
        (sha256(&random_token()), sha256(&random_token()))
    }

    fn later() -> i64 {
        now_ms() + 60_000
    }

    async fn live(store: &Store, hash: &[u8; 32]) -> bool {
        store.live_staff_token(hash).await.unwrap().is_some()
    }

    #[tokio::test]
    async fn reusing_a_rotated_refresh_token_revokes_every_token_of_the_session() {
        let (_dir, store, workspace, user) = store_with_user().await;
        let (access1, refresh1) = pair();
        let session = store
            .start_session(
                &context(workspace),
                &signed_in(),
                user,
                &SessionOrigin::default(),
                (&access1, later()),
                (&refresh1, later()),
            )
            .await
            .unwrap();
        let (access2, refresh2) = pair();
        assert_eq!(
            store
                .rotate_session_refresh_token(&refresh1, (&access2, later()), (&refresh2, later()))
                .await
                .unwrap(),
            Rotation::Rotated {
                session_id: session
            }
        );
        assert!(live(&store, &access1).await && live(&store, &access2).await);

        // An attacker replays the first refresh token.
        let (access3, refresh3) = pair();
        assert_eq!(
            store
                .rotate_session_refresh_token(&refresh1, (&access3, later()), (&refresh3, later()))
                .await
                .unwrap(),
            Rotation::Reused {
                session_id: session
            }
        );
        for token in [access1, access2, access3] {
            assert!(!live(&store, &token).await, "every access token is revoked");
        }
        // The refresh token it was rotated into is dead too.
        let (access4, refresh4) = pair();
        assert_eq!(
            store
                .rotate_session_refresh_token(&refresh2, (&access4, later()), (&refresh4, later()))
                .await
                .unwrap(),
            Rotation::Reused {
                session_id: session
            }
        );
        assert!(!live(&store, &access4).await);
    }

    #[tokio::test]
    async fn ending_a_session_revokes_its_refresh_token_and_no_other_session() {
        let (_dir, store, workspace, user) = store_with_user().await;
        let (access1, refresh1) = pair();
        let first = store
            .start_session(
                &context(workspace),
                &signed_in(),
                user,
                &SessionOrigin::default(),
                (&access1, later()),
                (&refresh1, later()),
            )
            .await
            .unwrap();
        let (access2, refresh2) = pair();
        store
            .start_session(
                &context(workspace),
                &signed_in(),
                user,
                &SessionOrigin::default(),
                (&access2, later()),
                (&refresh2, later()),
            )
            .await
            .unwrap();
        store.end_session(first, user).await.unwrap();
        assert!(!live(&store, &access1).await);
        let (a, r) = pair();
        assert_eq!(
            store
                .rotate_session_refresh_token(&refresh1, (&a, later()), (&r, later()))
                .await
                .unwrap(),
            Rotation::Reused { session_id: first }
        );
        assert!(!live(&store, &a).await);
        assert!(
            live(&store, &access2).await,
            "the other session is untouched"
        );
    }

    #[tokio::test]
    async fn tokens_from_before_sessions_keep_working_and_join_a_session_on_refresh() {
        let (_dir, store, workspace_id, user_id) = store_with_user().await;
        let owner = TokenOwner::User {
            workspace_id,
            user_id,
        };
        let (old_access, old_refresh) = pair();
        store
            .insert_token(&old_access, TokenKind::StaffAccess, owner, later())
            .await
            .unwrap();
        store
            .insert_token(&old_refresh, TokenKind::StaffRefresh, owner, later())
            .await
            .unwrap();
        let token = store.live_staff_token(&old_access).await.unwrap().unwrap();
        assert_eq!(token.session_id, None);
        assert_eq!(token.user_id, user_id);

        let (access, refresh) = pair();
        let Rotation::Rotated { session_id } = store
            .rotate_session_refresh_token(&old_refresh, (&access, later()), (&refresh, later()))
            .await
            .unwrap()
        else {
            panic!("a legacy refresh token rotates")
        };
        let token = store.live_staff_token(&access).await.unwrap().unwrap();
        assert_eq!(token.session_id, Some(session_id));
        // Reusing the legacy token now revokes the session it started.
        let (a, r) = pair();
        assert_eq!(
            store
                .rotate_session_refresh_token(&old_refresh, (&a, later()), (&r, later()))
                .await
                .unwrap(),
            Rotation::Reused { session_id }
        );
        assert!(!live(&store, &access).await);
    }

    #[tokio::test]
    async fn unknown_and_expired_refresh_tokens_are_invalid_and_revoke_nothing() {
        let (_dir, store, workspace, user) = store_with_user().await;
        let (access, refresh) = pair();
        store
            .start_session(
                &context(workspace),
                &signed_in(),
                user,
                &SessionOrigin::default(),
                (&access, later()),
                (&refresh, now_ms() - 1),
            )
            .await
            .unwrap();
        let (a, r) = pair();
        for presented in [refresh, sha256("unknown"), access] {
            assert_eq!(
                store
                    .rotate_session_refresh_token(&presented, (&a, later()), (&r, later()))
                    .await
                    .unwrap(),
                Rotation::Invalid
            );
        }
        assert!(live(&store, &access).await);
    }
}
