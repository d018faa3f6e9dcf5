//! A team in one workspace, as pure rules: who may do what ([`Role`] × [`Permission`]), what
//! the audit log records ([`AuditAction`]), the new-password rule, how failed sign-ins are
//! throttled ([`ThrottlePolicy`]), the device a session was started from, and the
//! ready-to-send invitation message.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::error::CoreError;

/// A language of the app's catalogues (also the language of an invitation message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub enum Language {
    #[serde(rename = "pt-BR")]
    PtBr,
    #[serde(rename = "es")]
    Es,
    #[serde(rename = "en")]
    En,
}

impl Language {
    /// The supported language closest to a BCP 47 locale such as `pt-BR`, `es_AR.UTF-8` or
    /// `en-US`; English when nothing matches.
    pub fn from_locale(locale: &str) -> Language {
        let primary = locale
            .split(['-', '_', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "pt" => Language::PtBr,
            "es" => Language::Es,
            _ => Language::En,
        }
    }
}

/// What a staff member is in the workspace.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    /// Everything, the team and the workspace's settings included.
    Admin,
    /// Campaigns: create, (de)activate, copy their credentials, send tests, export.
    Editor,
    /// Sees campaigns, documentation (the secret hidden), activity and insights.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

    /// Whether this role may do `permission` (the one table of the product).
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Editor => matches!(
                permission,
                ViewWorkspace | EditCampaigns | RevealCredentials | SendTests | Export
            ),
            Role::Viewer => matches!(permission, ViewWorkspace),
        }
    }

    /// Every permission of the role, in [`Permission::ALL`] order.
    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|permission| self.allows(*permission))
            .collect()
    }
}

/// Something a staff route or control needs. Each staff route names exactly one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Permission {
    /// See campaigns, senders, templates, documentation (secret hidden), activity.
    ViewWorkspace,
    /// Create, rename, activate and deactivate campaigns.
    EditCampaigns,
    /// Read a campaign's client secret (the app copies it into curls).
    RevealCredentials,
    /// Send test messages.
    SendTests,
    /// Export documentation and data.
    Export,
    /// Add WhatsApp senders and import templates.
    ManageSenders,
    /// Change the workspace's WhatsApp settings.
    ManageWhatsapp,
    /// Create, rotate and revoke the workspace's API credentials.
    ManageCredentials,
    /// Change status callback settings.
    ManageCallbacks,
    /// Invite, change roles, reset passwords, deactivate accounts, lift sign-in blocks.
    ManageTeam,
    /// Read and export the audit log.
    ViewAuditLog,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::ViewWorkspace,
        Permission::EditCampaigns,
        Permission::RevealCredentials,
        Permission::SendTests,
        Permission::Export,
        Permission::ManageSenders,
        Permission::ManageWhatsapp,
        Permission::ManageCredentials,
        Permission::ManageCallbacks,
        Permission::ManageTeam,
        Permission::ViewAuditLog,
    ];

    /// The snake_case name used on the wire (in 403 answers, in the app).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewWorkspace => "view_workspace",
            Permission::EditCampaigns => "edit_campaigns",
            Permission::RevealCredentials => "reveal_credentials",
            Permission::SendTests => "send_tests",
            Permission::Export => "export",
            Permission::ManageSenders => "manage_senders",
            Permission::ManageWhatsapp => "manage_whatsapp",
            Permission::ManageCredentials => "manage_credentials",
            Permission::ManageCallbacks => "manage_callbacks",
            Permission::ManageTeam => "manage_team",
            Permission::ViewAuditLog => "view_audit_log",
        }
    }
}

/// What an audit log entry records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AuditAction {
    CampaignCreated,
    CampaignRenamed,
    CampaignActivated,
    CampaignDeactivated,
    /// The campaign's client secret was read (the app copied a curl carrying it).
    CredentialsCopied,
    /// A campaign's client secret was rotated (the new one copied).
    SecretRotated,
    /// A campaign's credentials were revoked and replaced.
    CredentialsRevoked,
    /// A status callback URL was set or removed.
    CallbackChanged,
    /// A status callback signing secret was rotated.
    CallbackSecretRotated,
    SenderCreated,
    TemplatesImported,
    WhatsappSettingsChanged,
    UserInvited,
    InvitationAccepted,
    PasswordResetIssued,
    PasswordChanged,
    RoleChanged,
    UserDeactivated,
    UserReactivated,
    SignedIn,
    SignInFailed,
    SignInUnblocked,
    SignedOutEverywhere,
    // issue 12: opt-outs
    /// A number was put on the do-not-message list by a staff member.
    OptOutAdded,
    /// A number was taken off the do-not-message list (with the reason).
    OptOutRemoved,
    OptOutKeywordsChanged,
    // issue 12 §5
    /// A campaign's frequency cap was set, changed or removed.
    CampaignFrequencyCapChanged,
    /// A template's quick-reply buttons marked as opt-out changed (issue 12 §4).
    OptOutButtonsChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 28] = [
        AuditAction::CampaignCreated,
        AuditAction::CampaignRenamed,
        AuditAction::CampaignActivated,
        AuditAction::CampaignDeactivated,
        AuditAction::CredentialsCopied,
        AuditAction::SecretRotated,
        AuditAction::CredentialsRevoked,
        AuditAction::CallbackChanged,
        AuditAction::CallbackSecretRotated,
        AuditAction::SenderCreated,
        AuditAction::TemplatesImported,
        AuditAction::WhatsappSettingsChanged,
        AuditAction::UserInvited,
        AuditAction::InvitationAccepted,
        AuditAction::PasswordResetIssued,
        AuditAction::PasswordChanged,
        AuditAction::RoleChanged,
        AuditAction::UserDeactivated,
        AuditAction::UserReactivated,
        AuditAction::SignedIn,
        AuditAction::SignInFailed,
        AuditAction::SignInUnblocked,
        AuditAction::SignedOutEverywhere,
        AuditAction::OptOutAdded,
        AuditAction::OptOutRemoved,
        AuditAction::OptOutKeywordsChanged,
        AuditAction::CampaignFrequencyCapChanged,
        AuditAction::OptOutButtonsChanged,
    ];
}

/// Fewest characters of a new password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Most characters of a password.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Checks a password someone chooses: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_CHARS`], and not one of the ~100,000 most common passwords (compared as
/// typed and in lower case).
pub fn check_new_password(password: &str) -> Result<(), CoreError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(CoreError::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(CoreError::PasswordTooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    let lower = password.to_lowercase();
    if passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(&lower)
    {
        return Err(CoreError::PasswordTooCommon);
    }
    Ok(())
}

/// How failed sign-ins of one account (or one address) are slowed down: the first
/// `free_failures` within `window_secs` cost nothing; each further one blocks for
/// `base_delay_secs`, doubling per failure, up to `max_delay_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub free_failures: u32,
    pub window_secs: u64,
    pub base_delay_secs: u64,
    pub max_delay_secs: u64,
}

impl ThrottlePolicy {
    /// Seconds to wait after the `failures`-th failure within the window (0: no wait).
    pub fn delay_secs(&self, failures: u32) -> u64 {
        if failures < self.free_failures {
            return 0;
        }
        let doublings = (failures - self.free_failures).min(32);
        self.base_delay_secs
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay_secs)
    }
}

/// A short name of the device a session was started from, from its `User-Agent`:
/// "Engage desktop (Linux)", "Firefox (Windows)", "curl", or "Unknown device".
pub fn device_label(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent.map(str::trim).filter(|agent| !agent.is_empty()) else {
        return "Unknown device".to_owned();
    };
    const PROGRAMS: [(&str, &str); 8] = [
        ("engage-desktop", "Engage desktop"),
        ("edg/", "Edge"),
        ("firefox/", "Firefox"),
        ("chrome/", "Chrome"),
        ("safari/", "Safari"),
        ("curl/", "curl"),
        ("python", "Python"),
        ("postman", "Postman"),
    ];
    const SYSTEMS: [(&str, &str); 6] = [
        ("android", "Android"),
        ("iphone", "iOS"),
        ("windows", "Windows"),
        ("mac os", "macOS"),
        ("macos", "macOS"),
        ("linux", "Linux"),
    ];
    let lower = agent.to_ascii_lowercase();
    let program = PROGRAMS
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, name)| (*name).to_owned())
        .unwrap_or_else(|| agent.split(['/', ' ']).next().unwrap_or(agent).to_owned());
    let program: String = program.chars().take(40).collect();
    match SYSTEMS.iter().find(|(needle, _)| lower.contains(needle)) {
        Some((_, system)) => format!("{program} ({system})"),
        None => program,
    }
}

/// What an invitation message says.
pub struct Invitation<'a> {
    pub workspace_name: &'a str,
    pub server_url: &'a str,
    pub code: &'a str,
    pub role: Role,
    /// Hours the code stays valid.
    pub valid_hours: u32,
}

/// The ready-to-send invitation text in `language` (shown once to the admin, and emailed
/// when the server has a mail server).
pub fn invitation_message(language: Language, invitation: &Invitation<'_>) -> String {
    let Invitation {
        workspace_name,
        server_url,
        code,
        role,
        valid_hours,
    } = invitation;
    let role = role_name(language, *role);
    match language {
        Language::PtBr => format!(
            "Olá! Você foi convidado(a) para a equipe \"{workspace_name}\" no Engage como {role}.\n\n\
             1. Abra o Engage e escolha \"Tenho um convite\" na tela de entrada.\n\
             2. Endereço do servidor: {server_url}\n\
             3. Código do convite: {code}\n\
             4. Escolha uma senha com pelo menos {MIN_PASSWORD_CHARS} caracteres.\n\n\
             O código vale por {valid_hours} horas e só pode ser usado uma vez."
        ),
        Language::Es => format!(
            "¡Hola! Te invitaron al equipo \"{workspace_name}\" en Engage como {role}.\n\n\
             1. Abre Engage y elige \"Tengo una invitación\" en la pantalla de inicio de sesión.\n\
             2. Dirección del servidor: {server_url}\n\
             3. Código de invitación: {code}\n\
             4. Elige una contraseña de al menos {MIN_PASSWORD_CHARS} caracteres.\n\n\
             El código vale {valid_hours} horas y se puede usar una sola vez."
        ),
        Language::En => format!(
            "Hello! You have been invited to the \"{workspace_name}\" team on Engage as {role}.\n\n\
             1. Open Engage and choose \"I have an invitation\" on the sign-in screen.\n\
             2. Server address: {server_url}\n\
             3. Invitation code: {code}\n\
             4. Choose a password of at least {MIN_PASSWORD_CHARS} characters.\n\n\
             The code is valid for {valid_hours} hours and works once."
        ),
    }
}

/// The subject of the invitation email.
pub fn invitation_subject(language: Language, workspace_name: &str) -> String {
    match language {
        Language::PtBr => format!("Convite para a equipe \"{workspace_name}\" no Engage"),
        Language::Es => format!("Invitación al equipo \"{workspace_name}\" en Engage"),
        Language::En => format!("Invitation to the \"{workspace_name}\" team on Engage"),
    }
}

fn role_name(language: Language, role: Role) -> &'static str {
    match (language, role) {
        (Language::PtBr, Role::Admin) => "administrador(a)",
        (Language::PtBr, Role::Editor) => "editor(a)",
        (Language::PtBr, Role::Viewer) => "leitor(a)",
        (Language::Es, Role::Admin) => "administrador(a)",
        (Language::Es, Role::Editor) => "editor(a)",
        (Language::Es, Role::Viewer) => "lector(a)",
        (Language::En, Role::Admin) => "admin",
        (Language::En, Role::Editor) => "editor",
        (Language::En, Role::Viewer) => "viewer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn an_admin_may_do_everything() {
        assert_eq!(Role::Admin.permissions(), Permission::ALL.to_vec());
    }

    #[test]
    fn an_editor_runs_campaigns_but_not_the_team_or_the_workspace_settings() {
        assert_eq!(
            Role::Editor.permissions(),
            vec![
                ViewWorkspace,
                EditCampaigns,
                RevealCredentials,
                SendTests,
                Export
            ]
        );
    }

    #[test]
    fn a_viewer_only_sees_and_never_reads_a_secret() {
        assert_eq!(Role::Viewer.permissions(), vec![ViewWorkspace]);
        assert!(!Role::Viewer.allows(RevealCredentials));
    }

    #[test]
    fn every_permission_has_its_own_wire_name() {
        for permission in Permission::ALL {
            let json = serde_json::to_value(permission).unwrap();
            assert_eq!(json, permission.as_str());
        }
        let mut names: Vec<_> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
    }

    #[test]
    fn every_audit_action_is_listed_once() {
        let mut sorted = AuditAction::ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), AuditAction::ALL.len());
    }

    #[test]
    fn a_new_password_needs_ten_characters() {
        assert!(matches!(
            check_new_password("Zq8!vT3#w"),
            Err(CoreError::PasswordTooShort { min: 10 })
        ));
        assert!(check_new_password("Zq8!vT3#wL").is_ok());
    }

    #[test]
    fn a_common_password_is_refused_whatever_its_case() {
        for common in ["1234567890", "qwertyuiop", "Password123", "IloveYou12"] {
            assert!(
                matches!(
                    check_new_password(common),
                    Err(CoreError::PasswordTooCommon)
                ),
                "{common} is common"
            );
        }
    }

    #[test]
    fn five_failures_are_free_then_the_wait_doubles_up_to_the_cap() {
        let policy = ThrottlePolicy {
            free_failures: 5,
            window_secs: 900,
            base_delay_secs: 30,
            max_delay_secs: 900,
        };
        let delays: Vec<u64> = (1..=11).map(|n| policy.delay_secs(n)).collect();
        assert_eq!(delays, [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(policy.delay_secs(u32::MAX), 900);
    }

    #[test]
    fn a_device_is_named_from_its_user_agent() {
        assert_eq!(
            device_label(Some("engage-desktop/0.1.0 (linux)")),
            "Engage desktop (Linux)"
        );
        assert_eq!(
            device_label(Some(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
            )),
            "Firefox (Windows)"
        );
        assert_eq!(device_label(Some("curl/8.5.0")), "curl");
        assert_eq!(device_label(Some("MyTool/2")), "MyTool");
        assert_eq!(device_label(None), "Unknown device");
        assert_eq!(device_label(Some("  ")), "Unknown device");
    }

    #[test]
    fn the_invitation_message_carries_the_code_and_the_server_in_the_admins_language() {
        let invitation = Invitation {
            workspace_name: "Loja",
            server_url: "https://engage.example",
            code: "ABC-123",
            role: Role::Editor,
            valid_hours: 72,
        };
        let pt = invitation_message(Language::PtBr, &invitation);
        assert!(pt.contains("Tenho um convite") && pt.contains("editor(a)"));
        let es = invitation_message(Language::Es, &invitation);
        assert!(es.contains("Tengo una invitación"));
        for text in [pt, es, invitation_message(Language::En, &invitation)] {
            assert!(text.contains("ABC-123") && text.contains("https://engage.example"));
            assert!(text.contains("72"));
        }
    }

    #[test]
    fn a_locale_maps_to_the_closest_language() {
        assert_eq!(Language::from_locale("pt_PT.UTF-8"), Language::PtBr);
        assert_eq!(Language::from_locale("es-AR"), Language::Es);
        assert_eq!(Language::from_locale("de-DE"), Language::En);
    }
}
