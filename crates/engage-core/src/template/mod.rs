//! The WhatsApp template model behind [`wire::Template`]: placeholders, the variables a
//! send request must carry (with WhatsApp's length limits), parsing of Meta's
//! `message_templates` JSON ([`meta`]), and validation and rendering of sends ([`send`]).
//!
//! ## Variable keys
//! | where | key | max length |
//! |---|---|---|
//! | text header `{{1}}` / `{{name}}` | `header_1` / the name | 60 ([`HEADER_TEXT_MAX`]) |
//! | media header (image, video, document) | `header_url` | 2000 ([`MEDIA_URL_MAX`]) |
//! | body `{{1}}`, `{{2}}`... / `{{name}}` | `"1"`, `"2"`... / the name | 1024 ([`BODY_PARAM_MAX`]) |
//! | URL button `.../{{1}}` / `.../{{name}}` | `button_<index>` / the name | 2000 ([`URL_SUFFIX_MAX`]) |
//! | copy-code button (coupon) | `coupon_code` | 15 ([`COUPON_CODE_MAX`]) |
//! | copy-code / OTP button of an AUTHENTICATION template | the body's code variable (`"1"`), sent once | 15 |
//! | location header | `location_latitude`, `location_longitude` (decimal degrees), `location_name`, `location_address` | 20, 20, 1000, 1000 |
//!
//! A named placeholder used in several places is one variable (its limit is the smallest).

pub mod meta;
mod placeholder;
pub mod send;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use placeholder::ParameterFormat;
use placeholder::{parse_pieces, Piece};
pub use send::{RenderedMessageExt, ValidatedSend};

use crate::error::CoreError;
use crate::wire::{
    self, TemplateButton, TemplateCategory, TemplateComponents, TemplateHeader, TemplateStatus,
    TemplateUnsupported, TemplateVariable, VariableLocation,
};

/// Longest value of one body parameter (characters).
pub const BODY_PARAM_MAX: u32 = 1024;
/// Longest body once rendered with its values (characters).
pub const BODY_MAX: usize = 1024;
/// Longest text header, rendered, and so longest header parameter (characters).
pub const HEADER_TEXT_MAX: u32 = 60;
/// Longest URL-button suffix (a URL button's whole URL is limited to 2000 characters).
pub const URL_SUFFIX_MAX: u32 = 2000;
/// Longest coupon / one-time code of a copy-code button.
pub const COUPON_CODE_MAX: u32 = 15;
/// Longest media link for a media header (our limit; WhatsApp fetches the link).
pub const MEDIA_URL_MAX: u32 = 2000;
/// Most buttons WhatsApp allows on a template.
pub const BUTTONS_MAX: usize = 10;

/// Key of the media link of an image, video or document header.
pub const HEADER_URL_KEY: &str = "header_url";
/// Key of the code of a (marketing) copy-code button.
pub const COUPON_CODE_KEY: &str = "coupon_code";
/// Keys of a location header's map pin, in Meta's order.
pub const LOCATION_LATITUDE_KEY: &str = "location_latitude";
pub const LOCATION_LONGITUDE_KEY: &str = "location_longitude";
pub const LOCATION_NAME_KEY: &str = "location_name";
pub const LOCATION_ADDRESS_KEY: &str = "location_address";
/// Longest latitude / longitude as text (`-23.5613993`).
pub const COORDINATE_MAX: u32 = 20;
/// Longest name or address of a location header (our limit).
pub const LOCATION_TEXT_MAX: u32 = 1000;

/// A location header's variables: (key, longest value, example).
const LOCATION_VARIABLES: [(&str, u32, &str); 4] = [
    (LOCATION_LATITUDE_KEY, COORDINATE_MAX, "-23.5613993"),
    (LOCATION_LONGITUDE_KEY, COORDINATE_MAX, "-46.6565712"),
    (LOCATION_NAME_KEY, LOCATION_TEXT_MAX, "Loja Paulista"),
    (
        LOCATION_ADDRESS_KEY,
        LOCATION_TEXT_MAX,
        "Av. Paulista, 1000 - São Paulo",
    ),
];

/// Everything that defines a template; [`Template::new`] checks it. Also the serde form of
/// [`Template`] (store it as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDefinition {
    pub name: String,
    /// WhatsApp language code: `pt_BR`, `es`, `en_US`.
    pub language: String,
    pub category: TemplateCategory,
    pub status: TemplateStatus,
    pub components: TemplateComponents,
    /// Example value of each variable by key. Variables without one get a generated example.
    #[serde(default)]
    pub examples: BTreeMap<String, String>,
    /// Set when Engage cannot send this kind of template (see [`meta`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<TemplateUnsupported>,
}

/// A checked template: its placeholders are well formed and its variables known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TemplateDefinition", into = "TemplateDefinition")]
pub struct Template {
    definition: TemplateDefinition,
    format: Option<ParameterFormat>,
    compiled: Compiled,
    variables: Vec<TemplateVariable>,
}

/// A piece of rendered text: literal, or the value of the variable `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Text(String),
    Var(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CompiledHeader {
    Text(Vec<Segment>),
    Media,
    Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CompiledButton {
    Static,
    Url(Vec<Segment>),
    CopyCode(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Compiled {
    pub(crate) header: Option<CompiledHeader>,
    pub(crate) body: Vec<Segment>,
    pub(crate) buttons: Vec<CompiledButton>,
}

impl Template {
    /// Checks `definition` and derives its variables.
    pub fn new(definition: TemplateDefinition) -> Result<Self, CoreError> {
        let mut builder = Builder {
            definition: &definition,
            format: None,
            variables: Vec::new(),
        };
        let compiled = builder.compile()?;
        let format = builder.format;
        let variables = builder.variables;
        Ok(Template {
            definition,
            format,
            compiled,
            variables,
        })
    }

    /// Rebuilds the domain template from its wire form (examples come from `variables`).
    pub fn from_wire(template: &wire::Template) -> Result<Self, CoreError> {
        Template::new(TemplateDefinition {
            name: template.name.clone(),
            language: template.language.clone(),
            category: template.category,
            status: template.status,
            components: template.components.clone(),
            examples: template
                .variables
                .iter()
                .map(|v| (v.key.clone(), v.example.clone()))
                .collect(),
            unsupported: template.unsupported.clone(),
        })
    }

    /// The wire form, under the server's `id`.
    pub fn to_wire(&self, id: Uuid) -> wire::Template {
        wire::Template {
            id,
            name: self.definition.name.clone(),
            language: self.definition.language.clone(),
            category: self.definition.category,
            status: self.definition.status,
            components: self.definition.components.clone(),
            variables: self.variables.clone(),
            meta_id: None,
            unsupported: self.definition.unsupported.clone(),
            quality: None,
            last_change: None,
            opt_out_buttons: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.definition.name
    }
    pub fn language(&self) -> &str {
        &self.definition.language
    }
    pub fn category(&self) -> TemplateCategory {
        self.definition.category
    }
    pub fn status(&self) -> TemplateStatus {
        self.definition.status
    }
    pub fn components(&self) -> &TemplateComponents {
        &self.definition.components
    }
    pub fn definition(&self) -> &TemplateDefinition {
        &self.definition
    }
    /// `None` when the template has no text placeholder at all.
    pub fn parameter_format(&self) -> Option<ParameterFormat> {
        self.format
    }
    /// Every variable a send request must carry: header, body, then buttons.
    pub fn variables(&self) -> &[TemplateVariable] {
        &self.variables
    }
    /// Why Engage cannot send it, when it is a kind Engage does not support.
    pub fn unsupported(&self) -> Option<&TemplateUnsupported> {
        self.definition.unsupported.as_ref()
    }
    /// Whether campaigns may use it: APPROVED by Meta and of a kind Engage sends.
    pub fn is_sendable(&self) -> bool {
        self.definition.status == TemplateStatus::Approved && self.definition.unsupported.is_none()
    }
    /// The same template with another review status.
    #[must_use]
    pub fn with_status(mut self, status: TemplateStatus) -> Self {
        self.definition.status = status;
        self
    }

    pub(crate) fn compiled(&self) -> &Compiled {
        &self.compiled
    }
}

impl TryFrom<TemplateDefinition> for Template {
    type Error = CoreError;
    fn try_from(definition: TemplateDefinition) -> Result<Self, Self::Error> {
        Template::new(definition)
    }
}

impl From<Template> for TemplateDefinition {
    fn from(template: Template) -> Self {
        template.definition
    }
}

struct Builder<'a> {
    definition: &'a TemplateDefinition,
    format: Option<ParameterFormat>,
    variables: Vec<TemplateVariable>,
}

fn invalid(field: &str, reason: impl Into<String>) -> CoreError {
    CoreError::InvalidTemplate {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

impl Builder<'_> {
    fn compile(&mut self) -> Result<Compiled, CoreError> {
        let components = &self.definition.components;
        let header = match &components.header {
            None => None,
            Some(header) => Some(self.header(header)?),
        };
        let body = self.body(&components.body)?;
        if components.buttons.len() > BUTTONS_MAX {
            return Err(invalid(
                "components.buttons",
                format!("a template has at most {BUTTONS_MAX} buttons"),
            ));
        }
        let mut buttons = Vec::with_capacity(components.buttons.len());
        for (index, button) in components.buttons.iter().enumerate() {
            buttons.push(self.button(index, button)?);
        }
        Ok(Compiled {
            header,
            body,
            buttons,
        })
    }

    fn use_format(&mut self, format: ParameterFormat, field: &str) -> Result<(), CoreError> {
        match self.format {
            Some(existing) if existing != format => Err(invalid(
                field,
                "a template uses either positional ({{1}}) or named ({{first_name}}) placeholders, not both",
            )),
            _ => {
                self.format = Some(format);
                Ok(())
            }
        }
    }

    fn example(&self, key: &str) -> Option<String> {
        self.definition.examples.get(key).cloned()
    }

    /// Declares (or, for a name used again, narrows) a variable.
    fn declare(
        &mut self,
        key: &str,
        location: VariableLocation,
        button_index: Option<u32>,
        max_length: u32,
        example: Option<String>,
    ) {
        if let Some(existing) = self.variables.iter_mut().find(|v| v.key == key) {
            existing.max_length = existing.max_length.min(max_length);
            return;
        }
        let example = example.unwrap_or_else(|| generated_example(key, location));
        self.variables.push(TemplateVariable {
            key: key.to_owned(),
            location,
            button_index,
            example,
            max_length,
        });
    }

    fn header(&mut self, header: &TemplateHeader) -> Result<CompiledHeader, CoreError> {
        const FIELD: &str = "components.header.text";
        match header {
            TemplateHeader::Text { text } => {
                let pieces = parse_pieces(text, FIELD)?;
                let mut segments = Vec::new();
                let mut seen = 0;
                for piece in pieces {
                    let key = match piece {
                        Piece::Text(text) => {
                            segments.push(Segment::Text(text));
                            continue;
                        }
                        Piece::Positional(1) => {
                            self.use_format(ParameterFormat::Positional, FIELD)?;
                            "header_1".to_owned()
                        }
                        Piece::Positional(n) => {
                            return Err(invalid(
                                FIELD,
                                format!(
                                    "a text header's only variable is {{{{1}}}}, not {{{{{n}}}}}"
                                ),
                            ))
                        }
                        Piece::Named(name) => {
                            self.use_format(ParameterFormat::Named, FIELD)?;
                            name
                        }
                    };
                    seen += 1;
                    if seen > 1 {
                        return Err(invalid(FIELD, "a text header holds at most one variable"));
                    }
                    let example = self.example(&key);
                    self.declare(
                        &key,
                        VariableLocation::Header,
                        None,
                        HEADER_TEXT_MAX,
                        example,
                    );
                    segments.push(Segment::Var(key));
                }
                if text.trim().is_empty() {
                    return Err(invalid(FIELD, "a text header needs text"));
                }
                Ok(CompiledHeader::Text(segments))
            }
            TemplateHeader::Image { example_url }
            | TemplateHeader::Video { example_url }
            | TemplateHeader::Document { example_url } => {
                let example = self.example(HEADER_URL_KEY).or_else(|| example_url.clone());
                self.declare(
                    HEADER_URL_KEY,
                    VariableLocation::Header,
                    None,
                    MEDIA_URL_MAX,
                    example,
                );
                Ok(CompiledHeader::Media)
            }
            TemplateHeader::Location => {
                for (key, max, example) in LOCATION_VARIABLES {
                    let example = self.example(key).or_else(|| Some(example.to_owned()));
                    self.declare(key, VariableLocation::Header, None, max, example);
                }
                Ok(CompiledHeader::Location)
            }
        }
    }

    fn body(&mut self, body: &str) -> Result<Vec<Segment>, CoreError> {
        const FIELD: &str = "components.body";
        if body.trim().is_empty() {
            return Err(invalid(FIELD, "the body text is required"));
        }
        let pieces = parse_pieces(body, FIELD)?;
        let mut positions: Vec<u32> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut segments = Vec::with_capacity(pieces.len());
        for piece in pieces {
            segments.push(match piece {
                Piece::Text(text) => Segment::Text(text),
                Piece::Positional(n) => {
                    self.use_format(ParameterFormat::Positional, FIELD)?;
                    if !positions.contains(&n) {
                        positions.push(n);
                    }
                    Segment::Var(n.to_string())
                }
                Piece::Named(name) => {
                    self.use_format(ParameterFormat::Named, FIELD)?;
                    if !names.contains(&name) {
                        names.push(name.clone());
                    }
                    Segment::Var(name)
                }
            });
        }
        positions.sort_unstable();
        for (expected, n) in (1u32..).zip(&positions) {
            if *n != expected {
                return Err(invalid(
                    FIELD,
                    format!("positional placeholders must be numbered {{{{1}}}} to {{{{{}}}}} without gaps; {{{{{expected}}}}} is missing", positions.len()),
                ));
            }
        }
        let keys = positions.iter().map(u32::to_string).chain(names);
        for key in keys.collect::<Vec<_>>() {
            let example = self.example(&key);
            self.declare(&key, VariableLocation::Body, None, BODY_PARAM_MAX, example);
        }
        Ok(segments)
    }

    fn button(
        &mut self,
        index: usize,
        button: &TemplateButton,
    ) -> Result<CompiledButton, CoreError> {
        let field = format!("components.buttons[{index}]");
        let button_index = u32::try_from(index).ok();
        match button {
            TemplateButton::QuickReply { .. } | TemplateButton::PhoneNumber { .. } => {
                Ok(CompiledButton::Static)
            }
            TemplateButton::Url { url, .. } => {
                let url_field = format!("{field}.url");
                let pieces = parse_pieces(url, &url_field)?;
                let variables = pieces
                    .iter()
                    .filter(|p| !matches!(p, Piece::Text(_)))
                    .count();
                if variables > 1
                    || (variables == 1 && matches!(pieces.last(), Some(Piece::Text(_))))
                {
                    return Err(invalid(
                        &url_field,
                        "a URL button may hold one variable, at the end of the URL",
                    ));
                }
                if variables == 1 && pieces.len() == 1 {
                    return Err(invalid(
                        &url_field,
                        "a URL button's variable must follow a fixed https:// address",
                    ));
                }
                let prefix = match pieces.first() {
                    Some(Piece::Text(text)) => text.clone(),
                    _ => String::new(),
                };
                let mut segments = Vec::new();
                for piece in pieces {
                    segments.push(match piece {
                        Piece::Text(text) => Segment::Text(text),
                        Piece::Positional(_) => {
                            let key = format!("button_{index}");
                            self.declare_url(&key, button_index, &prefix);
                            Segment::Var(key)
                        }
                        Piece::Named(name) => {
                            self.use_format(ParameterFormat::Named, &url_field)?;
                            self.declare_url(&name, button_index, &prefix);
                            Segment::Var(name)
                        }
                    });
                }
                Ok(CompiledButton::Url(segments))
            }
            TemplateButton::Otp { .. } => {
                if self.definition.category != TemplateCategory::Authentication {
                    return Err(invalid(
                        &format!("{field}.type"),
                        "an OTP button belongs to AUTHENTICATION templates only",
                    ));
                }
                self.otp_code(&field)
            }
            TemplateButton::CopyCode { .. } => {
                if self.definition.category == TemplateCategory::Authentication {
                    return self.otp_code(&field);
                }

                if self.variables.iter().any(|v| v.key == COUPON_CODE_KEY) {
                    return Err(invalid(
                        &field,
                        "a template has at most one copy-code button",
                    ));
                }
                let example = self.example(COUPON_CODE_KEY);
                self.declare(
                    COUPON_CODE_KEY,
                    VariableLocation::Button,
                    button_index,
                    COUPON_CODE_MAX,
                    example,
                );
                Ok(CompiledButton::CopyCode(COUPON_CODE_KEY.to_owned()))
            }
        }
    }

    /// An authentication template's code button: it carries the body's (first) variable,
    /// the one-time code the caller sends once (at most 15 characters).
    fn otp_code(&mut self, field: &str) -> Result<CompiledButton, CoreError> {
        let Some(code) = self
            .variables
            .iter_mut()
            .find(|v| v.location == VariableLocation::Body)
        else {
            return Err(invalid(
                field,
                "an authentication template's code button copies the code in the body ({{1}}), but the body has no variable",
            ));
        };
        code.max_length = code.max_length.min(COUPON_CODE_MAX);
        Ok(CompiledButton::CopyCode(code.key.clone()))
    }

    fn declare_url(&mut self, key: &str, button_index: Option<u32>, prefix: &str) {
        // Meta's example for a URL button is the whole URL; the variable is its suffix.
        let example = self
            .example(key)
            .map(|full| full.strip_prefix(prefix).unwrap_or(&full).to_owned());
        self.declare(
            key,
            VariableLocation::Button,
            button_index,
            URL_SUFFIX_MAX,
            example,
        );
    }
}

/// An example for a variable the template gives none for; valid for its location.
fn generated_example(key: &str, location: VariableLocation) -> String {
    match (key, location) {
        (HEADER_URL_KEY, _) => "https://example.com/media".to_owned(),
        (COUPON_CODE_KEY, _) => "CODE123".to_owned(),
        (_, VariableLocation::Button) => "abc123".to_owned(),
        (key, _) => key.to_owned(),
    }
}

#[cfg(test)]
mod tests;
