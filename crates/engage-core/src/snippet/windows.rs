//! Windows: PowerShell's `Invoke-RestMethod`, and `curl.exe` quoted for `cmd.exe`. The JSON
//! body is pure ASCII there (every other character a `\uXXXX` escape), so neither the
//! console's code page nor Windows PowerShell 5.1's default encoding can change it.

use super::{json, Auth, Body, Call};

/// A PowerShell single-quoted string: nothing inside is expanded; `'` (and the typographic
/// single quotes PowerShell also accepts as quotes) doubled.
pub fn ps_quote(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

pub fn power_shell(call: &Call<'_>) -> String {
    let mut out = String::new();
    let authorization = match call.auth {
        Auth::Basic { user, password } => {
            out.push_str(&format!(
                "$credentials = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes({}))\n",
                ps_quote(&format!("{user}:{password}"))
            ));
            "\"Basic $credentials\"".to_owned()
        }
        Auth::BearerFromEnv { variable } => format!("\"Bearer $env:{variable}\""),
    };
    let (content_type, body) = match call.body {
        Body::Form(fields) => {
            let fields = fields
                .iter()
                .map(|(name, value)| format!("{} = {}", ps_quote(name), ps_quote(value)))
                .collect::<Vec<_>>()
                .join("; ");
            (
                call.body.content_type().to_owned(),
                format!("@{{ {fields} }}"),
            )
        }
        Body::Json(request) => {
            // A single-quoted here-string: taken as written; no line of the body starts
            // with `'@` (each starts with a brace or spaces).
            let text = json::body(request, true, json::printable_ascii);
            out.push_str(&format!("$body = @'\n{text}\n'@\n"));
            (
                format!("{}; charset=utf-8", call.body.content_type()),
                "([Text.Encoding]::UTF8.GetBytes($body))".to_owned(),
            )
        }
    };
    let invoke = format!(
        "Invoke-RestMethod -Method Post -Uri {} `\n  -Headers @{{ Authorization = {authorization} }} `\n  -ContentType {} `\n  -Body {body}",
        ps_quote(call.url),
        ps_quote(&content_type),
    );
    match call.auth {
        Auth::Basic { .. } => out.push_str(&format!(
            "$response = {invoke}\n$env:{} = $response.access_token\n$response\n",
            super::TOKEN_ENV_VAR
        )),
        Auth::BearerFromEnv { .. } => {
            out.push_str(&invoke);
            out.push('\n');
        }
    }
    out
}

/// Characters a JSON string keeps as they are on a `cmd.exe` line: letters, digits, space
/// and punctuation that neither cmd (`% ^ & | < > ( ) !`) nor the C runtime's argument
/// parser (`"` `\`) treats specially.
pub(crate) fn cmd_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || " .,_:/+@=#~*?-[]{}'$;`".contains(c)
}

/// A `cmd.exe` argument: `"…"` with `"` written `\"` for the program's argument parser.
/// (Meant for URLs, ids, secrets and the ASCII JSON: no `%`, `^` or `!` left unescaped.)
pub fn cmd_quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\\\""))
}

pub fn curl_cmd(call: &Call<'_>) -> String {
    let mut lines = vec![format!("curl.exe -sS -X POST {}", cmd_quote(call.url))];
    match call.auth {
        Auth::Basic { user, password } => {
            lines.push(format!("-u {}", cmd_quote(&format!("{user}:{password}"))));
        }
        Auth::BearerFromEnv { variable } => {
            lines.push(format!("-H \"Authorization: Bearer %{variable}%\""));
        }
    }
    lines.push(format!(
        "-H {}",
        cmd_quote(&format!("Content-Type: {}", call.body.content_type()))
    ));
    let body = match call.body {
        Body::Form(fields) => Body::form_text(fields),
        Body::Json(request) => json::body(request, false, cmd_safe),
    };
    lines.push(format!("-d {}", cmd_quote(&body)));
    lines.join(" ^\n  ")
}
