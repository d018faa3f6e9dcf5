//! [`WhatsAppError`]: failures of the whatsapp_cloud operations (sender set-up, sync).

use crate::crypto::CryptoError;
use crate::store::StoreError;

use super::client::GraphError;

#[derive(Debug, thiserror::Error)]
pub enum WhatsAppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("WhatsApp Cloud API: {}", .0.detail())]
    Graph(#[from] GraphError),
    #[error("the stored access token cannot be decrypted with this server's secret key")]
    Crypto(#[from] CryptoError),
    #[error("invalid {field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("the phone number id {phone_number_id} is already configured for a sender")]
    PhoneNumberIdTaken { phone_number_id: String },
    #[error("the workspace has no whatsapp_cloud sender to sync from; create one with its WhatsApp Business Account id and access token first")]
    NoCloudSender,
}

impl WhatsAppError {
    /// Stable snake_case code.
    pub fn code(&self) -> String {
        match self {
            WhatsAppError::Store(StoreError::SenderPhoneTaken) => "sender_phone_taken".to_owned(),
            WhatsAppError::Store(_) => "database_error".to_owned(),
            WhatsAppError::Graph(error) => error.code(),
            WhatsAppError::Crypto(_) => "crypto_error".to_owned(),
            WhatsAppError::InvalidInput { .. } => "invalid_input".to_owned(),
            WhatsAppError::PhoneNumberIdTaken { .. } => "phone_number_id_taken".to_owned(),
            WhatsAppError::NoCloudSender => "no_whatsapp_sender".to_owned(),
        }
    }

    /// The code as a `&'static str` (Meta's errors all as `whatsapp_api_error`; the message
    /// carries Meta's code).
    pub fn static_code(&self) -> &'static str {
        match self {
            WhatsAppError::Store(StoreError::SenderPhoneTaken) => "sender_phone_taken",
            WhatsAppError::Store(_) => "database_error",
            WhatsAppError::Graph(_) => "whatsapp_api_error",
            WhatsAppError::Crypto(_) => "crypto_error",
            WhatsAppError::InvalidInput { .. } => "invalid_input",
            WhatsAppError::PhoneNumberIdTaken { .. } => "phone_number_id_taken",
            WhatsAppError::NoCloudSender => "no_whatsapp_sender",
        }
    }

    /// The input field concerned, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            WhatsAppError::InvalidInput { field, .. } => Some(field),
            WhatsAppError::PhoneNumberIdTaken { .. } => Some("phone_number_id"),
            WhatsAppError::Store(StoreError::SenderPhoneTaken) => Some("phone"),
            _ => None,
        }
    }
}
