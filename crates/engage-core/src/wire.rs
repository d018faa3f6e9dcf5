//! Wire types: the JSON bodies of the HTTP API, shared by the server, the desktop app and
//! (through ts-rs) the UI. Every type here is plain data; rules live in the domain modules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

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
    Text { text: String },
    Image { url: String },
    Video { url: String },
    Document { url: String },
    Location,
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
}

/// `GET /v1/campaigns/{id}/messages?limit=&cursor=`: newest first; pass `next_cursor` back
/// as `cursor` for the next page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct MessagePage {
    pub items: Vec<Message>,
    pub next_cursor: Option<String>,
}
