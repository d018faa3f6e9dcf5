//! Engage domain and wire types. No I/O.
//!
//! - [`wire`]: JSON bodies of the HTTP API (also exported to TypeScript with ts-rs).
//! - [`phone`]: [`PhoneNumber`], E.164 numbers validated with libphonenumber metadata.
//! - [`campaign`]: [`CampaignName`] and its uniqueness [`key`](CampaignName::key).
//! - [`template`]: the WhatsApp template model, Meta `message_templates` parsing,
//!   validation of send requests and rendering.
//! - [`message`]: message status transitions.
//! - [`curl`]: the token and send curls the app copies.
//! - [`snippet`]: one description of the two integration requests rendered in every language.
//! - [`snippet_lang`]: [`SnippetLang`], the languages integration code is shown in.
//! - [`callback`]: status callbacks (event body, signature, verification recipes).
//! - [`team`]: roles and permissions, audit actions, the password rule, sign-in throttling.
//! - [`frequency_cap`]: a campaign's "at most N messages to one person every T" rule.
//! - [`error`]: [`CoreError`], convertible to [`wire::ApiError`].
pub mod callback;
pub mod campaign;
pub mod curl;
pub mod error;
pub mod frequency_cap;
pub mod message;
pub mod message_log;
pub mod opt_out;
pub mod phone;
pub mod snippet;
pub mod snippet_lang;
pub mod stats;
pub mod team;
pub mod template;
pub mod wire;

pub use campaign::{name_key, CampaignName, CampaignStatusExt};
pub use error::{CoreError, PhoneProblem};
pub use message::{can_transition, MessageStatusExt, Transition};
pub use phone::PhoneNumber;
pub use snippet_lang::SnippetLang;
pub use team::{AuditAction, Language, Permission, Role};
pub use template::meta::{
    meta_template_id, parse_meta_listing, parse_meta_template, parse_meta_templates, ListingItem,
};
pub use template::{
    ParameterFormat, RenderedMessageExt, Template, TemplateDefinition, ValidatedSend,
};
