//! PHP with the cURL extension.

use super::{Auth, Body, Call};

/// A PHP double-quoted string: `\\`, `\"`, `\$` (no interpolation), `\n`, `\r`, `\t`, and
/// control characters as `\u{X}` (valid UTF-8, unlike `\xNN` above 0x7F).
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render(call: &Call<'_>) -> String {
    let mut options = vec!["    CURLOPT_POST => true,".to_owned()];
    let content_type = quote(&format!("Content-Type: {}", call.body.content_type()));
    match call.auth {
        Auth::Basic { user, password } => {
            options.push(format!(
                "    CURLOPT_USERPWD => {},",
                quote(&format!("{user}:{password}"))
            ));
            options.push(format!("    CURLOPT_HTTPHEADER => [{content_type}],"));
        }
        Auth::BearerFromEnv { variable } => options.push(format!(
            "    CURLOPT_HTTPHEADER => [\n        \"Authorization: Bearer \" . getenv({}),\n        {content_type},\n    ],",
            quote(variable)
        )),
    }
    match call.body {
        Body::Form(fields) => {
            let fields = fields
                .iter()
                .map(|(name, value)| format!("{} => {}", quote(name), quote(value)))
                .collect::<Vec<_>>()
                .join(", ");
            options.push(format!(
                "    CURLOPT_POSTFIELDS => http_build_query([{fields}]),"
            ));
        }
        Body::Json(request) => {
            let mut body = String::from("    CURLOPT_POSTFIELDS => json_encode([\n");
            body.push_str(&format!("        \"to\" => {},\n", quote(&request.to)));
            // `(object)` keeps `variables` a JSON object even when empty or keyed 0, 1, ….
            body.push_str("        \"variables\" => (object) [\n");
            for (key, value) in &request.variables {
                body.push_str(&format!(
                    "            {} => {},\n",
                    quote(key),
                    quote(value)
                ));
            }
            body.push_str("        ],\n    ]),");
            options.push(body);
        }
    }
    options.push("    CURLOPT_RETURNTRANSFER => true,".to_owned());
    format!(
        "<?php\n$curl = curl_init({url});\ncurl_setopt_array($curl, [\n{options}\n]);\n$response = curl_exec($curl);\nif ($response === false) {{\n    fwrite(STDERR, curl_error($curl) . PHP_EOL);\n    exit(1);\n}}\necho $response, PHP_EOL;\n",
        url = quote(call.url),
        options = options.join("\n"),
    )
}
