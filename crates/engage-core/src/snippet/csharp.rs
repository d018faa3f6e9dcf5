//! C# (.NET 6+, top-level statements) with `HttpClient`.

use super::{Auth, Body, Call};

/// A C# regular string literal: `\\`, `\"`, `\n`, `\r`, `\t`, control characters as
/// `\uXXXX`; other characters as they are (C# source is UTF-8).
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => super::utf16_escape(c, &mut out),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A C# verbatim string `@"…"`: only `"` is doubled; newlines and backslashes are taken
/// as written.
pub fn verbatim(value: &str) -> String {
    format!("@\"{}\"", value.replace('"', "\"\""))
}

pub fn render(call: &Call<'_>) -> String {
    let mut out = String::from("using System.Net.Http.Headers;\nusing System.Text;\n\nusing var client = new HttpClient();\n");
    match call.auth {
        Auth::Basic { user, password } => out.push_str(&format!(
            "var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes({}));\nclient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(\"Basic\", credentials);\n",
            quote(&format!("{user}:{password}"))
        )),
        Auth::BearerFromEnv { variable } => out.push_str(&format!(
            "client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(\n    \"Bearer\", Environment.GetEnvironmentVariable({}));\n",
            quote(variable)
        )),
    }
    match call.body {
        Body::Form(fields) => {
            let fields = fields
                .iter()
                .map(|(name, value)| format!("    [{}] = {},\n", quote(name), quote(value)))
                .collect::<String>();
            out.push_str(&format!(
                "var content = new FormUrlEncodedContent(new Dictionary<string, string>\n{{\n{fields}}});\n"
            ));
        }
        Body::Json(request) => {
            // Serialising a struct of strings and a string map cannot fail.
            let json = serde_json::to_string_pretty(request).unwrap_or_default();
            out.push_str(&format!(
                "var json = {};\nvar content = new StringContent(json, Encoding.UTF8, {});\n",
                verbatim(&json),
                quote(call.body.content_type())
            ));
        }
    }
    out.push_str(&format!(
        "var response = await client.PostAsync({}, content);\nConsole.WriteLine(await response.Content.ReadAsStringAsync());\n",
        quote(call.url)
    ));
    out
}
