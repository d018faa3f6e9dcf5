//! JSON text of the send body for languages that carry it as a string (PowerShell, cmd):
//! written here so that every character a shell could touch is a `\uXXXX` escape.

use crate::wire::SendMessageRequest;

/// A JSON string literal of `value`: characters `keep` accepts as they are (`"` and `\`
/// always escaped), every other one as `\uXXXX`.
pub fn string(value: &str, keep: fn(char) -> bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' if keep(c) => {
                out.push('\\');
                out.push(c);
            }
            c if keep(c) && !c.is_control() => out.push(c),
            c => super::utf16_escape(c, &mut out),
        }
    }
    out.push('"');
    out
}

/// The send body as JSON text, pretty (two-space indent, as serde_json's pretty printer) or
/// compact, its strings written by [`string`] with `keep`.
pub fn body(request: &SendMessageRequest, pretty: bool, keep: fn(char) -> bool) -> String {
    let (newline, indent, colon) = if pretty {
        ("\n", "  ", ": ")
    } else {
        ("", "", ":")
    };
    let variables = if request.variables.is_empty() {
        "{}".to_owned()
    } else {
        let entries = request
            .variables
            .iter()
            .map(|(key, value)| {
                format!(
                    "{indent}{indent}{}{colon}{}",
                    string(key, keep),
                    string(value, keep)
                )
            })
            .collect::<Vec<_>>()
            .join(&format!(",{newline}"));
        format!("{{{newline}{entries}{newline}{indent}}}")
    };
    format!(
        "{{{newline}{indent}\"to\"{colon}{},{newline}{indent}\"variables\"{colon}{variables}{newline}}}",
        string(&request.to, keep)
    )
}

/// Printable ASCII (JSON escapes `"` and `\` by themselves).
pub fn printable_ascii(c: char) -> bool {
    c.is_ascii_graphic() || c == ' '
}
