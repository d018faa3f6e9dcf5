//! Creating a whatsapp_cloud sender (CLI and staff API share the checks).

use engage_core::wire::SenderStatus;
use engage_core::PhoneNumber;
use uuid::Uuid;

use crate::crypto::SecretKey;
use crate::store::Store;

use super::WhatsAppError;
use crate::store::NewCloudSender;

/// Highest per-sender rate accepted (Meta's upgraded throughput is 1,000/s; more is allowed
/// for stand-ins and benchmarks).
pub const MAX_RATE_PER_SECOND: u32 = 10_000;

/// What a whatsapp_cloud sender is made of.
#[derive(Debug, Clone)]
pub struct CloudSenderInput {
    pub workspace_id: Uuid,
    pub name: String,
    /// E.164.
    pub phone: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub access_token: String,
    pub rate_per_second: Option<u32>,
    pub inactive: bool,
}

/// The blanks trimmed around ids and secrets: exactly `[ \t\n\r]`, the class the published
/// schema names (`\s` differs between regex engines, so the schema does not use it).
pub(crate) fn trim_blanks(value: &str) -> &str {
    value.trim_matches([' ', '\t', '\n', '\r'])
}

/// Non-empty, and only visible ASCII (`!`..=`~`): what Meta's secrets and tokens are made of.
fn is_visible_ascii(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| ('!'..='~').contains(&c))
}

fn invalid(field: &'static str, message: impl Into<String>) -> WhatsAppError {
    WhatsAppError::InvalidInput {
        field,
        message: message.into(),
    }
}

fn check_id(field: &'static str, value: &str) -> Result<(), WhatsAppError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            field,
            "a Meta id is digits only, e.g. 106540352242922",
        ));
    }
    Ok(())
}

/// Checks the input, seals the access token with `key` and stores the sender.
pub async fn create_cloud_sender(
    store: &Store,
    key: &SecretKey,
    input: CloudSenderInput,
) -> Result<Uuid, WhatsAppError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(invalid("name", "the sender name is required"));
    }
    let phone = PhoneNumber::parse_field(&input.phone, "phone")
        .map_err(|error| invalid("phone", error.to_string()))?;
    let phone_number_id = trim_blanks(&input.phone_number_id);
    check_id("phone_number_id", phone_number_id)?;
    let waba_id = trim_blanks(&input.waba_id);
    check_id("waba_id", waba_id)?;
    let token = trim_blanks(&input.access_token);
    if !is_visible_ascii(token) {
        return Err(invalid(
            "access_token",
            "the access token is required: visible ASCII characters, no spaces",
        ));
    }
    if let Some(rate) = input.rate_per_second {
        if rate == 0 || rate > MAX_RATE_PER_SECOND {
            return Err(invalid(
                "rate_per_second",
                format!("between 1 and {MAX_RATE_PER_SECOND} messages per second"),
            ));
        }
    }
    if store.phone_number_id_in_use(phone_number_id).await? {
        return Err(WhatsAppError::PhoneNumberIdTaken {
            phone_number_id: phone_number_id.to_owned(),
        });
    }
    let sealed = key.encrypt(token);
    Ok(store
        .create_cloud_sender(NewCloudSender {
            workspace_id: input.workspace_id,
            name,
            phone: phone.as_e164(),
            status: if input.inactive {
                SenderStatus::Inactive
            } else {
                SenderStatus::Active
            },
            phone_number_id,
            waba_id,
            access_token_encrypted: &sealed,
            rate_per_second: input.rate_per_second,
        })
        .await?)
}

/// Checks and stores the workspace's webhook app secret and verify token (sealed).
pub async fn set_webhook_settings(
    store: &Store,
    key: &SecretKey,
    workspace_id: Uuid,
    app_secret: &str,
    verify_token: &str,
) -> Result<(), WhatsAppError> {
    let (app_secret, verify_token) = (trim_blanks(app_secret), trim_blanks(verify_token));
    for (field, value) in [("app_secret", app_secret), ("verify_token", verify_token)] {
        if !is_visible_ascii(value) {
            return Err(invalid(
                field,
                "required: visible ASCII characters, no spaces",
            ));
        }
    }
    store
        .set_webhook_settings(
            workspace_id,
            &key.encrypt(app_secret),
            &key.encrypt(verify_token),
        )
        .await?;
    Ok(())
}
