//! The integration code the technical team copies, in its own language.
//!
//! One description of the two requests ([`Integration`]: step 1 exchanges the client
//! credentials for a token, step 2 sends the campaign's message with it) is rendered into
//! every [`SnippetLang`] by the renderers below, each quoting strings its own way so that
//! quotes, backslashes, `$`, newlines, emoji and accents reach the server unchanged.
//! Credentials are an input ([`Credentials`]): live or test, real or masked for the screen.
//!
//! Every step is a program of its own, as the curls are: step 1 prints the token response
//! (PowerShell also sets `$env:ENGAGE_TOKEN`), step 2 reads the token from the environment
//! variable [`TOKEN_ENV_VAR`] and prints the server's answer.

mod csharp;
mod go;
mod java;
mod json;
mod node;
mod php;
mod python;
mod ruby;
mod windows;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::curl;
pub use crate::curl::{mask_secret, TOKEN_ENV_VAR};
use crate::snippet_lang::SnippetLang;
use crate::wire::{CampaignIntegration, SendMessageRequest};

/// An API client's credentials as a snippet shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl Credentials {
    /// The same client with its secret masked by [`mask_secret`], for the screen.
    pub fn masked(&self) -> Credentials {
        Credentials {
            client_id: self.client_id.clone(),
            client_secret: mask_secret(&self.client_secret),
        }
    }
}

/// The two requests of a campaign's integration: the one description every language
/// renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// Absolute URL of `POST /oauth/token`.
    pub token_url: String,
    /// Absolute URL of `POST /v1/campaigns/{id}/messages`.
    pub send_url: String,
    pub credentials: Credentials,
    /// The body of step 2: the recipient and the template's variables.
    pub body: SendMessageRequest,
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth<'a> {
    /// HTTP Basic with the client id and secret (step 1).
    Basic { user: &'a str, password: &'a str },
    /// `Authorization: Bearer <token>`, the token read from an environment variable
    /// (step 2).
    BearerFromEnv { variable: &'static str },
}

/// The body of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// `application/x-www-form-urlencoded` fields (names and values are plain ASCII words).
    Form(&'a [(&'static str, &'static str)]),
    /// `application/json`: the send request.
    Json(&'a SendMessageRequest),
}

impl Body<'_> {
    /// The `Content-Type` of this body.
    pub fn content_type(&self) -> &'static str {
        match self {
            Body::Form(_) => "application/x-www-form-urlencoded",
            Body::Json(_) => "application/json",
        }
    }

    /// The form fields as `name=value&…` (fields are plain words: nothing to escape).
    pub fn form_text(fields: &[(&str, &str)]) -> String {
        fields
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One `POST` as every renderer receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call<'a> {
    pub url: &'a str,
    pub auth: Auth<'a>,
    pub body: Body<'a>,
}

/// The form of step 1 (OAuth2 client credentials).
const TOKEN_FORM: &[(&str, &str)] = &[("grant_type", "client_credentials")];

impl Integration {
    /// The requests of `GET /v1/campaigns/{id}/integration`'s answer, with its credentials
    /// and its example body.
    pub fn from_wire(integration: &CampaignIntegration) -> Integration {
        Integration {
            token_url: integration.token_url.clone(),
            send_url: integration.send_url.clone(),
            credentials: Credentials {
                client_id: integration.client_id.clone(),
                client_secret: integration.client_secret.clone(),
            },
            body: integration.example_request.clone(),
        }
    }

    /// The same integration with the secret masked, for the screen and the staff API.
    pub fn masked(&self) -> Integration {
        Integration {
            credentials: self.credentials.masked(),
            ..self.clone()
        }
    }

    /// Step 1: the client credentials for a bearer token.
    pub fn token_call(&self) -> Call<'_> {
        Call {
            url: &self.token_url,
            auth: Auth::Basic {
                user: &self.credentials.client_id,
                password: &self.credentials.client_secret,
            },
            body: Body::Form(TOKEN_FORM),
        }
    }

    /// Step 2: the campaign's message, with the token of step 1.
    pub fn send_call(&self) -> Call<'_> {
        Call {
            url: &self.send_url,
            auth: Auth::BearerFromEnv {
                variable: TOKEN_ENV_VAR,
            },
            body: Body::Json(&self.body),
        }
    }

    /// Both steps in `lang`.
    pub fn render(&self, lang: SnippetLang) -> Snippet {
        Snippet {
            lang,
            token: render(lang, &self.token_call()),
            send: render(lang, &self.send_call()),
        }
    }
}

/// One request as code in `lang`.
pub fn render(lang: SnippetLang, call: &Call<'_>) -> String {
    match lang {
        SnippetLang::CurlBash => curl::render(call),
        SnippetLang::PowerShell => windows::power_shell(call),
        SnippetLang::CurlCmd => windows::curl_cmd(call),
        SnippetLang::Python => python::render(call),
        SnippetLang::Node => node::render(call),
        SnippetLang::Php => php::render(call),
        SnippetLang::Java => java::render(call),
        SnippetLang::CSharp => csharp::render(call),
        SnippetLang::Go => go::render(call),
        SnippetLang::Ruby => ruby::render(call),
    }
}

/// The two steps of a campaign's integration in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Snippet {
    pub lang: SnippetLang,
    /// Step 1: exchanges the client credentials for a token and prints the answer.
    pub token: String,
    /// Step 2: sends the message with the token from `$ENGAGE_TOKEN` and prints the answer.
    pub send: String,
}

/// A language as the app's picker lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct SnippetLangOption {
    pub lang: SnippetLang,
    /// The name people know it by (not translated).
    pub label: String,
}

/// Every language with its label, in the picker's order.
pub fn lang_options() -> Vec<SnippetLangOption> {
    SnippetLang::ALL
        .into_iter()
        .map(|lang| SnippetLangOption {
            lang,
            label: lang.label().to_owned(),
        })
        .collect()
}

/// Escapes `c` as `\uXXXX` sequences, one per UTF-16 unit (JSON, Java and C# agree on
/// this form; characters outside the BMP become a surrogate pair).
pub(crate) fn utf16_escape(c: char, out: &mut String) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{unit:04x}"));
    }
}

#[cfg(test)]
mod tests;
