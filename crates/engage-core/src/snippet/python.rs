//! Python with `requests`.

use super::{Auth, Body, Call};

/// A Python string literal (UTF-8 source): `"…"` with `\\`, `\"`, `\n`, `\r`, `\t` and
/// control characters as `\xNN`.
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render(call: &Call<'_>) -> String {
    let mut out = String::new();
    if matches!(call.auth, Auth::BearerFromEnv { .. }) {
        out.push_str("import os\n\n");
    }
    out.push_str("import requests\n\nresponse = requests.post(\n");
    out.push_str(&format!("    {},\n", quote(call.url)));
    match call.auth {
        Auth::Basic { user, password } => {
            out.push_str(&format!(
                "    auth=({}, {}),\n",
                quote(user),
                quote(password)
            ));
        }
        Auth::BearerFromEnv { variable } => out.push_str(&format!(
            "    headers={{\"Authorization\": \"Bearer \" + os.environ[{}]}},\n",
            quote(variable)
        )),
    }
    match call.body {
        Body::Form(fields) => {
            let fields = fields
                .iter()
                .map(|(name, value)| format!("{}: {}", quote(name), quote(value)))
                .collect::<Vec<_>>()
                .join(", ");
            out.push_str(&format!("    data={{{fields}}},\n"));
        }
        Body::Json(request) => {
            out.push_str("    json={\n");
            out.push_str(&format!("        \"to\": {},\n", quote(&request.to)));
            if request.variables.is_empty() {
                out.push_str("        \"variables\": {},\n");
            } else {
                out.push_str("        \"variables\": {\n");
                for (key, value) in &request.variables {
                    out.push_str(&format!("            {}: {},\n", quote(key), quote(value)));
                }
                out.push_str("        },\n");
            }
            out.push_str("    },\n");
        }
    }
    out.push_str(")\nprint(response.text)\n");
    out
}
