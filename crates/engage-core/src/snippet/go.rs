//! Go with `net/http`.

use super::{Auth, Body, Call};

/// A Go interpreted string literal: `\\`, `\"`, `\n`, `\r`, `\t`, and control characters
/// as `\uXXXX` (a `\xNN` above 0x7F would be a byte, not the character).
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const CHECK: &str = "\tif err != nil {\n\t\tpanic(err)\n\t}\n";

pub fn render(call: &Call<'_>) -> String {
    let (imports, body_setup, reader) = match call.body {
        Body::Form(fields) => {
            let fields = fields
                .iter()
                .map(|(name, value)| format!("{}: {{{}}}", quote(name), quote(value)))
                .collect::<Vec<_>>()
                .join(", ");
            (
                vec!["fmt", "io", "net/http", "net/url", "strings"],
                format!("\tform := url.Values{{{fields}}}\n"),
                "strings.NewReader(form.Encode())",
            )
        }
        Body::Json(request) => {
            let mut setup = String::from("\tbody, err := json.Marshal(map[string]any{\n");
            setup.push_str(&format!("\t\t\"to\": {},\n", quote(&request.to)));
            setup.push_str("\t\t\"variables\": map[string]string{\n");
            for (key, value) in &request.variables {
                setup.push_str(&format!("\t\t\t{}: {},\n", quote(key), quote(value)));
            }
            setup.push_str("\t\t},\n\t})\n");
            setup.push_str(CHECK);
            (
                vec!["bytes", "encoding/json", "fmt", "io", "net/http", "os"],
                setup,
                "bytes.NewReader(body)",
            )
        }
    };
    let auth = match call.auth {
        Auth::Basic { user, password } => {
            format!(
                "\trequest.SetBasicAuth({}, {})\n",
                quote(user),
                quote(password)
            )
        }
        Auth::BearerFromEnv { variable } => format!(
            "\trequest.Header.Set(\"Authorization\", \"Bearer \"+os.Getenv({}))\n",
            quote(variable)
        ),
    };
    let imports = imports
        .iter()
        .map(|name| format!("\t\"{name}\"\n"))
        .collect::<String>();
    let request = format!(
        "\trequest, err := http.NewRequest(http.MethodPost, {}, {reader})\n",
        quote(call.url)
    );
    let content_type = format!(
        "\trequest.Header.Set(\"Content-Type\", {})\n",
        quote(call.body.content_type())
    );
    let send = format!(
        "\tresponse, err := http.DefaultClient.Do(request)\n{CHECK}\tdefer response.Body.Close()\n\tanswer, err := io.ReadAll(response.Body)\n{CHECK}\tfmt.Println(string(answer))\n"
    );
    format!(
        "package main\n\nimport (\n{imports})\n\nfunc main() {{\n{body_setup}{request}{CHECK}{auth}{content_type}{send}}}\n"
    )
}
