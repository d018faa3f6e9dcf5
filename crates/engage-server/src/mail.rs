//! Outgoing email (invitations and password resets) over SMTP with `lettre`, when
//! `ENGAGE_SMTP_URL` is set. Without it nothing is emailed: the admin sends the message shown
//! in the app. A mail that cannot be sent is logged (without the URL, which may hold a
//! password) and reported as not emailed; the invitation stands.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Longest wait for the mail server (connect, each command).
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// What [`Mailer::check`] finds wrong with the settings.
#[derive(Debug, thiserror::Error)]
pub enum MailSettingsError {
    #[error("must be smtp://host[:port], smtp://host?tls=required or smtps://host[:port] ({0})")]
    Url(String),
    #[error("must be an address like `Engage <engage@example.com>` ({0})")]
    From(String),
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Checks the settings without connecting (what `ServerConfig::read` refuses).
    pub fn check(url: &str, from: &str) -> Result<(), MailSettingsError> {
        Mailer::new(url, from).map(drop)
    }

    pub fn new(url: &str, from: &str) -> Result<Mailer, MailSettingsError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|error| MailSettingsError::Url(error.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = from
            .trim()
            .parse::<Mailbox>()
            .map_err(|error| MailSettingsError::From(error.to_string()))?;
        Ok(Mailer { transport, from })
    }

    /// Sends a plain-text mail; `false` (logged) when it could not be sent.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> bool {
        let to = match to.parse::<Mailbox>() {
            Ok(to) => to,
            Err(error) => {
                tracing::warn!(%error, "cannot email an address the mail library refuses");
                return false;
            }
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body);
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(%error, "the invitation email could not be built");
                return false;
            }
        };
        match self.transport.send(message).await {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%error, "the invitation email was not sent");
                false
            }
        }
    }
}
