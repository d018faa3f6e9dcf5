//! Java 11+ with `java.net.http.HttpClient` (runs as `java EngageToken.java`).

use super::{Auth, Body, Call};

/// A Java string literal in pure ASCII: `\\`, `\"`, `\n`, `\r`, `\t`, `\b`, `\f`, other
/// control characters as 3-digit octal escapes (a `\u000a` would end the line before the
/// compiler sees the string), every other non-ASCII character as `\uXXXX` (the source then
/// reads the same whatever the platform's default charset).
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\{:03o}", c as u32)),
            c if c.is_ascii() => out.push(c),
            c => super::utf16_escape(c, &mut out),
        }
    }
    out.push('"');
    out
}

pub fn render(call: &Call<'_>) -> String {
    let (class, mut setup, authorization) = match call.auth {
        Auth::Basic { user, password } => (
            "EngageToken",
            format!(
                "        String credentials = Base64.getEncoder()\n            .encodeToString({}.getBytes(StandardCharsets.UTF_8));\n",
                quote(&format!("{user}:{password}"))
            ),
            "\"Basic \" + credentials".to_owned(),
        ),
        Auth::BearerFromEnv { variable } => (
            "EngageSend",
            String::new(),
            format!("\"Bearer \" + System.getenv({})", quote(variable)),
        ),
    };
    let body = match call.body {
        Body::Form(fields) => quote(&Body::form_text(fields)),
        Body::Json(request) => {
            // Serialising a struct of strings and a string map cannot fail.
            let json = serde_json::to_string_pretty(request).unwrap_or_default();
            let lines = json
                .lines()
                .map(|line| format!("            {}", quote(line)))
                .collect::<Vec<_>>()
                .join(",\n");
            setup.push_str(&format!(
                "        String json = String.join(\"\\n\",\n{lines});\n"
            ));
            "json".to_owned()
        }
    };
    let imports = [
        "java.net.URI",
        "java.net.http.HttpClient",
        "java.net.http.HttpRequest",
        "java.net.http.HttpResponse",
        "java.nio.charset.StandardCharsets",
    ]
    .iter()
    .chain(matches!(call.auth, Auth::Basic { .. }).then_some(&"java.util.Base64"))
    .map(|name| format!("import {name};\n"))
    .collect::<String>();
    format!(
        "{imports}\npublic class {class} {{\n    public static void main(String[] args) throws Exception {{\n{setup}        HttpRequest request = HttpRequest.newBuilder(URI.create({url}))\n            .header(\"Authorization\", {authorization})\n            .header(\"Content-Type\", {content_type})\n            .POST(HttpRequest.BodyPublishers.ofString({body}, StandardCharsets.UTF_8))\n            .build();\n        HttpResponse<String> response = HttpClient.newHttpClient()\n            .send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));\n        System.out.println(response.body());\n    }}\n}}\n",
        url = quote(call.url),
        content_type = quote(call.body.content_type()),
    )
}
