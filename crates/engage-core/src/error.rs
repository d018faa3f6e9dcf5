//! [`CoreError`]: every refusal of the domain rules, with a stable snake_case
//! [`code`](CoreError::code), a human message (`Display`) and the [`field`](CoreError::field)
//! it concerns. It converts into the wire [`ApiError`].

use thiserror::Error;

use crate::wire::{ApiError, MessageStatus};

/// Why a phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneProblem {
    /// Nothing but whitespace.
    Empty,
    /// The number must start with `+` and the country code (E.164).
    MissingCountryCode,
    /// Letters or symbols other than digits, spaces, `-`, `.`, `(` and `)`.
    InvalidCharacters,
    /// Extensions (`ext. 12`) cannot receive WhatsApp messages.
    HasExtension,
    /// Parsed, but not a number that exists in the numbering plan of its country.
    NotValid,
}

impl PhoneProblem {
    fn describe(self) -> &'static str {
        match self {
            PhoneProblem::Empty => "a phone number is required",
            PhoneProblem::MissingCountryCode => {
                "the phone number must start with + and the country code, e.g. +5511987654321"
            }
            PhoneProblem::InvalidCharacters => {
                "the phone number may contain only digits, spaces, dashes, dots and parentheses after the +"
            }
            PhoneProblem::HasExtension => "phone numbers with an extension cannot receive WhatsApp messages",
            PhoneProblem::NotValid => "this is not a valid phone number for its country",
        }
    }
}

/// Every refusal of engage-core's rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    // ------------------------------------------------------------ phone numbers
    #[error("{}", .problem.describe())]
    InvalidPhoneNumber {
        field: String,
        problem: PhoneProblem,
    },

    // ------------------------------------------------------------ campaign names
    #[error("the campaign name is required")]
    CampaignNameRequired,
    #[error("the campaign name has {length} characters; at most {max} are allowed")]
    CampaignNameTooLong { length: usize, max: usize },
    #[error("the campaign name must not contain control characters")]
    CampaignNameInvalid,

    // ------------------------------------------------------------ passwords (team)
    #[error("the password needs at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("the password holds at most {max} characters")]
    PasswordTooLong { max: usize },
    #[error("this password is one of the most common ones and easy to guess; choose another")]
    PasswordTooCommon,

    // ------------------------------------------------------------ template definitions
    /// A template (Meta JSON or stored definition) that cannot be used.
    #[error("invalid template: {reason}")]
    InvalidTemplate { field: String, reason: String },
    /// The Meta `message_templates` document is not JSON of the expected shape.
    #[error("the template file is not valid message_templates JSON: {reason}")]
    InvalidTemplateJson { reason: String },

    // ------------------------------------------------------------ send requests
    #[error("the variable \"{key}\" is required by this template")]
    MissingVariable { key: String },
    #[error("the template has no variable \"{key}\"")]
    UnknownVariable { key: String },
    #[error("the variable \"{key}\" must not be empty")]
    EmptyVariable { key: String },
    #[error("the variable \"{key}\" has {length} characters; WhatsApp accepts at most {max}")]
    VariableTooLong {
        key: String,
        length: usize,
        max: usize,
    },
    #[error("the variable \"{key}\" {reason}")]
    InvalidVariableValue { key: String, reason: &'static str },
    #[error("the rendered message body has {length} characters; WhatsApp accepts at most {max}")]
    RenderedBodyTooLong { length: usize, max: usize },
    #[error("the rendered header has {length} characters; WhatsApp accepts at most {max}")]
    RenderedHeaderTooLong {
        key: String,
        length: usize,
        max: usize,
    },

    // ------------------------------------------------------------ frequency caps
    #[error("{reason}")]
    InvalidFrequencyCap { field: &'static str, reason: String },

    // ------------------------------------------------------------ statuses
    #[error("a message cannot go from {from:?} to {to:?}")]
    InvalidStatusTransition {
        from: MessageStatus,
        to: MessageStatus,
    },
}

impl CoreError {
    /// Stable snake_case code, for clients to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidPhoneNumber { .. } => "invalid_phone_number",
            CoreError::CampaignNameRequired => "campaign_name_required",
            CoreError::CampaignNameTooLong { .. } => "campaign_name_too_long",
            CoreError::CampaignNameInvalid => "campaign_name_invalid",
            CoreError::PasswordTooShort { .. } => "password_too_short",
            CoreError::PasswordTooLong { .. } => "password_too_long",
            CoreError::PasswordTooCommon => "password_too_common",
            CoreError::InvalidTemplate { .. } => "invalid_template",
            CoreError::InvalidTemplateJson { .. } => "invalid_template_json",
            CoreError::MissingVariable { .. } => "missing_variable",
            CoreError::UnknownVariable { .. } => "unknown_variable",
            CoreError::EmptyVariable { .. } => "empty_variable",
            CoreError::VariableTooLong { .. } => "variable_too_long",
            CoreError::InvalidVariableValue { .. } => "invalid_variable_value",
            CoreError::RenderedBodyTooLong { .. } => "rendered_body_too_long",
            CoreError::RenderedHeaderTooLong { .. } => "rendered_header_too_long",
            CoreError::InvalidFrequencyCap { .. } => "invalid_frequency_cap",
            CoreError::InvalidStatusTransition { .. } => "invalid_status_transition",
        }
    }

    /// The JSON path of the input the error concerns (`to`, `name`, `variables.2`, ...).
    pub fn field(&self) -> Option<String> {
        match self {
            CoreError::InvalidPhoneNumber { field, .. } => Some(field.clone()),
            CoreError::CampaignNameRequired
            | CoreError::CampaignNameTooLong { .. }
            | CoreError::CampaignNameInvalid => Some("name".to_owned()),
            CoreError::PasswordTooShort { .. }
            | CoreError::PasswordTooLong { .. }
            | CoreError::PasswordTooCommon => Some("password".to_owned()),
            CoreError::InvalidTemplate { field, .. } => Some(field.clone()),
            CoreError::MissingVariable { key }
            | CoreError::UnknownVariable { key }
            | CoreError::EmptyVariable { key }
            | CoreError::VariableTooLong { key, .. }
            | CoreError::InvalidVariableValue { key, .. }
            | CoreError::RenderedHeaderTooLong { key, .. } => Some(format!("variables.{key}")),
            CoreError::RenderedBodyTooLong { .. } => Some("variables".to_owned()),
            CoreError::InvalidFrequencyCap { field, .. } => Some((*field).to_owned()),
            CoreError::InvalidTemplateJson { .. } | CoreError::InvalidStatusTransition { .. } => {
                None
            }
        }
    }

    /// The same error, reported against another input field. Only phone-number errors carry
    /// a caller-chosen field (`to`, `phone`, `messages[3].to`); other errors are returned as is.
    #[must_use]
    pub fn at_field(self, new_field: impl Into<String>) -> Self {
        match self {
            CoreError::InvalidPhoneNumber { problem, .. } => CoreError::InvalidPhoneNumber {
                field: new_field.into(),
                problem,
            },
            other => other,
        }
    }

    /// The wire form `{code, message, field}`.
    pub fn to_api_error(&self) -> ApiError {
        ApiError {
            code: self.code().to_owned(),
            message: self.to_string(),
            field: self.field(),
            retry_at: None,
        }
    }
}

impl From<&CoreError> for ApiError {
    fn from(error: &CoreError) -> Self {
        error.to_api_error()
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        error.to_api_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_errors_name_the_variable_field() {
        let api: ApiError = CoreError::MissingVariable { key: "2".into() }.into();
        assert_eq!(api.code, "missing_variable");
        assert_eq!(api.field.as_deref(), Some("variables.2"));
        assert!(api.message.contains("\"2\""));
    }

    #[test]
    fn phone_errors_can_be_moved_to_another_field() {
        let error = CoreError::InvalidPhoneNumber {
            field: "phone".into(),
            problem: PhoneProblem::NotValid,
        }
        .at_field("messages[3].to");
        assert_eq!(error.code(), "invalid_phone_number");
        assert_eq!(error.field().as_deref(), Some("messages[3].to"));
    }

    #[test]
    fn campaign_name_errors_concern_the_name_field() {
        let api = CoreError::CampaignNameTooLong {
            length: 121,
            max: 120,
        }
        .to_api_error();
        assert_eq!(api.code, "campaign_name_too_long");
        assert_eq!(api.field.as_deref(), Some("name"));
        assert!(api.message.contains("121"));
    }
}
