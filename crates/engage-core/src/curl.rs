//! The bash/zsh renderer of [`crate::snippet`]: the two curls the desktop app copies for the
//! technical team, quoted for POSIX shells (bash, zsh, sh): every value is one single-quoted
//! word, so quotes, accents, emoji, `$` and backslashes reach curl exactly as written.

use crate::snippet::{Auth, Body, Call};
use crate::wire::SendMessageRequest;

/// Environment variable the send curl reads the bearer token from.
pub const TOKEN_ENV_VAR: &str = "ENGAGE_TOKEN";

/// What [`mask_secret`] shows after the visible prefix.
pub const MASK: &str = "••••••••";

/// How many leading characters of a secret stay visible on screen.
const VISIBLE_PREFIX: usize = 4;

/// Quotes `value` as one POSIX shell word: `'...'`, with each `'` written as `'\''`.
/// Inside single quotes a POSIX shell interprets nothing, so the word is `value` exactly.
pub fn shell_quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// One request of [`crate::snippet`] as a curl for bash/zsh: every value one single-quoted
/// word; the bearer token's variable expanded inside a double-quoted header.
pub fn render(call: &Call<'_>) -> String {
    let mut lines = vec![format!("curl -sS -X POST {}", shell_quote(call.url))];
    match call.auth {
        Auth::Basic { user, password } => {
            lines.push(format!("-u {}", shell_quote(&format!("{user}:{password}"))));
        }
        Auth::BearerFromEnv { variable } => {
            lines.push(format!("-H \"Authorization: Bearer ${variable}\""));
        }
    }
    lines.push(format!(
        "-H {}",
        shell_quote(&format!("Content-Type: {}", call.body.content_type()))
    ));
    let body = match call.body {
        Body::Form(fields) => Body::form_text(fields),
        // Serialising a struct of strings and a string map cannot fail.
        Body::Json(request) => serde_json::to_string_pretty(request).unwrap_or_default(),
    };
    lines.push(format!("-d {}", shell_quote(&body)));
    lines.join(" \\\n  ")
}

/// `curl` that exchanges the API client's credentials for a bearer token (OAuth2 client
/// credentials, HTTP Basic authentication); prints the JSON token response.
pub fn token_curl(token_url: &str, client_id: &str, client_secret: &str) -> String {
    render(&Call {
        url: token_url,
        auth: Auth::Basic {
            user: client_id,
            password: client_secret,
        },
        body: Body::Form(&[("grant_type", "client_credentials")]),
    })
}

/// [`token_curl`] with the secret masked by [`mask_secret`], for display only.
pub fn masked_token_curl(token_url: &str, client_id: &str, client_secret: &str) -> String {
    token_curl(token_url, client_id, &mask_secret(client_secret))
}

/// `curl` that sends the campaign's message to one recipient, with the token taken from
/// `$ENGAGE_TOKEN` (export it from the token curl's `access_token`). The body is
/// pretty-printed JSON inside single quotes.
pub fn send_curl(send_url: &str, request: &SendMessageRequest) -> String {
    render(&Call {
        url: send_url,
        auth: Auth::BearerFromEnv {
            variable: TOKEN_ENV_VAR,
        },
        body: Body::Json(request),
    })
}

/// Masks a secret for the screen: its first 4 characters then `••••••••` (the whole
/// secret is masked when it is 8 characters or shorter, so little of it shows).
pub fn mask_secret(secret: &str) -> String {
    let length = secret.chars().count();
    if length <= 2 * VISIBLE_PREFIX {
        return MASK.to_owned();
    }
    let prefix: String = secret.chars().take(VISIBLE_PREFIX).collect();
    format!("{prefix}{MASK}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// A POSIX shell's word splitting and quote removal for the subset the builders emit:
    /// unquoted text, '...' words, "..." words (no escapes used inside), `\` + newline
    /// continuations and `\'`. Returns the words, or None when quoting is unbalanced.
    fn shell_words(line: &str) -> Option<Vec<String>> {
        let mut words = Vec::new();
        let mut current: Option<String> = None;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    let word = current.get_or_insert_with(String::new);
                    loop {
                        match chars.next()? {
                            '\'' => break,
                            other => word.push(other),
                        }
                    }
                }
                '"' => {
                    let word = current.get_or_insert_with(String::new);
                    loop {
                        match chars.next()? {
                            '"' => break,
                            '\\' | '`' => return None,
                            other => word.push(other),
                        }
                    }
                }
                '\\' => match chars.next()? {
                    '\n' => {}
                    other => current.get_or_insert_with(String::new).push(other),
                },
                ' ' | '\n' | '\t' => {
                    if let Some(word) = current.take() {
                        words.push(word);
                    }
                }
                '$' | '`' | '*' | '?' | '[' | '~' | '&' | ';' | '|' | '<' | '>' | '(' | ')' => {
                    return None
                }
                other => current.get_or_insert_with(String::new).push(other),
            }
        }
        if let Some(word) = current {
            words.push(word);
        }
        Some(words)
    }

    #[test]
    fn quoting_a_plain_value_wraps_it_in_single_quotes() {
        assert_eq!(shell_quote("abc"), "'abc'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn single_quotes_are_closed_escaped_and_reopened() {
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_words(&shell_quote("it's")).unwrap(), vec!["it's"]);
    }

    #[test]
    fn token_curl_is_the_documented_command() {
        let curl = token_curl("https://api.example/oauth/token", "cli_123", "s3cr$t'x");
        assert_eq!(
            curl,
            "curl -sS -X POST 'https://api.example/oauth/token' \\\n  \
             -u 'cli_123:s3cr$t'\\''x' \\\n  \
             -H 'Content-Type: application/x-www-form-urlencoded' \\\n  \
             -d 'grant_type=client_credentials'"
        );
        assert_eq!(
            shell_words(&curl).unwrap(),
            vec![
                "curl",
                "-sS",
                "-X",
                "POST",
                "https://api.example/oauth/token",
                "-u",
                "cli_123:s3cr$t'x",
                "-H",
                "Content-Type: application/x-www-form-urlencoded",
                "-d",
                "grant_type=client_credentials",
            ]
        );
    }

    #[test]
    fn send_curl_carries_the_exact_json_body_and_the_token_variable() {
        let request = SendMessageRequest {
            to: "+5511987654321".into(),
            variables: BTreeMap::from([
                ("1".to_owned(), "Ana's \"café\" 🎉 $HOME `x` \\n".to_owned()),
                ("2".to_owned(), "R$ 2,50".to_owned()),
            ]),
        };
        let curl = send_curl("http://127.0.0.1:8787/v1/campaigns/abc/messages", &request);
        assert!(curl.contains("-H \"Authorization: Bearer $ENGAGE_TOKEN\""));
        // The only unquoted `$` is the token variable: check the rest word by word.
        let without_token = curl.replace("$ENGAGE_TOKEN", "TOKEN");
        let words = shell_words(&without_token).unwrap();
        assert_eq!(words[4], "http://127.0.0.1:8787/v1/campaigns/abc/messages");
        assert_eq!(words[6], "Authorization: Bearer TOKEN");
        assert_eq!(words[8], "Content-Type: application/json");
        assert_eq!(words[9], "-d");
        let body: SendMessageRequest = serde_json::from_str(&words[10]).unwrap();
        assert_eq!(body, request);
        assert_eq!(words.len(), 11);
    }

    #[test]
    fn secrets_show_only_their_first_four_characters() {
        assert_eq!(mask_secret("sk_live_abcdef123456"), "sk_l••••••••");
        assert_eq!(mask_secret("short"), MASK);
        assert_eq!(mask_secret(""), MASK);
        let masked = masked_token_curl("https://x/oauth/token", "cli", "sk_live_abcdef123456");
        assert!(masked.contains("-u 'cli:sk_l••••••••'"));
        assert!(!masked.contains("abcdef"));
    }

    proptest! {
        #[test]
        fn any_value_survives_quoting_as_one_word(value in any::<String>()) {
            // Also the empty value: `''` is one empty word.
            prop_assert_eq!(shell_words(&shell_quote(&value)).unwrap(), vec![value]);
        }

        #[test]
        fn any_credentials_survive_the_token_curl(
            id in "[A-Za-z0-9_-]{1,40}",
            secret in any::<String>(),
            url in "https?://[a-z0-9.:]{1,30}/oauth/token",
        ) {
            let words = shell_words(&token_curl(&url, &id, &secret)).unwrap();
            prop_assert_eq!(&words[4], &url);
            prop_assert_eq!(&words[6], &format!("{id}:{secret}"));
        }

        #[test]
        fn any_variables_survive_the_send_curl(
            variables in proptest::collection::btree_map("[a-z0-9_]{1,12}", any::<String>(), 0..5),
        ) {
            let request = SendMessageRequest { to: "+5511987654321".into(), variables };
            let curl = send_curl("https://api.example/v1/campaigns/x/messages", &request)
                .replacen("$ENGAGE_TOKEN", "TOKEN", 1);
            let words = shell_words(&curl).unwrap();
            let body: SendMessageRequest = serde_json::from_str(&words[10]).unwrap();
            prop_assert_eq!(body, request);
        }
    }
}
