//! Ruby with `net/http`.

use super::{Auth, Body, Call};

/// A Ruby double-quoted string: `\\`, `\"`, `\#` (no interpolation), `\n`, `\r`, `\t`, and
/// control characters as `\u{X}`.
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '#' => out.push_str("\\#"),
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
    let mut out = String::new();
    if matches!(call.body, Body::Json(_)) {
        out.push_str("require \"json\"\n");
    }
    out.push_str("require \"net/http\"\n\n");
    out.push_str(&format!(
        "uri = URI({})\nrequest = Net::HTTP::Post.new(uri)\n",
        quote(call.url)
    ));
    match call.auth {
        Auth::Basic { user, password } => out.push_str(&format!(
            "request.basic_auth({}, {})\n",
            quote(user),
            quote(password)
        )),
        Auth::BearerFromEnv { variable } => out.push_str(&format!(
            "request[\"Authorization\"] = \"Bearer \" + ENV.fetch({})\n",
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
            out.push_str(&format!("request.set_form_data({fields})\n"));
        }
        Body::Json(request) => {
            out.push_str(&format!(
                "request[\"Content-Type\"] = {}\n",
                quote(call.body.content_type())
            ));
            out.push_str("request.body = JSON.generate({\n");
            out.push_str(&format!("  \"to\" => {},\n", quote(&request.to)));
            if request.variables.is_empty() {
                out.push_str("  \"variables\" => {},\n");
            } else {
                out.push_str("  \"variables\" => {\n");
                for (key, value) in &request.variables {
                    out.push_str(&format!("    {} => {},\n", quote(key), quote(value)));
                }
                out.push_str("  },\n");
            }
            out.push_str("})\n");
        }
    }
    out.push_str(
        "response = Net::HTTP.start(uri.hostname, uri.port, use_ssl: uri.scheme == \"https\") do |http|\n  http.request(request)\nend\nputs response.body\n",
    );
    out
}
