//! Opt-outs (issue 12): a reply whose whole text is one of the workspace's keywords — compared
//! without case, accents or surrounding punctuation — puts the sender's number on the
//! workspace's do-not-message list.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The keywords of a workspace that never changed them (pt-BR, es, en).
pub const DEFAULT_KEYWORDS: [&str; 7] = [
    "PARAR",
    "SAIR",
    "CANCELAR",
    "STOP",
    "BAJA",
    "DESUSCRIBIR",
    "UNSUBSCRIBE",
];
/// Most keywords a workspace keeps.
pub const MAX_KEYWORDS: usize = 50;
/// Longest keyword, in characters.
pub const MAX_KEYWORD_LEN: usize = 40;

/// The form keywords and replies are compared in: compatibility-decomposed, accents dropped,
/// case-folded, punctuation and symbols around the words dropped, inner spaces collapsed.
pub fn normalize(text: &str) -> String {
    let folded: String = caseless::default_case_fold_str(
        &text
            .nfkd()
            .filter(|c| !is_combining_mark(*c))
            .collect::<String>(),
    );
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned()
}

/// The keyword `reply` is, if it is one of `keywords` (as normalised).
pub fn matching_keyword<'k>(reply: &str, keywords: &'k [String]) -> Option<&'k str> {
    let reply = normalize(reply);
    if reply.is_empty() {
        return None;
    }
    keywords
        .iter()
        .find(|keyword| normalize(keyword) == reply)
        .map(String::as_str)
}

/// The marked opt-out button a pressed quick-reply button is, if any: WhatsApp sends the
/// button's text back, compared as normalised (case, accents, width, surrounding punctuation).
pub fn marked_button<'b>(pressed: &str, marked: &'b [String]) -> Option<&'b str> {
    matching_keyword(pressed, marked)
}

/// The quick-reply buttons of a template (their texts), in order.
pub fn quick_replies(components: &crate::wire::TemplateComponents) -> Vec<&str> {
    components
        .buttons
        .iter()
        .filter_map(|button| match button {
            crate::wire::TemplateButton::QuickReply { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// Why a keyword list cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeywordsError {
    #[error("keep at least one opt-out keyword")]
    Empty,
    #[error("at most {MAX_KEYWORDS} keywords")]
    TooMany,
    #[error("keyword {0} has no letter or digit, or more than {MAX_KEYWORD_LEN} characters")]
    Invalid(usize),
}

/// The keywords to keep: trimmed, each with a letter or digit and at most
/// [`MAX_KEYWORD_LEN`] characters, duplicates (as normalised) dropped.
pub fn validate_keywords(keywords: &[String]) -> Result<Vec<String>, KeywordsError> {
    let mut kept: Vec<String> = Vec::new();
    for (index, keyword) in keywords.iter().enumerate() {
        let keyword = keyword.trim();
        if normalize(keyword).is_empty() || keyword.chars().count() > MAX_KEYWORD_LEN {
            return Err(KeywordsError::Invalid(index));
        }
        if !kept.iter().any(|k| normalize(k) == normalize(keyword)) {
            kept.push(keyword.to_owned());
        }
    }
    if kept.is_empty() {
        return Err(KeywordsError::Empty);
    }
    if kept.len() > MAX_KEYWORDS {
        return Err(KeywordsError::TooMany);
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pressed_button_matches_its_marked_text_whatever_the_case_or_accents() {
        let marked = vec!["Não quero mais receber".to_owned()];
        assert_eq!(
            marked_button("nao quero mais receber", &marked),
            Some("Não quero mais receber")
        );
        assert_eq!(marked_button("Quero receber", &marked), None);
        assert_eq!(marked_button("anything", &[]), None);
    }

    fn defaults() -> Vec<String> {
        DEFAULT_KEYWORDS.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn replies_in_portuguese_spanish_and_english_match_without_case_accents_or_punctuation() {
        let keywords = defaults();
        for (reply, keyword) in [
            ("parar", "PARAR"),
            ("  Sair. ", "SAIR"),
            ("Cancelar!!", "CANCELAR"),
            ("Stop", "STOP"),
            ("baja 👋", "BAJA"),
            ("Désuscribir", "DESUSCRIBIR"),
            ("UNSUBSCRIBE", "UNSUBSCRIBE"),
            ("ＰＡＲＡＲ", "PARAR"),
        ] {
            assert_eq!(matching_keyword(reply, &keywords), Some(keyword), "{reply}");
        }
    }

    #[test]
    fn a_keyword_inside_a_longer_reply_is_not_an_opt_out() {
        let keywords = defaults();
        for reply in [
            "não quero parar",
            "stop sending me this?",
            "",
            "!!!",
            "pará-lo",
        ] {
            assert_eq!(matching_keyword(reply, &keywords), None, "{reply}");
        }
    }

    #[test]
    fn an_edited_keyword_list_is_trimmed_deduplicated_and_bounded() {
        let kept =
            validate_keywords(&[" Chega ".into(), "chegá".into(), "NÃO QUERO".into()]).unwrap();
        assert_eq!(kept, vec!["Chega".to_owned(), "NÃO QUERO".to_owned()]);
        assert_eq!(matching_keyword("nao quero", &kept), Some("NÃO QUERO"));
        assert_eq!(validate_keywords(&[]), Err(KeywordsError::Empty));
        assert_eq!(
            validate_keywords(&["ok".into(), "?!".into()]),
            Err(KeywordsError::Invalid(1))
        );
        let many: Vec<String> = (0..=MAX_KEYWORDS).map(|i| format!("k{i}")).collect();
        assert_eq!(validate_keywords(&many), Err(KeywordsError::TooMany));
    }
}
