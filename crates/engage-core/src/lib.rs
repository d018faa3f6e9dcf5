//! Engage domain and wire types. No I/O.
//!
//! - [`wire`]: JSON bodies of the HTTP API (also exported to TypeScript with ts-rs).
//! - [`phone`]: [`PhoneNumber`], E.164 numbers validated with libphonenumber metadata.
//! - [`campaign`]: [`CampaignName`] and its uniqueness [`key`](CampaignName::key).
//! - [`template`]: the WhatsApp template model, Meta `message_templates` parsing,
//!   validation of send requests and rendering.
//! - [`message`]: message status transitions.
//! - [`curl`]: the token and send curls the app copies.
//! - [`error`]: [`CoreError`], convertible to [`wire::ApiError`].
pub mod campaign;
pub mod curl;
pub mod error;
pub mod message;
pub mod phone;
pub mod template;
pub mod wire;

pub use campaign::{name_key, CampaignName, CampaignStatusExt};
pub use error::{CoreError, PhoneProblem};
pub use message::{can_transition, MessageStatusExt, Transition};
pub use phone::PhoneNumber;
pub use template::meta::{parse_meta_template, parse_meta_templates};
pub use template::{
    ParameterFormat, RenderedMessageExt, Template, TemplateDefinition, ValidatedSend,
};
