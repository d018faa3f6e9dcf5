//! Placeholders in template text: positional `{{1}}`, `{{2}}`, ... or named `{{first_name}}`
//! (`[a-z_][a-z0-9_]*`, Meta's rule for named parameters).

use crate::error::CoreError;

/// A piece of template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Positional(u32),
    Named(String),
}

/// Which kind of placeholder a template uses (Meta's `parameter_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParameterFormat {
    /// `{{1}}`, `{{2}}`, ...; variables are keyed `"1"`, `"2"`, ...
    Positional,
    /// `{{first_name}}`; variables are keyed by name.
    Named,
}

pub(crate) fn is_parameter_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Splits `text` into literal text and placeholders. `field` names the text in errors.
pub(crate) fn parse_pieces(text: &str, field: &str) -> Result<Vec<Piece>, CoreError> {
    let invalid = |reason: String| CoreError::InvalidTemplate {
        field: field.to_owned(),
        reason,
    };
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(invalid("a \"{{\" is never closed with \"}}\"".to_owned()));
        };
        let inner = &after[..end];
        if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            match inner.parse::<u32>() {
                Ok(n) if n >= 1 && !inner.starts_with('0') => pieces.push(Piece::Positional(n)),
                _ => {
                    return Err(invalid(format!(
                        "\"{{{{{inner}}}}}\" is not a placeholder: positions start at {{{{1}}}}"
                    )))
                }
            }
        } else if is_parameter_name(inner) {
            pieces.push(Piece::Named(inner.to_owned()));
        } else {
            return Err(invalid(format!(
                "\"{{{{{inner}}}}}\" is not a placeholder: use {{{{1}}}} or a lowercase name like {{{{first_name}}}}"
            )));
        }
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_and_literal_pieces_are_split() {
        assert_eq!(
            parse_pieces("Olá {{1}}, saldo {{2}}.", "body").unwrap(),
            vec![
                Piece::Text("Olá ".into()),
                Piece::Positional(1),
                Piece::Text(", saldo ".into()),
                Piece::Positional(2),
                Piece::Text(".".into()),
            ]
        );
    }

    #[test]
    fn named_placeholders_follow_metas_naming_rule() {
        assert_eq!(
            parse_pieces("{{first_name}}{{_x9}}", "body").unwrap(),
            vec![
                Piece::Named("first_name".into()),
                Piece::Named("_x9".into())
            ]
        );
        for bad in [
            "{{First}}",
            "{{first name}}",
            "{{9a}}",
            "{{}}",
            "{{ 1 }}",
            "{{0}}",
            "{{01}}",
        ] {
            let error = parse_pieces(bad, "components.body").unwrap_err();
            assert_eq!(error.code(), "invalid_template", "{bad}");
            assert_eq!(error.field().as_deref(), Some("components.body"));
        }
    }

    #[test]
    fn refusal_quotes_the_offending_placeholder() {
        let message = parse_pieces("Oi {{Nome}}", "body").unwrap_err().to_string();
        assert!(
            message.contains("\"{{Nome}}\" is not a placeholder"),
            "{message}"
        );
        assert!(message.contains("{{first_name}}"), "{message}");
    }

    #[test]
    fn unclosed_braces_are_refused() {
        assert!(parse_pieces("Olá {{1", "body").is_err());
    }

    #[test]
    fn text_without_placeholders_is_one_piece() {
        assert_eq!(
            parse_pieces("Oi! 👋", "body").unwrap(),
            vec![Piece::Text("Oi! 👋".into())]
        );
        assert_eq!(parse_pieces("", "body").unwrap(), vec![]);
        assert_eq!(
            parse_pieces("a } b { c", "body").unwrap(),
            vec![Piece::Text("a } b { c".into())]
        );
    }
}
