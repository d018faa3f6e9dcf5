//! The team (admins): members and pending invitations, invitations, role changes and
//! deactivation, password resets, lifting a sign-in block.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use engage_core::team::{invitation_message, invitation_subject, Invitation};
use engage_core::wire::{
    ApiErrorBody, CreateInvitationRequest, InvitationCreated, PasswordResetRequest, Team,
    TeamMember, UpdateMemberRequest,
};
use engage_core::{Language, Role};
use uuid::Uuid;

use super::auth::{normalize_email, MAX_EMAIL_CHARS};
use super::error::ApiError;
use super::extractor::{need, parse_id, Allowed, ApiJson, StaffUser};
use super::{no_store, AppState};
use crate::crypto::{random_token, sha256};
use crate::store::{now_ms, NewInvitation};

/// Invitation and reset codes last 72 hours.
pub const INVITATION_HOURS: u32 = 72;

pub fn router() -> Router<AppState> {
    let codes = Router::new()
        .route("/v1/team/invitations", post(invite))
        .route("/v1/team/members/{id}/password-reset", post(reset_password));
    no_store(codes)
        .route("/v1/team", get(team))
        .route("/v1/team/members/{id}", patch(update_member))
        .route("/v1/team/members/{id}/unblock", post(unblock))
}

fn member_not_found() -> ApiError {
    ApiError::not_found(
        "member_not_found",
        "no member with this id in your workspace",
    )
}

/// Members (with any sign-in block) and pending invitations.
#[utoipa::path(get, path = "/v1/team", tag = "team", security(("staff" = [])),
    responses((status = 200, body = Team)))]
pub async fn team(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageTeam>,
) -> Result<Json<Team>, ApiError> {
    Ok(Json(Team {
        members: state.store.team_members(staff.workspace_id).await?,
        invitations: state.store.pending_invitations(staff.workspace_id).await?,
    }))
}

/// Invite a colleague: a one-time code (72 hours) and a ready-to-send message, shown once.
#[utoipa::path(post, path = "/v1/team/invitations", tag = "team", security(("staff" = [])),
    request_body = CreateInvitationRequest,
    responses(
        (status = 201, body = InvitationCreated, headers(("Cache-Control" = String, description = "`no-store`: the answer holds the code"))),
        (status = 409, description = "`email_taken`", body = ApiErrorBody),
        (status = 422, description = "`invalid_email`", body = ApiErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageTeam>,
    ApiJson(request): ApiJson<CreateInvitationRequest>,
) -> Result<(StatusCode, Json<InvitationCreated>), ApiError> {
    let email = normalize_email(&request.email);
    let valid = email.chars().count() <= MAX_EMAIL_CHARS
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(ApiError::invalid(
            "invalid_email",
            "email",
            "this is not an email address",
        ));
    }
    let created = issue_code(&state, &staff, &email, request.role, None, request.language).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Stores a new code for `email` (a reset of `user_id` when given) and words the message.
async fn issue_code(
    state: &AppState,
    staff: &StaffUser,
    email: &str,
    role: Role,
    user_id: Option<Uuid>,
    language: Option<Language>,
) -> Result<InvitationCreated, ApiError> {
    let code = random_token();
    let expires_at = now_ms() + i64::from(INVITATION_HOURS) * 3_600_000;
    let invitation = state
        .store
        .create_invitation(
            &staff.audit(),
            staff.user_id,
            NewInvitation {
                email,
                role,
                user_id,
                code_hash: &sha256(&code),
                expires_at,
            },
        )
        .await?;
    let workspace_name = state
        .store
        .workspace_name(staff.workspace_id)
        .await?
        .unwrap_or_default();
    let language = language.unwrap_or(Language::PtBr);
    let message = invitation_message(
        language,
        &Invitation {
            workspace_name: &workspace_name,
            server_url: &state.public_url,
            code: &code,
            role,
            valid_hours: INVITATION_HOURS,
        },
    );
    let emailed = match &state.mailer {
        Some(mailer) => {
            let subject = invitation_subject(language, &workspace_name);
            mailer.send(email, &subject, message.clone()).await
        }
        None => false,
    };
    Ok(InvitationCreated {
        invitation,
        code,
        message,
        emailed,
    })
}

/// Change a member's role and/or deactivate (every session of theirs ends at once) or
/// reactivate them.
#[utoipa::path(patch, path = "/v1/team/members/{id}", tag = "team", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Member (user) id")),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, body = TeamMember),
        (status = 404, description = "`member_not_found`", body = ApiErrorBody),
        (status = 409, description = "`last_admin`: the workspace would have no active admin", body = ApiErrorBody),
        (status = 422, description = "`nothing_to_update`", body = ApiErrorBody)))]
pub async fn update_member(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageTeam>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateMemberRequest>,
) -> Result<Json<TeamMember>, ApiError> {
    let id = parse_id(&id, member_not_found)?;
    if request.role.is_none() && request.active.is_none() {
        return Err(ApiError::Invalid {
            code: "nothing_to_update",
            message: "send `role` and/or `active`".into(),
            field: None,
        });
    }
    state
        .store
        .update_member(&staff.audit(), id, request.role, request.active)
        .await?
        .ok_or_else(member_not_found)?;
    state
        .store
        .team_member(staff.workspace_id, id)
        .await?
        .map(Json)
        .ok_or_else(member_not_found)
}

/// Reset a member's password: a new one-time code (72 hours) for them to choose a password.
#[utoipa::path(post, path = "/v1/team/members/{id}/password-reset", tag = "team", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Member (user) id")),
    request_body = PasswordResetRequest,
    responses(
        (status = 201, body = InvitationCreated, headers(("Cache-Control" = String, description = "`no-store`: the answer holds the code"))),
        (status = 404, description = "`member_not_found`", body = ApiErrorBody),
        (status = 409, description = "`member_inactive`", body = ApiErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageTeam>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PasswordResetRequest>,
) -> Result<(StatusCode, Json<InvitationCreated>), ApiError> {
    let id = parse_id(&id, member_not_found)?;
    let member = state
        .store
        .team_member(staff.workspace_id, id)
        .await?
        .ok_or_else(member_not_found)?;
    if !member.active {
        return Err(ApiError::conflict(
            "member_inactive",
            None,
            "this account is deactivated; reactivate it first",
        ));
    }
    let language = request.language;
    let created = issue_code(
        &state,
        &staff,
        &member.email,
        member.role,
        Some(member.id),
        language,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Lift the sign-in block of a member's account after failed attempts.
#[utoipa::path(post, path = "/v1/team/members/{id}/unblock", tag = "team", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Member (user) id")),
    responses(
        (status = 204, description = "Sign-ins to the account are allowed again"),
        (status = 404, description = "`member_not_found`", body = ApiErrorBody)))]
pub async fn unblock(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageTeam>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, member_not_found)?;
    state
        .store
        .lift_sign_in_block(&staff.audit(), id)
        .await?
        .ok_or_else(member_not_found)?;
    Ok(StatusCode::NO_CONTENT)
}
