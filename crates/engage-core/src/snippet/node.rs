//! Node.js (18 or newer) with the built-in `fetch`.

use super::{Auth, Body, Call};

/// A JavaScript string literal: `"…"` with `\\`, `\"`, `\n`, `\r`, `\t`, and control
/// characters, U+2028 and U+2029 as `\uXXXX`.
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                super::utf16_escape(c, &mut out)
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render(call: &Call<'_>) -> String {
    let authorization = match call.auth {
        Auth::Basic { user, password } => format!(
            "\"Basic \" + Buffer.from({}).toString(\"base64\")",
            quote(&format!("{user}:{password}"))
        ),
        Auth::BearerFromEnv { variable } => {
            format!("\"Bearer \" + process.env[{}]", quote(variable))
        }
    };
    let body = match call.body {
        Body::Form(fields) => {
            let fields = fields
                .iter()
                .map(|(name, value)| format!("{}: {}", quote(name), quote(value)))
                .collect::<Vec<_>>()
                .join(", ");
            format!("new URLSearchParams({{ {fields} }})")
        }
        Body::Json(request) => {
            let mut body = String::from("JSON.stringify({\n");
            body.push_str(&format!("    to: {},\n", quote(&request.to)));
            if request.variables.is_empty() {
                body.push_str("    variables: {},\n");
            } else {
                body.push_str("    variables: {\n");
                for (key, value) in &request.variables {
                    body.push_str(&format!("      {}: {},\n", quote(key), quote(value)));
                }
                body.push_str("    },\n");
            }
            body.push_str("  })");
            body
        }
    };
    format!(
        "fetch({url}, {{\n  method: \"POST\",\n  headers: {{\n    Authorization: {authorization},\n    \"Content-Type\": {content_type},\n  }},\n  body: {body},\n}})\n  .then((response) => response.text())\n  .then((text) => console.log(text));\n",
        url = quote(call.url),
        content_type = quote(call.body.content_type()),
    )
}
