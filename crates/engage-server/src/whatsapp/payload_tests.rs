use std::collections::BTreeMap;

use engage_core::wire::{
    TemplateButton, TemplateCategory, TemplateComponents, TemplateHeader, TemplateStatus,
};
use engage_core::{Template, TemplateDefinition};
use serde_json::json;

use super::*;

fn template(
    category: TemplateCategory,
    header: Option<TemplateHeader>,
    body: &str,
    buttons: Vec<TemplateButton>,
) -> Template {
    Template::new(TemplateDefinition {
        name: "order_update".into(),
        language: "pt_BR".into(),
        category,
        status: TemplateStatus::Approved,
        components: TemplateComponents {
            header,
            body: body.into(),
            footer: Some("Loja Exemplo".into()),
            buttons,
        },
        examples: BTreeMap::new(),
        unsupported: None,
    })
    .expect("valid template")
}

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn json_of(message: &TemplateMessage) -> serde_json::Value {
    serde_json::to_value(message).unwrap()
}

#[test]
fn positional_text_header_and_body_become_ordered_text_parameters() {
    let t = template(
        TemplateCategory::Utility,
        Some(TemplateHeader::Text {
            text: "Pedido {{1}}".into(),
        }),
        "Olá {{1}}, seu pedido chega {{2}}. Obrigado, {{1}}!",
        vec![],
    );
    let message = build_template_message(
        &t,
        "+5511987654321",
        &vars(&[("header_1", "A-77"), ("1", "Ana"), ("2", "amanhã")]),
    )
    .unwrap();
    assert_eq!(
        json_of(&message),
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "5511987654321",
            "type": "template",
            "template": {
                "name": "order_update",
                "language": {"code": "pt_BR"},
                "components": [
                    {"type": "header", "parameters": [{"type": "text", "text": "A-77"}]},
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "Ana"},
                        {"type": "text", "text": "amanhã"}
                    ]}
                ]
            }
        })
    );
}

#[test]
fn body_placeholders_out_of_order_are_sent_by_position() {
    let t = template(
        TemplateCategory::Utility,
        None,
        "{{2}} antes de {{1}}",
        vec![],
    );
    let message =
        build_template_message(&t, "+5511987654321", &vars(&[("1", "um"), ("2", "dois")])).unwrap();
    assert_eq!(
        json_of(&message)["template"]["components"],
        json!([{"type": "body", "parameters": [
            {"type": "text", "text": "um"},
            {"type": "text", "text": "dois"}
        ]}])
    );
}

#[test]
fn named_parameters_carry_parameter_name_once_each() {
    let t = template(
        TemplateCategory::Marketing,
        Some(TemplateHeader::Text {
            text: "Oi {{first_name}}".into(),
        }),
        "{{first_name}}, use {{discount}} até {{date}}. Até logo, {{first_name}}.",
        vec![],
    );
    let message = build_template_message(
        &t,
        "+5511987654321",
        &vars(&[
            ("first_name", "Ana"),
            ("discount", "10%"),
            ("date", "sexta"),
        ]),
    )
    .unwrap();
    assert_eq!(
        json_of(&message)["template"]["components"],
        json!([
            {"type": "header", "parameters": [
                {"type": "text", "parameter_name": "first_name", "text": "Ana"}
            ]},
            {"type": "body", "parameters": [
                {"type": "text", "parameter_name": "first_name", "text": "Ana"},
                {"type": "text", "parameter_name": "discount", "text": "10%"},
                {"type": "text", "parameter_name": "date", "text": "sexta"}
            ]}
        ])
    );
}

#[test]
fn media_headers_send_their_link_under_the_media_type() {
    for (header, kind) in [
        (TemplateHeader::Image { example_url: None }, "image"),
        (TemplateHeader::Video { example_url: None }, "video"),
        (TemplateHeader::Document { example_url: None }, "document"),
    ] {
        let t = template(TemplateCategory::Marketing, Some(header), "Veja!", vec![]);
        let message = build_template_message(
            &t,
            "+5511987654321",
            &vars(&[("header_url", "https://cdn.example.com/a.bin")]),
        )
        .unwrap();
        assert_eq!(
            json_of(&message)["template"]["components"],
            json!([{"type": "header", "parameters": [
                {"type": kind, kind: {"link": "https://cdn.example.com/a.bin"}}
            ]}]),
            "{kind}"
        );
    }
}

#[test]
fn url_buttons_send_their_suffix_with_the_buttons_index() {
    let t = template(
        TemplateCategory::Utility,
        None,
        "Seu pedido {{1}} saiu.",
        vec![
            TemplateButton::QuickReply {
                text: "Parar".into(),
            },
            TemplateButton::Url {
                text: "Rastrear".into(),
                url: "https://shop.example/track/{{1}}".into(),
            },
            TemplateButton::Url {
                text: "Loja".into(),
                url: "https://shop.example/".into(),
            },
        ],
    );
    let message = build_template_message(
        &t,
        "+5511987654321",
        &vars(&[("1", "A-77"), ("button_1", "A77?x=1")]),
    )
    .unwrap();
    assert_eq!(
        json_of(&message)["template"]["components"],
        json!([
            {"type": "body", "parameters": [{"type": "text", "text": "A-77"}]},
            {"type": "button", "sub_type": "url", "index": "1", "parameters": [
                {"type": "text", "text": "A77?x=1"}
            ]}
        ])
    );
}

#[test]
fn a_named_url_variable_is_sent_as_the_buttons_text_parameter() {
    let t = template(
        TemplateCategory::Utility,
        None,
        "Oi {{name}}",
        vec![TemplateButton::Url {
            text: "Abrir".into(),
            url: "https://shop.example/c/{{cart}}".into(),
        }],
    );
    let message = build_template_message(
        &t,
        "+5511987654321",
        &vars(&[("name", "Ana"), ("cart", "c-9")]),
    )
    .unwrap();
    assert_eq!(
        json_of(&message)["template"]["components"][1],
        json!({"type": "button", "sub_type": "url", "index": "0",
               "parameters": [{"type": "text", "text": "c-9"}]})
    );
}

#[test]
fn a_marketing_copy_code_button_sends_a_coupon_code_parameter() {
    let t = template(
        TemplateCategory::Marketing,
        None,
        "Use o cupom {{1}} e ganhe {{2}}",
        vec![
            TemplateButton::QuickReply {
                text: "Sair".into(),
            },
            TemplateButton::CopyCode {
                text: "Copiar código".into(),
            },
        ],
    );
    let message = build_template_message(
        &t,
        "+5511987654321",
        &vars(&[("1", "SAVE10"), ("2", "10%"), ("coupon_code", "SAVE10")]),
    )
    .unwrap();
    assert_eq!(
        json_of(&message)["template"]["components"][1],
        json!({"type": "button", "sub_type": "copy_code", "index": "1",
               "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}]})
    );
}

#[test]
fn an_authentication_copy_code_button_sends_the_code_as_a_url_parameter() {
    let t = template(
        TemplateCategory::Authentication,
        None,
        "{{1}} é seu código de verificação.",
        vec![TemplateButton::CopyCode {
            text: "Copiar código".into(),
        }],
    );
    let message = build_template_message(&t, "+5511987654321", &vars(&[("1", "482913")])).unwrap();
    assert_eq!(
        json_of(&message)["template"]["components"],
        json!([
            {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": "482913"}]}
        ])
    );
}

#[test]
fn a_template_without_variables_sends_no_components() {
    let t = template(TemplateCategory::Utility, None, "Bem-vindo!", vec![]);
    let message = build_template_message(&t, "+16502530000", &BTreeMap::new()).unwrap();
    let value = json_of(&message);
    assert_eq!(value["to"], "16502530000");
    assert!(value["template"].get("components").is_none(), "{value}");
}

#[test]
fn a_missing_variable_is_refused_with_its_key() {
    let t = template(TemplateCategory::Utility, None, "Olá {{1}} {{2}}", vec![]);
    let error = build_template_message(&t, "+5511987654321", &vars(&[("1", "Ana")])).unwrap_err();
    assert_eq!(error, PayloadError::MissingVariable { key: "2".into() });
    assert_eq!(error.code(), "missing_variable");
    assert_eq!(error.field().as_deref(), Some("variables.2"));
}

#[test]
fn an_unknown_variable_is_refused_with_its_key() {
    let t = template(TemplateCategory::Utility, None, "Olá {{1}}", vec![]);
    let error = build_template_message(&t, "+5511987654321", &vars(&[("1", "Ana"), ("nome", "x")]))
        .unwrap_err();
    assert_eq!(error, PayloadError::UnknownVariable { key: "nome".into() });
}

#[test]
fn a_missing_coupon_code_is_refused() {
    let t = template(
        TemplateCategory::Marketing,
        None,
        "Promoção",
        vec![TemplateButton::CopyCode {
            text: "Copiar".into(),
        }],
    );
    let error = build_template_message(&t, "+5511987654321", &BTreeMap::new()).unwrap_err();
    assert_eq!(
        error,
        PayloadError::MissingVariable {
            key: "coupon_code".into()
        }
    );
}

#[test]
fn paused_and_disabled_templates_are_refused_before_anything_is_built() {
    for status in [
        TemplateStatus::Paused,
        TemplateStatus::Disabled,
        TemplateStatus::Pending,
        TemplateStatus::Rejected,
    ] {
        let t = template(TemplateCategory::Utility, None, "Olá", vec![]).with_status(status);
        let error = build_template_message(&t, "+5511987654321", &BTreeMap::new()).unwrap_err();
        assert_eq!(error.code(), "template_not_approved", "{status:?}");
    }
}

#[test]
fn an_invalid_recipient_is_refused() {
    let t = template(TemplateCategory::Utility, None, "Olá", vec![]);
    let error = build_template_message(&t, "12345", &BTreeMap::new()).unwrap_err();
    assert_eq!(error.code(), "invalid_phone_number");
    assert_eq!(error.field().as_deref(), Some("to"));
}

#[test]
fn a_location_header_sends_latitude_longitude_name_and_address_as_meta_documents() {
    let t = template(
        TemplateCategory::Utility,
        Some(TemplateHeader::Location),
        "Seu pedido {{1}} está a caminho do local acima.",
        vec![],
    );
    let message = build_template_message(
        &t,
        "+5511987654321",
        &vars(&[
            ("location_latitude", "-23.5613993"),
            ("location_longitude", "-46.6565712"),
            ("location_name", "Loja Paulista"),
            ("location_address", "Av. Paulista, 1000 - São Paulo"),
            ("1", "566701"),
        ]),
    )
    .unwrap();
    assert_eq!(
        json_of(&message)["template"]["components"],
        json!([
            {"type": "header", "parameters": [{"type": "location", "location": {
                "latitude": "-23.5613993", "longitude": "-46.6565712",
                "name": "Loja Paulista", "address": "Av. Paulista, 1000 - São Paulo"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "566701"}]}
        ])
    );
    let error =
        build_template_message(&t, "+5511987654321", &vars(&[("1", "566701")])).unwrap_err();
    assert_eq!(error.code(), "missing_variable");
}

#[test]
fn a_one_tap_otp_button_sends_the_code_once_in_the_body_and_the_button() {
    let t = template(
        TemplateCategory::Authentication,
        None,
        "*{{1}}* is your verification code.",
        vec![TemplateButton::Otp {
            text: "Copy code".into(),
            otp_type: engage_core::wire::OtpType::OneTap,
        }],
    );
    assert_eq!(t.variables().len(), 1);
    let message = build_template_message(&t, "+16502530000", &vars(&[("1", "J$FpnYnP")])).unwrap();
    assert_eq!(
        json_of(&message)["template"]["components"],
        json!([
            {"type": "body", "parameters": [{"type": "text", "text": "J$FpnYnP"}]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": "J$FpnYnP"}]}
        ])
    );
}

#[test]
fn an_unsupported_template_is_refused_before_anything_is_built() {
    let json = json!({"name": "summer_carousel", "language": "en_US", "status": "APPROVED",
        "category": "MARKETING", "components": [{"type": "BODY", "text": "Look"},
        {"type": "CAROUSEL", "cards": []}]});
    let t = engage_core::parse_meta_template(&json).unwrap();
    let error = build_template_message(&t, "+5511987654321", &BTreeMap::new()).unwrap_err();
    assert_eq!(error.code(), "template_unsupported");
}

#[test]
fn the_payload_round_trips_through_serde() {
    let t = template(
        TemplateCategory::Marketing,
        Some(TemplateHeader::Image { example_url: None }),
        "Oi {{1}}",
        vec![TemplateButton::CopyCode {
            text: "Copiar".into(),
        }],
    );
    let message = build_template_message(
        &t,
        "+5511987654321",
        &vars(&[
            ("header_url", "https://cdn.example.com/i.png"),
            ("1", "Ana"),
            ("coupon_code", "X1"),
        ]),
    )
    .unwrap();
    let text = serde_json::to_string(&message).unwrap();
    let back: TemplateMessage = serde_json::from_str(&text).unwrap();
    assert_eq!(back, message);
}
