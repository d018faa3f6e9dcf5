//! Parsing of Meta's WhatsApp Cloud API `message_templates` JSON: one template object (as
//! created or fetched) or the listing `{"data": [...], "paging": ...}`.
//!
//! Supported components: `HEADER` (`TEXT`, `IMAGE`, `VIDEO`, `DOCUMENT`, `LOCATION`),
//! `BODY`, `FOOTER`, `BUTTONS` (`QUICK_REPLY`, `URL`, `PHONE_NUMBER`, `COPY_CODE`, and the
//! one-time-password buttons of authentication templates: `OTP` as created, or the `URL`
//! button ending in `otp{{1}}` Meta lists instead). Component and button types are matched
//! case-insensitively. Examples (`header_text`, `header_text_named_params`,
//! `header_handle`, `body_text`, `body_text_named_params`, button `example`) become the
//! variables' example values.
//!
//! Kinds Meta approves that Engage does not send (carousels, limited-time offers, catalog,
//! multi-product and flow buttons, any other component, header format or button type) do
//! not make the template fail: it is parsed without those parts and marked
//! [`TemplateUnsupported`] with the component and field, so it is shown but never sent.
//! [`parse_meta_listing`] parses each template of a listing on its own.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::placeholder::ParameterFormat;
use super::{Template, TemplateDefinition, COUPON_CODE_KEY, HEADER_URL_KEY};
use crate::error::CoreError;
use crate::wire::{
    OtpType, TemplateButton, TemplateCategory, TemplateComponents, TemplateHeader, TemplateStatus,
    TemplateUnsupported, UnsupportedKind,
};

#[derive(Debug, Deserialize)]
struct MetaComponent {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    example: Option<MetaExample>,
    #[serde(default)]
    buttons: Vec<Value>,
    /// Authentication bodies: Meta's preset text adds "For your security, do not share this code."
    #[serde(default)]
    add_security_recommendation: Option<bool>,
    /// Authentication footers: "This code expires in N minutes."
    #[serde(default)]
    code_expiration_minutes: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
struct MetaExample {
    #[serde(default)]
    header_text: Vec<String>,
    #[serde(default)]
    header_text_named_params: Vec<NamedParam>,
    #[serde(default)]
    header_handle: Vec<String>,
    #[serde(default)]
    body_text: Vec<Vec<String>>,
    #[serde(default)]
    body_text_named_params: Vec<NamedParam>,
}

#[derive(Debug, Deserialize)]
struct NamedParam {
    param_name: String,
    example: String,
}

#[derive(Debug, Deserialize)]
struct MetaButton {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    example: Option<OneOrMany>,
    #[serde(default)]
    otp_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn first(&self) -> Option<&str> {
        match self {
            OneOrMany::One(value) => Some(value),
            OneOrMany::Many(values) => values.first().map(String::as_str),
        }
    }
}

/// One template of a listing, parsed on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingItem {
    /// Meta's template id (`id`), when listed.
    pub meta_id: Option<String>,
    /// `name (language)` as listed, for reports (`data[3]` when it has neither).
    pub label: String,
    /// The template, or why it cannot be used (the field is relative to the template).
    pub result: Result<Template, CoreError>,
}

/// Parses a `message_templates` document (one template object or `{"data": [...]}`) into
/// one item per template; only a document that is not JSON, or whose `data` is not an
/// array, is refused as a whole.
pub fn parse_meta_listing(json: &str) -> Result<Vec<ListingItem>, CoreError> {
    let value: Value = serde_json::from_str(json).map_err(|e| CoreError::InvalidTemplateJson {
        reason: e.to_string(),
    })?;
    let items = match value.get("data") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(_) => {
            return Err(CoreError::InvalidTemplateJson {
                reason: "\"data\" must be an array of templates".to_owned(),
            })
        }
        None => vec![&value],
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, item)| ListingItem {
            meta_id: meta_template_id(item),
            label: listing_label(item).unwrap_or_else(|| format!("data[{i}]")),
            result: parse_meta_template(item),
        })
        .collect())
}

/// Parses a `message_templates` document, refusing it at the first template that cannot
/// be used (fields prefixed `data[i].`).
pub fn parse_meta_templates(json: &str) -> Result<Vec<Template>, CoreError> {
    let listed = serde_json::from_str::<Value>(json)
        .map(|v| v.get("data").is_some())
        .unwrap_or(false);
    parse_meta_listing(json)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            item.result.map_err(|e| match listed {
                true => prefix_field(e, &format!("data[{i}]")),
                false => e,
            })
        })
        .collect()
}

/// Meta's id of a template object (`"id"`, a string or a number).
pub fn meta_template_id(value: &Value) -> Option<String> {
    match value.get("id")? {
        Value::String(id) if !id.trim().is_empty() => Some(id.trim().to_owned()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// `name (language)` of a template object, when it has both.
fn listing_label(value: &Value) -> Option<String> {
    let name = value.get("name")?.as_str()?;
    let language = match value.get("language")? {
        Value::String(code) => code.as_str(),
        other => other.get("code")?.as_str()?,
    };
    Some(format!("{name} ({language})"))
}

fn prefix_field(error: CoreError, prefix: &str) -> CoreError {
    match error {
        CoreError::InvalidTemplate { field, reason } => CoreError::InvalidTemplate {
            field: format!("{prefix}.{field}"),
            reason,
        },
        CoreError::InvalidTemplateJson { reason } => CoreError::InvalidTemplateJson {
            reason: format!("{prefix}: {reason}"),
        },
        other => other,
    }
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> CoreError {
    CoreError::InvalidTemplate {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A required text property of the template object.
fn text_field(value: &Value, field: &str) -> Result<String, CoreError> {
    match value.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(invalid(field, format!("\"{field}\" is required")))
        }
        Some(_) => Err(invalid(field, format!("\"{field}\" must be a string"))),
    }
}

/// An optional upper-cased text property of the template object.
fn upper_field(value: &Value, field: &str) -> Result<Option<String>, CoreError> {
    match value.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.to_ascii_uppercase())),
        Some(_) => Err(invalid(field, format!("\"{field}\" must be a string"))),
    }
}

fn parse_category(value: &Value) -> Result<TemplateCategory, CoreError> {
    match text_field(value, "category")?.to_ascii_uppercase().as_str() {
        "UTILITY" => Ok(TemplateCategory::Utility),
        "MARKETING" => Ok(TemplateCategory::Marketing),
        "AUTHENTICATION" => Ok(TemplateCategory::Authentication),
        other => Err(invalid("category", format!("unknown category \"{other}\""))),
    }
}

fn parse_status(value: &Value) -> Result<TemplateStatus, CoreError> {
    Ok(match upper_field(value, "status")?.as_deref() {
        // A template being created has no status yet: it awaits review.
        None | Some("PENDING") | Some("IN_APPEAL") => TemplateStatus::Pending,
        Some("APPROVED") => TemplateStatus::Approved,
        Some("REJECTED") => TemplateStatus::Rejected,
        Some("PAUSED") => TemplateStatus::Paused,
        Some("DISABLED" | "PENDING_DELETION" | "DELETED" | "ARCHIVED" | "LIMIT_EXCEEDED") => {
            TemplateStatus::Disabled
        }
        Some(other) => return Err(invalid("status", format!("unknown status \"{other}\""))),
    })
}

fn parse_declared_format(value: &Value) -> Result<Option<ParameterFormat>, CoreError> {
    match upper_field(value, "parameter_format")?.as_deref() {
        None => Ok(None),
        Some("POSITIONAL") => Ok(Some(ParameterFormat::Positional)),
        Some("NAMED") => Ok(Some(ParameterFormat::Named)),
        Some(other) => Err(invalid(
            "parameter_format",
            format!("unknown parameter_format \"{other}\" (POSITIONAL or NAMED)"),
        )),
    }
}

/// What the components of a template make, gathered one component at a time.
#[derive(Default)]
struct Parts {
    examples: BTreeMap<String, String>,
    header: Option<TemplateHeader>,
    body: Option<String>,
    footer: Option<String>,
    buttons: Vec<TemplateButton>,
    /// The first part Engage cannot send, with its field.
    unsupported: Option<TemplateUnsupported>,
}

impl Parts {
    fn unsupported(&mut self, kind: UnsupportedKind, field: &str, reason: impl Into<String>) {
        if self.unsupported.is_none() {
            self.unsupported = Some(TemplateUnsupported {
                kind,
                reason: format!("{field}: {}", reason.into()),
            });
        }
    }
}

/// Parses one template object of Meta's format.
pub fn parse_meta_template(value: &Value) -> Result<Template, CoreError> {
    if !value.is_object() {
        return Err(CoreError::InvalidTemplateJson {
            reason: "a template must be a JSON object".to_owned(),
        });
    }
    let name = text_field(value, "name")?;
    let language = match value.get("language") {
        Some(Value::Object(object)) => text_field(&Value::Object(object.clone()), "code")
            .map_err(|_| invalid("language.code", "the language code is required"))?,
        _ => text_field(value, "language")?,
    };
    let category = parse_category(value)?;
    let status = parse_status(value)?;
    let declared_format = parse_declared_format(value)?;
    let components = match value.get("components") {
        Some(Value::Array(components)) => components,
        _ => {
            return Err(invalid(
                "components",
                "\"components\" must be an array of components",
            ))
        }
    };

    let mut parts = Parts::default();
    for (index, component) in components.iter().enumerate() {
        parse_component(
            component,
            &format!("components[{index}]"),
            category,
            &mut parts,
        )?;
    }
    let Some(body) = parts.body else {
        return Err(invalid("components", "a template needs a BODY component"));
    };
    // Named URL-button variables take their example from the button too.
    for (index, button) in parts.buttons.iter().enumerate() {
        if let TemplateButton::Url { url, .. } = button {
            if let (Some(start), Some(example)) = (
                url.find("{{"),
                parts.examples.get(&format!("button_{index}")).cloned(),
            ) {
                let name = url[start + 2..].trim_end_matches("}}").to_owned();
                if !name.is_empty() && !name.bytes().all(|b| b.is_ascii_digit()) {
                    parts.examples.entry(name).or_insert(example);
                }
            }
        }
    }

    let template = Template::new(TemplateDefinition {
        name,
        language,
        category,
        status,
        components: TemplateComponents {
            header: parts.header,
            body,
            footer: parts.footer,
            buttons: parts.buttons,
        },
        examples: parts.examples,
        unsupported: parts.unsupported,
    })?;
    if let (Some(declared), Some(found)) = (declared_format, template.parameter_format()) {
        if declared != found {
            return Err(invalid(
                "parameter_format",
                format!(
                    "parameter_format is {declared:?} but the text uses {found:?} placeholders"
                ),
            ));
        }
    }
    Ok(template)
}

/// Adds one component (`components[i]`) to `parts`.
fn parse_component(
    value: &Value,
    field: &str,
    category: TemplateCategory,
    parts: &mut Parts,
) -> Result<(), CoreError> {
    let kind = match value.get("type") {
        Some(Value::String(kind)) => kind.to_ascii_uppercase(),
        _ => {
            return Err(invalid(
                format!("{field}.type"),
                "a component needs a \"type\"",
            ))
        }
    };
    let component = MetaComponent::deserialize(value).map_err(|e| {
        invalid(
            field.to_owned(),
            format!("the {kind} component is malformed: {e}"),
        )
    })?;
    let example = component.example.as_ref();
    match kind.as_str() {
        "HEADER" => {
            if parts.header.is_some() {
                return Err(invalid(field, "a template has at most one header"));
            }
            parts.header = parse_header(&component, field, parts)?;
        }
        "BODY" => {
            if parts.body.is_some() {
                return Err(invalid(field, "a template has one body"));
            }
            let text = match (&component.text, category) {
                (Some(text), _) => text.clone(),
                // Meta's preset authentication text, when a listing leaves it out.
                (None, TemplateCategory::Authentication) => {
                    let mut text = "*{{1}}* is your verification code.".to_owned();
                    if component.add_security_recommendation == Some(true) {
                        text.push_str(" For your security, do not share this code.");
                    }
                    text
                }
                (None, _) => {
                    return Err(invalid(
                        format!("{field}.text"),
                        "a BODY component needs text",
                    ))
                }
            };
            if let Some(example) = example {
                for (i, value) in example.body_text.first().into_iter().flatten().enumerate() {
                    parts.examples.insert((i + 1).to_string(), value.clone());
                }
                for param in &example.body_text_named_params {
                    parts
                        .examples
                        .insert(param.param_name.clone(), param.example.clone());
                }
            }
            parts.body = Some(text);
        }
        "FOOTER" => {
            parts.footer = Some(match (&component.text, component.code_expiration_minutes) {
                (Some(text), _) => text.clone(),
                (None, Some(minutes)) => format!("This code expires in {minutes} minutes."),
                (None, None) => {
                    return Err(invalid(
                        format!("{field}.text"),
                        "a FOOTER component needs text",
                    ))
                }
            });
        }
        "BUTTONS" => {
            for (b, button) in component.buttons.iter().enumerate() {
                let button_field = format!("{field}.buttons[{b}]");
                let Some((parsed, example)) = parse_button(button, &button_field, category, parts)?
                else {
                    continue;
                };
                if let Some(example) = example {
                    let key = match &parsed {
                        TemplateButton::CopyCode { .. } => COUPON_CODE_KEY.to_owned(),
                        _ => format!("button_{}", parts.buttons.len()),
                    };
                    parts.examples.entry(key).or_insert(example);
                }
                parts.buttons.push(parsed);
            }
        }
        "CAROUSEL" => parts.unsupported(
            UnsupportedKind::Carousel,
            &format!("{field}.type"),
            "carousel templates (cards) are not supported",
        ),
        "LIMITED_TIME_OFFER" => parts.unsupported(
            UnsupportedKind::LimitedTimeOffer,
            &format!("{field}.type"),
            "limited-time offer templates are not supported",
        ),
        other => parts.unsupported(
            UnsupportedKind::Other,
            &format!("{field}.type"),
            format!("the component type \"{other}\" is not supported"),
        ),
    }
    Ok(())
}

/// The header of `component`; `None` (and the template marked unsupported) for a format
/// Engage does not send.
fn parse_header(
    component: &MetaComponent,
    field: &str,
    parts: &mut Parts,
) -> Result<Option<TemplateHeader>, CoreError> {
    let example = component.example.as_ref();
    let handle = example.and_then(|e| e.header_handle.first().cloned());
    let format = component
        .format
        .as_deref()
        .unwrap_or("TEXT")
        .to_ascii_uppercase();
    Ok(Some(match format.as_str() {
        "TEXT" => {
            let text = component
                .text
                .clone()
                .ok_or_else(|| invalid(format!("{field}.text"), "a TEXT header needs text"))?;
            if let Some(example) = example {
                if let Some(value) = example.header_text.first() {
                    parts.examples.insert("header_1".to_owned(), value.clone());
                }
                for param in &example.header_text_named_params {
                    parts
                        .examples
                        .insert(param.param_name.clone(), param.example.clone());
                }
            }
            TemplateHeader::Text { text }
        }
        "IMAGE" | "VIDEO" | "DOCUMENT" => {
            if let Some(url) = &handle {
                parts
                    .examples
                    .insert(HEADER_URL_KEY.to_owned(), url.clone());
            }
            match format.as_str() {
                "IMAGE" => TemplateHeader::Image {
                    example_url: handle,
                },
                "VIDEO" => TemplateHeader::Video {
                    example_url: handle,
                },
                _ => TemplateHeader::Document {
                    example_url: handle,
                },
            }
        }
        "LOCATION" => TemplateHeader::Location,
        other => {
            parts.unsupported(
                UnsupportedKind::Other,
                &format!("{field}.format"),
                format!("the header format \"{other}\" is not supported"),
            );
            return Ok(None);
        }
    }))
}

/// `otp_type=ONE_TAP` in the URL Meta lists for an authentication template's button.
fn otp_type_of_url(url: &str) -> Option<OtpType> {
    let lower = url.to_ascii_lowercase();
    if !lower.contains("otp_type=") && !lower.contains("/otp/") {
        return None;
    }
    Some(if lower.contains("otp_type=one_tap") {
        OtpType::OneTap
    } else if lower.contains("otp_type=zero_tap") {
        OtpType::ZeroTap
    } else {
        OtpType::CopyCode
    })
}

fn parse_otp_type(text: Option<&str>, field: &str) -> Result<OtpType, CoreError> {
    match text.map(str::to_ascii_uppercase).as_deref() {
        None | Some("COPY_CODE") => Ok(OtpType::CopyCode),
        Some("ONE_TAP") => Ok(OtpType::OneTap),
        Some("ZERO_TAP") => Ok(OtpType::ZeroTap),
        Some(other) => Err(invalid(
            format!("{field}.otp_type"),
            format!("unknown otp_type \"{other}\" (COPY_CODE, ONE_TAP or ZERO_TAP)"),
        )),
    }
}

/// A button and its example; `None` (and the template marked unsupported) for a button
/// type Engage does not send.
fn parse_button(
    value: &Value,
    field: &str,
    category: TemplateCategory,
    parts: &mut Parts,
) -> Result<Option<(TemplateButton, Option<String>)>, CoreError> {
    let kind = match value.get("type") {
        Some(Value::String(kind)) => kind.to_ascii_uppercase(),
        _ => {
            return Err(invalid(
                format!("{field}.type"),
                "a button needs a \"type\"",
            ))
        }
    };
    let button = MetaButton::deserialize(value).map_err(|e| {
        invalid(
            field.to_owned(),
            format!("the {kind} button is malformed: {e}"),
        )
    })?;
    let text = || {
        button
            .text
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                invalid(
                    format!("{field}.text"),
                    format!("a {kind} button needs text"),
                )
            })
    };
    let example = button
        .example
        .as_ref()
        .and_then(OneOrMany::first)
        .map(str::to_owned);
    let auth = category == TemplateCategory::Authentication;
    let otp = |otp_type| TemplateButton::Otp {
        text: button
            .text
            .clone()
            .unwrap_or_else(|| "Copy code".to_owned()),
        otp_type,
    };
    let unsupported = |kind, what: &str| (kind, format!("{what} buttons are not supported"));
    let refused = match kind.as_str() {
        "QUICK_REPLY" => return Ok(Some((TemplateButton::QuickReply { text: text()? }, None))),
        "URL" => {
            let url = button
                .url
                .clone()
                .ok_or_else(|| invalid(format!("{field}.url"), "a URL button needs a url"))?;
            // Meta lists an authentication template's OTP button as a URL ending in otp{{1}}.
            if let (true, Some(otp_type)) = (auth, otp_type_of_url(&url)) {
                return Ok(Some((otp(otp_type), None)));
            }
            return Ok(Some((TemplateButton::Url { text: text()?, url }, example)));
        }
        "PHONE_NUMBER" => {
            let phone_number = button.phone_number.clone().ok_or_else(|| {
                invalid(
                    format!("{field}.phone_number"),
                    "a PHONE_NUMBER button needs a phone_number",
                )
            })?;
            let text = text()?;
            return Ok(Some((
                TemplateButton::PhoneNumber { text, phone_number },
                None,
            )));
        }
        "COPY_CODE" if auth => return Ok(Some((otp(OtpType::CopyCode), None))),
        "COPY_CODE" => {
            let text = button
                .text
                .clone()
                .unwrap_or_else(|| "Copy offer code".to_owned());
            return Ok(Some((TemplateButton::CopyCode { text }, example)));
        }
        "OTP" if auth => {
            let otp_type = parse_otp_type(button.otp_type.as_deref(), field)?;
            return Ok(Some((otp(otp_type), None)));
        }
        "OTP" => {
            return Err(invalid(
                format!("{field}.type"),
                "an OTP button belongs to AUTHENTICATION templates only",
            ))
        }
        "CATALOG" => unsupported(UnsupportedKind::Catalog, "catalog"),
        "MPM" => unsupported(UnsupportedKind::MultiProduct, "multi-product (MPM)"),
        "FLOW" => unsupported(UnsupportedKind::Flow, "flow"),
        other => (
            UnsupportedKind::Other,
            format!("the button type \"{other}\" is not supported"),
        ),
    };
    parts.unsupported(refused.0, &format!("{field}.type"), refused.1);
    Ok(None)
}
