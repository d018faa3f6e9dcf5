//! The team screens' work (issue 13): accepting an invitation, the team (admins), one's own
//! password and sessions, the audit log and its CSV export. The server decides who may do
//! what; these methods validate input and pass refusals (`forbidden`, …) through.

use engage_core::wire::{
    AuditPage, ChangePasswordRequest, CreateInvitationRequest, InvitationCreated,
    PasswordResetRequest, SessionList, Team, TeamMember, UpdateMemberRequest,
};
use engage_core::{AuditAction, Role};

use super::api::{ApiClient, ServerUrl};
use super::{validate, AppCore, AppError};
use crate::models::{AuditQuery, SessionInfo};

/// Longest invitation code accepted from the form.
const MAX_CODE_LEN: usize = 200;

fn role(input: &str) -> Result<Role, AppError> {
    serde_json::from_value(serde_json::Value::String(input.trim().to_owned()))
        .map_err(|_| AppError::invalid("role", "Choose admin, editor or viewer."))
}

fn code(input: &str) -> Result<String, AppError> {
    let code = input.trim();
    if code.is_empty() {
        return Err(AppError::invalid("code", "Enter the invitation code."));
    }
    if code.chars().count() > MAX_CODE_LEN || code.chars().any(char::is_control) {
        return Err(AppError::invalid("code", "This is not an invitation code."));
    }
    Ok(code.to_owned())
}

/// A new password, checked by engage-core's rule before it travels.
fn new_password(input: &str, field: &str) -> Result<(), AppError> {
    engage_core::team::check_new_password(input)
        .map_err(|e| AppError::invalid(field, e.to_string()))
}

/// The audit filters as query pairs, each validated.
fn audit_pairs(query: &AuditQuery) -> Result<Vec<(&'static str, String)>, AppError> {
    let mut pairs = Vec::new();
    if let Some(actor) = query.actor.as_deref().filter(|a| !a.is_empty()) {
        pairs.push(("actor", validate::uuid(actor, "actor")?.to_string()));
    }
    if let Some(action) = query.action.as_deref().filter(|a| !a.is_empty()) {
        let parsed: AuditAction =
            serde_json::from_value(serde_json::Value::String(action.to_owned()))
                .map_err(|_| AppError::invalid("action", "Choose an action from the list."))?;
        pairs.push(("action", engage_server::store::enum_str(&parsed)));
    }
    if let Some(campaign) = query.campaign.as_deref().filter(|c| !c.is_empty()) {
        pairs.push((
            "campaign",
            validate::uuid(campaign, "campaign")?.to_string(),
        ));
    }
    for (name, value) in [("from", &query.from), ("to", &query.to)] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                .map_err(|_| AppError::invalid(name, "Choose a date."))?;
            pairs.push((name, value.to_owned()));
        }
    }
    Ok(pairs)
}

fn as_refs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

impl AppCore {
    /// "I have an invitation": spends the code with a new password and signs in.
    pub async fn accept_invitation(
        &self,
        server_url: &str,
        invitation_code: &str,
        password: &str,
    ) -> Result<SessionInfo, AppError> {
        let url = ServerUrl::parse(server_url, "server_url")?;
        let code = code(invitation_code)?;
        new_password(password, "password")?;
        let _lifecycle = self.lifecycle.lock().await;
        let api = ApiClient::new(url);
        let tokens = api.accept_invitation(&code, password).await?;
        self.open_server_session(api, tokens).await
    }

    pub async fn get_team(&self) -> Result<Team, AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.team(&t).await })
            .await
    }

    pub async fn invite_member(
        &self,
        email: &str,
        member_role: &str,
    ) -> Result<InvitationCreated, AppError> {
        let body = CreateInvitationRequest {
            email: validate::email(email)?,
            role: role(member_role)?,
            language: Some(self.language().await),
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.invite(&t, body).await })
            .await
    }

    /// Changes the role and/or (de)activates (`active: false` ends their sessions at once).
    pub async fn update_member(
        &self,
        id: &str,
        member_role: Option<&str>,
        active: Option<bool>,
    ) -> Result<TeamMember, AppError> {
        let id = validate::uuid(id, "id")?;
        let body = UpdateMemberRequest {
            role: member_role.map(role).transpose()?,
            active,
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.update_member(&t, id, body).await })
            .await
    }

    pub async fn reset_member_password(&self, id: &str) -> Result<InvitationCreated, AppError> {
        let id = validate::uuid(id, "id")?;
        let body = PasswordResetRequest {
            language: Some(self.language().await),
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.reset_password(&t, id, body).await })
            .await
    }

    pub async fn unblock_member(&self, id: &str) -> Result<(), AppError> {
        let id = validate::uuid(id, "id")?;
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.unblock(&t, id).await })
            .await
    }

    pub async fn change_password(&self, current: &str, new: &str) -> Result<(), AppError> {
        validate::password(current)
            .map_err(|_| AppError::invalid("current_password", "Enter your current password."))?;
        new_password(new, "new_password")?;
        let body = ChangePasswordRequest {
            current_password: current.to_owned(),
            new_password: new.to_owned(),
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.change_password(&t, body).await })
            .await
    }

    pub async fn list_sessions(&self) -> Result<SessionList, AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.sessions(&t).await })
            .await
    }

    /// Ends every session of the person on the server (this one too), then signs out here.
    pub async fn sign_out_everywhere(&self) -> Result<(), AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.end_all_sessions(&t).await })
            .await?;
        self.sign_out().await
    }

    pub async fn audit_log(
        &self,
        query: &AuditQuery,
        cursor: Option<&str>,
    ) -> Result<AuditPage, AppError> {
        let mut pairs = audit_pairs(query)?;
        if let Some(cursor) = validate::cursor(cursor)? {
            pairs.push(("cursor", cursor.to_owned()));
        }
        let session = self.signed_in().await?;
        let api = session.api();
        let refs = as_refs(&pairs);
        let refs = &refs;
        session
            .authorized(|t| async move { api.audit(&t, refs).await })
            .await
    }

    /// The filtered audit log as CSV, for the export command to write where the person chose.
    pub async fn audit_csv(&self, query: &AuditQuery) -> Result<String, AppError> {
        let pairs = audit_pairs(query)?;
        let session = self.signed_in().await?;
        let api = session.api();
        let refs = as_refs(&pairs);
        let refs = &refs;
        session
            .authorized(|t| async move { api.audit_csv(&t, refs).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_filters_are_checked_before_they_travel() {
        let query = AuditQuery {
            action: Some("campaign_deactivated".into()),
            from: Some("2026-12-01T00:00:00Z".into()),
            ..AuditQuery::default()
        };
        let pairs = audit_pairs(&query).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("action", "campaign_deactivated".to_owned()),
                ("from", "2026-12-01T00:00:00Z".to_owned())
            ]
        );
        let bad = AuditQuery {
            action: Some("drop_table".into()),
            ..AuditQuery::default()
        };
        assert_eq!(audit_pairs(&bad).unwrap_err().field(), Some("action"));
        let bad = AuditQuery {
            actor: Some("me".into()),
            ..AuditQuery::default()
        };
        assert_eq!(audit_pairs(&bad).unwrap_err().field(), Some("actor"));
    }

    #[test]
    fn a_new_password_is_checked_by_the_servers_rule_before_it_travels() {
        assert_eq!(
            new_password("short", "password").unwrap_err().field(),
            Some("password")
        );
        assert!(new_password("1234567890", "password").is_err(), "common");
        assert!(new_password("violet-Harbor-42-quietly", "password").is_ok());
    }
}
