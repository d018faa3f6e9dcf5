//! Wire types: the JSON bodies of the HTTP API, shared by the server, the desktop app and
//! (through ts-rs) the UI. Every type here is plain data; rules live in the domain modules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::team::{AuditAction, Language, Permission, Role};

/// `{"error": {...}}`: the body of every non-2xx answer except `/oauth/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ApiErrorBody {
    pub error: ApiError,
}

/// A refusal: a stable snake_case `code` to branch on, a human `message`, and the `field`
/// (JSON path such as `variables.2` or `name`) it concerns when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
    /// When a refusal that passes with time would next be accepted (`frequency_capped`: the
    /// campaign's frequency cap frees a place for this recipient then).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[ts(optional, type = "string")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retry_at: Option<OffsetDateTime>,
}

// ---------------------------------------------------------------- staff auth

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 320, pattern = r"\S")]
    pub email: String,
    #[schema(max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct RefreshRequest {
    #[schema(max_length = 1024)]
    pub refresh_token: String,
}

/// `POST /v1/auth/logout`: revokes the bearer access token of the request and, when given,
/// the refresh token.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct LogoutRequest {
    #[serde(default)]
    #[schema(max_length = 1024)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct StaffTokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    pub refresh_token: String,
}

/// `POST /oauth/token` success (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ClientTokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub scope: String,
}

/// `GET /v1/me`: who the staff token belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Me {
    pub user_id: Uuid,
    pub email: String,
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub role: Role,
    /// What the role allows (the app hides or disables the rest, saying why).
    pub permissions: Vec<Permission>,
}

// ---------------------------------------------------------------- senders

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SenderStatus {
    Active,
    Inactive,
}

/// A sender number ("A partir de" / "From").
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Sender {
    pub id: Uuid,
    pub name: String,
    /// E.164, e.g. `+5511987654321`.
    pub phone: String,
    /// International format for people, e.g. `+55 11 98765-4321`.
    pub phone_display: String,
    pub status: SenderStatus,
    pub provider: ProviderKind,
}

/// How a sender's messages are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProviderKind {
    /// Delivered at once inside the server, nothing leaves it (the sandbox, demos, tests).
    Sandbox,
    /// Meta's WhatsApp Cloud API (Graph API).
    WhatsappCloud,
}

// ---------------------------------------------------------------- templates

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum TemplateCategory {
    Utility,
    Marketing,
    Authentication,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
}

/// The header of a template: text (may hold one variable) or a media placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "format", rename_all = "snake_case")]
#[ts(export)]
pub enum TemplateHeader {
    Text { text: String },
    Image { example_url: Option<String> },
    Video { example_url: Option<String> },
    Document { example_url: Option<String> },
    Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum TemplateButton {
    QuickReply {
        text: String,
    },
    /// `url` may end with one variable (`https://shop.example/cart/{{1}}`).
    Url {
        text: String,
        url: String,
    },
    PhoneNumber {
        text: String,
        phone_number: String,
    },
    /// Copy-code (coupon / one-time code) button: its code is a variable.
    CopyCode {
        text: String,
    },
    /// The one-time-password button of an AUTHENTICATION template (Meta lists it as a URL
    /// button ending in `otp{{1}}`): it carries the body's code, sent once by the caller.
    Otp {
        text: String,
        otp_type: OtpType,
    },
}

/// How an authentication template's button hands over the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum OtpType {
    /// "Copy code": the code goes to the clipboard.
    CopyCode,
    /// "Autofill" into the business's Android app (falls back to copy code).
    OneTap,
    /// Handed to the app without a tap (falls back to copy code).
    ZeroTap,
}

/// A kind of template Meta approves that Engage does not send. Such a template is imported
/// for visibility, shown as unavailable, and refused for campaigns (`template_unsupported`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum UnsupportedKind {
    Carousel,
    LimitedTimeOffer,
    Catalog,
    MultiProduct,
    Flow,
    /// Another component, header format or button type.
    Other,
}

/// Why a template cannot be sent by Engage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct TemplateUnsupported {
    pub kind: UnsupportedKind,
    /// Names the component and field, e.g. `components[1] (CAROUSEL): carousel templates are not supported`.
    pub reason: String,
}

/// Meta's quality rating of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum TemplateQuality {
    Green,
    Yellow,
    Red,
    Unknown,
}

/// What Meta last did to a template that staff should know about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TemplateChangeKind {
    Paused,
    Disabled,
    Rejected,
    /// Approved again after being paused, disabled or rejected.
    Reapproved,
    /// Flagged for low quality: may be paused or disabled soon.
    Flagged,
    /// Its category was changed by Meta.
    Recategorised,
    /// Meta announced it will change its category.
    RecategorisationScheduled,
    /// Its quality rating went down.
    QualityDropped,
}

/// The last change Meta made to a template (from its webhooks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct TemplateChange {
    pub kind: TemplateChangeKind,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Meta's reason, when it gave one (`reason` of a status event).
    pub reason: Option<String>,
    /// Recategorisations: the category before and after.
    pub previous_category: Option<TemplateCategory>,
    pub new_category: Option<TemplateCategory>,
    /// Quality changes: the rating before and after.
    pub previous_quality: Option<TemplateQuality>,
    pub new_quality: Option<TemplateQuality>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct TemplateComponents {
    pub header: Option<TemplateHeader>,
    /// Body text with `{{1}}` or `{{first_name}}` placeholders.
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<TemplateButton>,
}

/// Where a variable is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum VariableLocation {
    Header,
    Body,
    Button,
}

/// One value the send request must carry, under `variables[key]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct TemplateVariable {
    /// `"1"`, `"2"`, ... for positional templates; the name (`"first_name"`) for named ones.
    /// Media headers use `"header_url"`, copy-code buttons `"coupon_code"`.
    pub key: String,
    pub location: VariableLocation,
    /// For button variables: the button's index in `components.buttons`.
    pub button_index: Option<u32>,
    /// Example value (from the template's examples), used in the documentation screen.
    pub example: String,
    /// Longest value WhatsApp accepts here, in characters.
    pub max_length: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Template {
    pub id: Uuid,
    pub name: String,
    /// WhatsApp language code, e.g. `pt_BR`, `es`, `en_US`.
    pub language: String,
    pub category: TemplateCategory,
    pub status: TemplateStatus,
    pub components: TemplateComponents,
    /// Every variable, in order of appearance (header, body, buttons).
    pub variables: Vec<TemplateVariable>,
    /// Meta's id of the template (`message_template_id` of its webhooks), when known.
    #[serde(default)]
    pub meta_id: Option<String>,
    /// Set when Engage cannot send this kind of template: never offered for campaigns.
    #[serde(default)]
    pub unsupported: Option<TemplateUnsupported>,
    /// Meta's quality rating, once Meta reported one.
    #[serde(default)]
    pub quality: Option<TemplateQuality>,
    /// Meta's last change to the template that staff should know about.
    #[serde(default)]
    pub last_change: Option<TemplateChange>,
    /// The texts of its quick-reply buttons marked as opt-out: pressing one puts the number on
    /// the do-not-message list (issue 12 §4).
    #[serde(default)]
    pub opt_out_buttons: Vec<String>,
}

/// `PUT /v1/templates/{id}/opt-out-buttons`: the quick-reply buttons (by their text) whose
/// press opts the customer out; the template's other buttons are unmarked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct OptOutButtonsRequest {
    #[schema(max_items = 10)]
    pub buttons: Vec<String>,
}

// ---------------------------------------------------------------- campaigns

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CampaignType {
    Recurrent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CampaignStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub campaign_type: CampaignType,
    pub status: CampaignStatus,
    pub sender: Sender,
    pub template: Template,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// Live messages sent in the last 7 days (issue 12; counted at 15-minute precision).
    #[serde(default)]
    #[ts(type = "number")]
    pub sent_last_7_days: u64,
    /// When the campaign's latest live message was sent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_sent_at: Option<OffsetDateTime>,
    /// At most so many messages to the same person every period (issue 12 §5); none when
    /// absent.
    #[serde(default)]
    pub frequency_cap: Option<FrequencyCap>,
}

/// The unit of a [`FrequencyCap`]'s period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CapUnit {
    Minutes,
    Hours,
    Days,
}

/// "At most `max_messages` messages to the same person every `period` `unit`s" (e.g. 1 every
/// 24 hours). A live send over it is refused with 422 `frequency_capped`. Bounds: 1 to 1,000
/// messages; a period of 1 minute to 30 days (43,200 minutes, 720 hours, 30 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FrequencyCap {
    #[schema(minimum = 1, maximum = 1000)]
    pub max_messages: u32,
    #[schema(minimum = 1, maximum = 43200)]
    pub period: u32,
    pub unit: CapUnit,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CampaignList {
    pub items: Vec<Campaign>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CreateCampaignRequest {
    // Schema: no control characters, and at least one character that shows (not whitespace,
    // not a default-ignorable or format character of the BMP).
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: String,
    #[serde(rename = "type")]
    pub campaign_type: CampaignType,
    pub sender_id: Uuid,
    pub template_id: Uuid,
    /// An optional frequency cap (none when absent or null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub frequency_cap: Option<FrequencyCap>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UpdateCampaignRequest {
    // Absent means "unchanged"; an explicit null is refused like any other wrong type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schema(nullable = false)]
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schema(nullable = false)]
    pub status: Option<CampaignStatus>,
    /// A new frequency cap; `null` removes it; absent leaves it unchanged.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "null_or_value"
    )]
    #[ts(optional)]
    #[schema(value_type = Option<FrequencyCap>, nullable = true)]
    pub frequency_cap: Option<Option<FrequencyCap>>,
}

/// A field whose `null` means "remove" (`Some(None)`); absent is `None` (through `default`).
fn null_or_value<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A field that, when present, must hold a value (not `null`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// `GET /v1/campaigns/name-availability?name=...`: the server's uniqueness rule, for
/// checking as the user types. `error` says why the name cannot be used.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NameAvailability {
    pub available: bool,
    pub error: Option<ApiError>,
}

/// `GET /v1/campaigns/{id}/integration`: everything needed to build the two curls.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignIntegration {
    /// Absolute URL of `POST /oauth/token`, from the server's public URL.
    pub token_url: String,
    /// Absolute URL of `POST /v1/campaigns/{id}/messages`.
    pub send_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// A request body with every variable of the template set to its example value.
    pub example_request: SendMessageRequest,
    // ---- per-campaign credentials and test mode (issue 11, part B)
    /// Which credentials these are: `live` or `test` (client id `engage_test_…`).
    #[serde(default)]
    pub mode: CredentialMode,
    /// `campaign`: the client sends only for this campaign; `workspace`: a workspace-wide
    /// client (campaigns created before per-campaign credentials, until rotated).
    #[serde(default)]
    pub scope: CredentialScope,
    /// When a token of this client was last issued or used (minute precision).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    /// After a rotation with a grace period: until when the previous secret still works.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub previous_secret_expires_at: Option<OffsetDateTime>,
}

/// Live credentials send real WhatsApp messages; test credentials (client ids starting
/// `engage_test_`) send through the sandbox provider, and their messages are marked as tests.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CredentialMode {
    #[default]
    Live,
    Test,
}

impl CredentialMode {
    /// Both modes, live first.
    pub const ALL: [CredentialMode; 2] = [CredentialMode::Live, CredentialMode::Test];

    /// The wire label (`live`, `test`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialMode::Live => "live",
            CredentialMode::Test => "test",
        }
    }

    pub fn parse(label: &str) -> Option<CredentialMode> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == label)
    }
}

/// What an API client may send for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CredentialScope {
    /// Only its campaign (403 `campaign_not_in_scope` elsewhere).
    #[default]
    Campaign,
    /// Every campaign of the workspace.
    Workspace,
}

/// How long the previous secret keeps working after a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub enum RotationGrace {
    /// Refused at once, with every token issued with it.
    #[serde(rename = "now")]
    Now,
    #[serde(rename = "1h")]
    OneHour,
    #[serde(rename = "24h")]
    OneDay,
}

impl RotationGrace {
    pub const ALL: [RotationGrace; 3] = [
        RotationGrace::Now,
        RotationGrace::OneHour,
        RotationGrace::OneDay,
    ];

    /// The wire label (`now`, `1h`, `24h`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RotationGrace::Now => "now",
            RotationGrace::OneHour => "1h",
            RotationGrace::OneDay => "24h",
        }
    }

    pub fn parse(label: &str) -> Option<RotationGrace> {
        Self::ALL.into_iter().find(|grace| grace.as_str() == label)
    }

    /// The grace period in milliseconds.
    pub fn millis(self) -> i64 {
        match self {
            RotationGrace::Now => 0,
            RotationGrace::OneHour => 3_600_000,
            RotationGrace::OneDay => 86_400_000,
        }
    }
}

/// `POST /v1/campaigns/{id}/credentials/rotate`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RotateCredentialsRequest {
    #[serde(default)]
    pub mode: CredentialMode,
    pub grace: RotationGrace,
}

/// `POST /v1/campaigns/{id}/credentials/revoke`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RevokeCredentialsRequest {
    #[serde(default)]
    pub mode: CredentialMode,
}

// ---------------------------------------------------------------- messages

/// One recipient. `variables` keys are the template's variable keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct SendMessageRequest {
    #[schema(
        max_length = 40,
        pattern = r"^\s*\+[0-9 ().\-]*[0-9][0-9 ().\-]*\s*$",
        example = "+5511987654321"
    )]
    pub to: String,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct BatchSendRequest {
    #[schema(min_items = 1, max_items = 1000)]
    pub messages: Vec<SendMessageRequest>,
}

/// 202 answer to a single send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct SendAccepted {
    pub id: Uuid,
    pub status: MessageStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct BatchItemResult {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub status: Option<MessageStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<ApiError>,
}

/// 202 answer to a batch: one result per item, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct BatchSendResponse {
    pub accepted: u32,
    pub rejected: u32,
    pub results: Vec<BatchItemResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "format", rename_all = "snake_case")]
#[ts(export)]
pub enum RenderedHeader {
    Text {
        text: String,
    },
    Image {
        url: String,
    },
    Video {
        url: String,
    },
    Document {
        url: String,
    },
    /// The map pin of a location header, as sent.
    Location {
        latitude: String,
        longitude: String,
        name: String,
        address: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct RenderedButton {
    /// Same values as `TemplateButton`'s `type`.
    pub kind: String,
    pub text: String,
    /// Final URL (url buttons), phone number, or code (copy-code buttons).
    pub value: Option<String>,
}

/// The message as the recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct RenderedMessage {
    pub header: Option<RenderedHeader>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<RenderedButton>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct MessageError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Message {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// E.164.
    pub to: String,
    pub status: MessageStatus,
    pub rendered: RenderedMessage,
    /// The rendered message as plain text (header, body, footer, buttons on their own lines).
    pub text: String,
    pub error: Option<MessageError>,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub failed_at: Option<OffsetDateTime>,
    /// Sent with test credentials: delivered by the sandbox, never by WhatsApp.
    #[serde(default)]
    pub test: bool,
}

/// `GET /v1/campaigns/{id}/messages?limit=&cursor=`: newest first; pass `next_cursor` back
/// as `cursor` for the next page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct MessagePage {
    pub items: Vec<Message>,
    pub next_cursor: Option<String>,
}

// ---- issue 12: campaign statistics ----

/// How a statistics series is cut: hours (for a day) or days (longer periods), in the
/// caller's time zone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StatsBucket {
    Hour,
    #[default]
    Day,
}

/// Messages of a period by what happened to them (test messages are never counted): each
/// count is the events of that kind whose time falls in the period — accepted by the API,
/// sent to the provider, delivered and read (at WhatsApp's times), failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct StatusCounts {
    #[ts(type = "number")]
    pub accepted: u64,
    #[ts(type = "number")]
    pub sent: u64,
    #[ts(type = "number")]
    pub delivered: u64,
    #[ts(type = "number")]
    pub read: u64,
    #[ts(type = "number")]
    pub failed: u64,
}

/// One bucket of a series: it starts at `start` (with the time zone's offset then) and ends
/// where the next one starts (or at the period's end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct StatsPoint {
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    pub counts: StatusCounts,
}

/// Failures of a period with one code: the stored code (`whatsapp_<Meta's code>` for
/// WhatsApp's own errors) and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct FailureReason {
    pub code: String,
    /// Meta's error code when the failure is WhatsApp's (`131026` for `whatsapp_131026`).
    #[ts(type = "number | null")]
    pub meta_code: Option<i64>,
    #[ts(type = "number")]
    pub count: u64,
}

/// `GET /v1/campaigns/{id}/stats`: a campaign's totals, series and failure reasons for the
/// period `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CampaignStats {
    pub campaign_id: Uuid,
    pub campaign_name: String,
    pub totals: StatusCounts,
    /// delivered ÷ sent (at most 1); null when nothing was sent.
    pub delivery_rate: Option<f64>,
    /// read ÷ delivered (at most 1); null when nothing was delivered.
    pub read_rate: Option<f64>,
    /// Every bucket of the period in order, empty ones included.
    pub series: Vec<StatsPoint>,
    /// Most frequent first (at most 20).
    pub failures: Vec<FailureReason>,
}

/// The period a statistics answer covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct StatsPeriod {
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub to: OffsetDateTime,
    pub bucket: StatsBucket,
    /// The IANA time zone of the buckets (`America/Sao_Paulo`).
    pub tz: String,
}

/// `GET /v1/campaigns/{id}/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CampaignStatsResponse {
    pub period: StatsPeriod,
    pub stats: CampaignStats,
}

/// `GET /v1/stats`: the same per campaign, for every campaign with activity in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct WorkspaceStatsResponse {
    pub period: StatsPeriod,
    pub campaigns: Vec<CampaignStats>,
}

// ---- issue 12: opt-outs ----

/// How a number came onto the do-not-message list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OptOutSource {
    /// The person replied with an opt-out keyword (WhatsApp's `messages` webhook, or the
    /// sandbox's simulated reply).
    Reply,
    /// A staff member added it.
    Staff,
    /// The person pressed a quick-reply button the template marks as opt-out (issue 12 §4).
    Button,
}

/// A number on the workspace's do-not-message list: nothing is sent to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct OptOut {
    /// E.164.
    pub phone: String,
    pub source: OptOutSource,
    /// The reply's text, or the staff member's reason.
    pub detail: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// `GET /v1/opt-outs?q=&cursor=&limit=`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct OptOutPage {
    pub items: Vec<OptOut>,
    pub next_cursor: Option<String>,
}

/// `POST /v1/opt-outs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct AddOptOutRequest {
    pub phone: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// `POST /v1/opt-outs/remove`: a removal needs a reason (it is recorded in the audit log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct RemoveOptOutRequest {
    pub phone: String,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// `POST /v1/messages/{id}/simulate-reply {text}`: the sandbox's stand-in for the recipient
/// answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct SimulateReplyRequest {
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
    /// The text is a quick-reply button pressed under the message (WhatsApp's `button`
    /// reply), not typed.
    #[serde(default)]
    #[ts(optional)]
    pub button: Option<bool>,
}

/// What a simulated reply did: the opt-out keyword it matched, if any (the number is then on
/// the do-not-message list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct SimulatedReply {
    pub keyword: Option<String>,
    /// The opt-out button pressed, when the reply was a press on a button marked as opt-out.
    #[serde(default)]
    pub button: Option<String>,
}

/// A line of an imported CSV that was not taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ImportRefusal {
    /// 1-based line of the file.
    pub line: u32,
    pub code: String,
    pub message: String,
}

/// `POST /v1/opt-outs/import`: what a CSV import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct OptOutImport {
    /// Numbers put on the list.
    pub added: u32,
    /// Numbers that were already on it.
    pub already_listed: u32,
    /// Lines not taken (the first 100).
    pub refused: Vec<ImportRefusal>,
    /// How many lines were not taken in all.
    pub refused_count: u32,
}

/// `GET|PUT /v1/opt-outs/keywords`: a reply whose whole text is one of these (without case,
/// accents or punctuation) opts the number out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct OptOutKeywords {
    pub keywords: Vec<String>,
}

#[cfg(test)]
mod credential_tests {
    use super::*;

    #[test]
    fn credential_mode_and_grace_labels_are_the_ones_serde_writes_and_parse_back() {
        for mode in CredentialMode::ALL {
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
            assert_eq!(CredentialMode::parse(mode.as_str()), Some(mode));
        }
        for grace in RotationGrace::ALL {
            assert_eq!(serde_json::to_value(grace).unwrap(), grace.as_str());
            assert_eq!(RotationGrace::parse(grace.as_str()), Some(grace));
        }
        assert_eq!(CredentialMode::parse("sandbox"), None);
        assert_eq!(RotationGrace::parse("2h"), None);
    }

    #[test]
    fn each_grace_period_is_its_length_in_milliseconds() {
        assert_eq!(RotationGrace::Now.millis(), 0);
        assert_eq!(RotationGrace::OneHour.millis(), 3_600_000);
        assert_eq!(RotationGrace::OneDay.millis(), 86_400_000);
    }
}

// ---------------------------------------------------------------- team (issue 13)

/// A colleague in the workspace (`GET /v1/team`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct TeamMember {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    /// `false` once deactivated: cannot sign in, every session ended.
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Until when sign-ins to this account are refused after failed attempts (an admin can
    /// lift it); absent when not blocked.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub blocked_until: Option<OffsetDateTime>,
}

/// An invitation or password reset not used yet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct PendingInvitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    /// `true` for a password reset of an existing account.
    pub reset: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

/// `GET /v1/team`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Team {
    pub members: Vec<TeamMember>,
    pub invitations: Vec<PendingInvitation>,
}

/// `POST /v1/team/invitations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CreateInvitationRequest {
    #[schema(min_length = 3, max_length = 320)]
    pub email: String,
    pub role: Role,
    /// Language of the ready-to-send message (the admin's); `pt-BR` when absent.
    #[serde(default)]
    #[ts(optional)]
    pub language: Option<Language>,
}

/// `POST /v1/team/members/{id}/password-reset`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct PasswordResetRequest {
    #[serde(default)]
    #[ts(optional)]
    pub language: Option<Language>,
}

/// A new one-time code: shown once, never stored in clear.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct InvitationCreated {
    pub invitation: PendingInvitation,
    pub code: String,
    /// Ready to send, in the requested language: server address, code, what to do.
    pub message: String,
    /// Whether the server also emailed it (`ENGAGE_SMTP_URL` set and the mail accepted).
    pub emailed: bool,
}

/// `POST /v1/auth/invitation`: accept an invitation (or a password reset) and sign in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct AcceptInvitationRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub code: String,
    #[schema(max_length = 1024)]
    pub password: String,
}

/// `PATCH /v1/team/members/{id}`: change the role and/or (de)activate.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UpdateMemberRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub active: Option<bool>,
}

/// `POST /v1/me/password`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 1024)]
    pub current_password: String,
    #[schema(max_length = 1024)]
    pub new_password: String,
}

/// One active sign-in session of the caller (`GET /v1/me/sessions`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct SessionSummary {
    pub id: Uuid,
    /// From the `User-Agent` of the sign-in, e.g. "Engage desktop (Linux)".
    pub device: String,
    pub address: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: OffsetDateTime,
    /// The session of the request.
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct SessionList {
    pub items: Vec<SessionSummary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AuditActorKind {
    User,
    ApiClient,
    /// Not signed in (a sign-in attempt): `label` is the email given.
    Anonymous,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct AuditActor {
    pub kind: AuditActorKind,
    pub id: Option<Uuid>,
    /// Email of the person (or name of the API client) at the time.
    pub label: String,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct AuditEntry {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub actor: AuditActor,
    pub action: AuditAction,
    pub campaign_id: Option<Uuid>,
    /// What it was done to: a campaign's name, a colleague's email.
    pub target: Option<String>,
    /// The address the request came from.
    pub address: Option<String>,
    /// For changes: the values before and after.
    #[ts(type = "unknown")]
    pub before: Option<serde_json::Value>,
    #[ts(type = "unknown")]
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------- integration log (issue 15)

/// Which request of the technical team's integration reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum IntegrationCallKind {
    /// `POST /oauth/token` with the campaign's credentials.
    Token,
    /// `POST /v1/campaigns/{id}/messages`.
    Send,
}

/// One request of the integration log: no body is kept, a phone number only by its last 4
/// digits.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct IntegrationCall {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub kind: IntegrationCallKind,
    /// The HTTP status answered (200 for a token, 202 for a send, else the refusal's).
    pub status: u16,
    /// Nothing was done: no token issued, no message queued.
    pub refused: bool,
    /// Messages queued by the request (a batch may queue some and refuse others).
    pub accepted: u32,
    /// The refusal's code (`missing_variable`, `invalid_token`, …); for a batch that queued
    /// some messages, the code of its first refused item.
    pub code: Option<String>,
    /// The field the refusal concerns (`variables.first_name`, `to`, …).
    pub field: Option<String>,
    /// The refusal in words, as the caller got it.
    pub reason: Option<String>,
    /// The last 4 digits of the recipient's number, when the request named one.
    pub phone_last4: Option<String>,
    /// The address the request came from.
    pub address: Option<String>,
    /// Made with the campaign's test credentials.
    pub test: bool,
}

/// Where the hand-off to the technical team stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum IntegrationState {
    /// No request has reached the server (in the last 7 days).
    Waiting,
    /// A token was obtained; no message was sent yet.
    TokenObtained,
    /// Messages are being sent.
    Sending,
    /// The most recent requests were refused.
    Failing,
}

/// The hand-off at a glance, from the campaign's log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct IntegrationSummary {
    pub state: IntegrationState,
    /// The last token obtained with the campaign's credentials.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub token_at: Option<OffsetDateTime>,
    /// The first message queued (within the log's 7 days).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_sent_at: Option<OffsetDateTime>,
    /// The last message queued.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_sent_at: Option<OffsetDateTime>,
    /// How many of the most recent requests were refused in a row.
    pub refused_streak: u32,
    /// The most recent refusal, while the streak lasts.
    pub last_refusal: Option<IntegrationCall>,
}

/// `GET /v1/campaigns/{id}/integration/log`: the summary and the recent requests, newest
/// first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct IntegrationLog {
    pub summary: IntegrationSummary,
    pub calls: Vec<IntegrationCall>,
}

/// A campaign's integration, as the list of campaigns shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum IntegrationHealth {
    /// A message was queued in the last 7 days and the latest request was not refused.
    Live,
    /// No message was ever sent and no request reached the server in the last 7 days.
    NeverUsed,
    /// The most recent request was refused.
    Failing,
    /// Messages were sent before, none in the last 7 days.
    Quiet,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CampaignIntegrationHealth {
    pub campaign_id: Uuid,
    pub health: IntegrationHealth,
}
