use std::collections::BTreeMap;

use super::*;
use crate::wire::{RenderedHeader, SendMessageRequest};
use crate::RenderedMessageExt;

fn definition(
    header: Option<TemplateHeader>,
    body: &str,
    buttons: Vec<TemplateButton>,
) -> TemplateDefinition {
    TemplateDefinition {
        name: "saldo_baixo".into(),
        language: "pt_BR".into(),
        category: TemplateCategory::Utility,
        status: TemplateStatus::Approved,
        components: TemplateComponents {
            header,
            body: body.into(),
            footer: Some("Operadora".into()),
            buttons,
        },
        examples: BTreeMap::from([
            ("1".to_owned(), "Ana".to_owned()),
            ("2".to_owned(), "R$ 2,50".to_owned()),
        ]),
        unsupported: None,
    }
}

fn saldo() -> Template {
    Template::new(definition(
        Some(TemplateHeader::Text {
            text: "Aviso para {{1}}".into(),
        }),
        "Olá {{1}}, seu saldo é {{2}}.",
        vec![TemplateButton::Url {
            text: "Recarregar".into(),
            url: "https://recarga.example/{{1}}".into(),
        }],
    ))
    .unwrap()
}

fn request(pairs: &[(&str, &str)]) -> SendMessageRequest {
    SendMessageRequest {
        to: "+55 11 98765-4321".into(),
        variables: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn codes(errors: &[CoreError]) -> Vec<(&'static str, String)> {
    errors
        .iter()
        .map(|e| (e.code(), e.field().unwrap_or_default()))
        .collect()
}

const OK: &[(&str, &str)] = &[
    ("header_1", "Ana"),
    ("1", "Ana"),
    ("2", "R$ 2,50"),
    ("button_0", "x1"),
];

#[test]
fn variables_come_in_header_body_button_order() {
    let keys: Vec<_> = saldo().variables().iter().map(|v| v.key.clone()).collect();
    assert_eq!(keys, ["header_1", "1", "2", "button_0"]);
}

#[test]
fn a_complete_request_is_validated_and_rendered() {
    let sent = saldo().validate_send(&request(OK)).unwrap();
    assert_eq!(sent.to.as_e164(), "+5511987654321");
    assert_eq!(
        sent.rendered.header,
        Some(RenderedHeader::Text {
            text: "Aviso para Ana".into()
        })
    );
    assert_eq!(sent.rendered.body, "Olá Ana, seu saldo é R$ 2,50.");
    assert_eq!(
        sent.rendered.buttons[0].value.as_deref(),
        Some("https://recarga.example/x1")
    );
    assert_eq!(sent.variables.len(), 4);
    assert_eq!(
        sent.rendered.to_plain_text(),
        "Aviso para Ana\n\nOlá Ana, seu saldo é R$ 2,50.\n\nOperadora\n\n[Recarregar] https://recarga.example/x1"
    );
}

#[test]
fn invalid_phone_is_reported_on_the_to_field() {
    let mut req = request(OK);
    req.to = "11987654321".into();
    let errors = saldo().validate_send(&req).unwrap_err();
    assert_eq!(codes(&errors), [("invalid_phone_number", "to".to_owned())]);
}

#[test]
fn missing_and_unknown_variables_are_each_reported() {
    let errors = saldo()
        .validate_send(&request(&[
            ("header_1", "Ana"),
            ("1", "Ana"),
            ("button_0", "x"),
            ("3", "?"),
        ]))
        .unwrap_err();
    assert_eq!(
        codes(&errors),
        [
            ("missing_variable", "variables.2".to_owned()),
            ("unknown_variable", "variables.3".to_owned()),
        ]
    );
}

#[test]
fn empty_values_are_refused() {
    let mut pairs = OK.to_vec();
    pairs[2] = ("2", "  ");
    let errors = saldo().validate_send(&request(&pairs)).unwrap_err();
    assert_eq!(
        codes(&errors),
        [("empty_variable", "variables.2".to_owned())]
    );
}

#[test]
fn values_longer_than_whatsapps_limits_are_refused() {
    let long_header = "a".repeat(61);
    let long_body = "b".repeat(1025);
    let mut pairs = OK.to_vec();
    pairs[0] = ("header_1", &long_header);
    pairs[2] = ("2", &long_body);
    let errors = saldo().validate_send(&request(&pairs)).unwrap_err();
    assert_eq!(
        codes(&errors),
        [
            ("variable_too_long", "variables.header_1".to_owned()),
            ("variable_too_long", "variables.2".to_owned()),
        ]
    );
}

#[test]
fn rendered_body_over_1024_characters_is_refused() {
    let half = "c".repeat(512);
    let mut pairs = OK.to_vec();
    pairs[1] = ("1", &half);
    pairs[2] = ("2", &half);
    let errors = saldo().validate_send(&request(&pairs)).unwrap_err();
    assert_eq!(
        codes(&errors),
        [("rendered_body_too_long", "variables".to_owned())]
    );
}

#[test]
fn rendered_header_over_60_characters_is_refused() {
    // "Aviso para " is 11 characters: a 50-character value fits the parameter limit but
    // not the header's.
    let value = "d".repeat(50);
    let mut pairs = OK.to_vec();
    pairs[0] = ("header_1", &value);
    let errors = saldo().validate_send(&request(&pairs)).unwrap_err();
    assert_eq!(
        codes(&errors),
        [("rendered_header_too_long", "variables.header_1".to_owned())]
    );
}

#[test]
fn body_values_with_line_breaks_tabs_or_four_spaces_are_refused() {
    for bad in ["a\nb", "a\r\nb", "a\tb", "a    b", "a\u{7}b"] {
        let mut pairs = OK.to_vec();
        pairs[1] = ("1", bad);
        let errors = saldo().validate_send(&request(&pairs)).unwrap_err();
        assert_eq!(
            codes(&errors),
            [("invalid_variable_value", "variables.1".to_owned())],
            "{bad:?}"
        );
    }
    let mut pairs = OK.to_vec();
    pairs[1] = ("1", "a   b");
    assert!(
        saldo().validate_send(&request(&pairs)).is_ok(),
        "three spaces are fine"
    );
}

#[test]
fn url_suffixes_must_be_one_word() {
    let mut pairs = OK.to_vec();
    pairs[3] = ("button_0", "a b");
    let errors = saldo().validate_send(&request(&pairs)).unwrap_err();
    assert_eq!(
        codes(&errors),
        [("invalid_variable_value", "variables.button_0".to_owned())]
    );
}

#[test]
fn media_header_links_must_be_http_links() {
    let template = Template::new(definition(
        Some(TemplateHeader::Image { example_url: None }),
        "Oi {{1}}",
        vec![],
    ))
    .unwrap();
    let errors = template
        .validate_send(&request(&[("header_url", "ftp://x/y.png"), ("1", "Ana")]))
        .unwrap_err();
    assert_eq!(
        codes(&errors),
        [("invalid_variable_value", "variables.header_url".to_owned())]
    );
    let sent = template
        .validate_send(&request(&[
            ("header_url", "https://cdn.example/a.png"),
            ("1", "Ana"),
        ]))
        .unwrap();
    assert_eq!(
        sent.rendered.header,
        Some(RenderedHeader::Image {
            url: "https://cdn.example/a.png".into()
        })
    );
}

#[test]
fn coupon_codes_are_limited_to_15_characters() {
    let template = Template::new(definition(
        None,
        "Oi {{1}}",
        vec![TemplateButton::CopyCode {
            text: "Copiar".into(),
        }],
    ))
    .unwrap();
    let errors = template
        .validate_send(&request(&[
            ("1", "Ana"),
            ("coupon_code", "ABCDEFGHIJKLMNOP"),
        ]))
        .unwrap_err();
    assert_eq!(
        codes(&errors),
        [("variable_too_long", "variables.coupon_code".to_owned())]
    );
}

#[test]
fn values_are_inserted_verbatim_with_accents_and_emoji() {
    let sent = saldo()
        .validate_send(&request(&[
            ("header_1", "Zoë"),
            ("1", "José {{2}} 🎉"),
            ("2", "R$ 1.000,00 — ação"),
            ("button_0", "ç%C3"),
        ]))
        .unwrap();
    assert_eq!(
        sent.rendered.body,
        "Olá José {{2}} 🎉, seu saldo é R$ 1.000,00 — ação."
    );
}

#[test]
fn render_without_a_value_keeps_the_placeholder_visible() {
    let rendered = saldo().render(&BTreeMap::new());
    assert_eq!(rendered.body, "Olá {{1}}, seu saldo é {{2}}.");
}

#[test]
fn example_request_passes_validation() {
    let template = saldo();
    let request = template.example_request();
    assert_eq!(request.variables.get("1").map(String::as_str), Some("Ana"));
    assert!(template.validate_send(&request).is_ok());
}

#[test]
fn mixing_positional_and_named_placeholders_is_refused() {
    let error = Template::new(definition(
        Some(TemplateHeader::Text {
            text: "Oi {{nome}}".into(),
        }),
        "Saldo {{1}}",
        vec![],
    ))
    .unwrap_err();
    assert_eq!(error.code(), "invalid_template");
    assert_eq!(error.field().as_deref(), Some("components.body"));
}

#[test]
fn text_header_holds_at_most_one_variable() {
    let error = Template::new(definition(
        Some(TemplateHeader::Text {
            text: "{{1}} {{1}}".into(),
        }),
        "Oi",
        vec![],
    ))
    .unwrap_err();
    assert_eq!(error.field().as_deref(), Some("components.header.text"));
}

#[test]
fn url_variable_must_end_the_url() {
    let error = Template::new(definition(
        None,
        "Oi",
        vec![TemplateButton::Url {
            text: "Ir".into(),
            url: "https://x.example/{{1}}/fim".into(),
        }],
    ))
    .unwrap_err();
    assert_eq!(error.field().as_deref(), Some("components.buttons[0].url"));
}

#[test]
fn empty_body_is_refused() {
    let error = Template::new(definition(None, "  ", vec![])).unwrap_err();
    assert_eq!(error.field().as_deref(), Some("components.body"));
}

#[test]
fn repeated_positional_placeholder_is_one_variable() {
    let template = Template::new(definition(None, "{{1}} e {{1}} e {{2}}", vec![])).unwrap();
    assert_eq!(template.variables().len(), 2);
    let rendered = template.render(&BTreeMap::from([
        ("1".into(), "a".into()),
        ("2".into(), "b".into()),
    ]));
    assert_eq!(rendered.body, "a e a e b");
}
