//! Parsing Meta's `message_templates` JSON (realistic fixtures) and using the result.

use engage_core::wire::{
    OtpType, RenderedHeader, TemplateButton, TemplateCategory, TemplateHeader, TemplateStatus,
    UnsupportedKind, VariableLocation,
};
use engage_core::{parse_meta_templates, ParameterFormat, RenderedMessageExt, Template};
use uuid::Uuid;

const LISTING: &str = include_str!("fixtures/listing.json");
const NAMED: &str = include_str!("fixtures/named_order_update.json");
const DOCUMENT: &str = include_str!("fixtures/document_header.json");

fn listing() -> Vec<Template> {
    parse_meta_templates(LISTING).expect("the listing fixture parses")
}

fn keys(template: &Template) -> Vec<&str> {
    template
        .variables()
        .iter()
        .map(|v| v.key.as_str())
        .collect()
}

#[test]
fn listing_yields_every_template_in_order() {
    let templates = listing();
    let names: Vec<_> = templates.iter().map(Template::name).collect();
    assert_eq!(
        names,
        [
            "saldo_baixo",
            "carrinho_abandonado",
            "codigo_verificacao",
            "promo_fin_de_semana"
        ]
    );
    assert_eq!(templates[3].status(), TemplateStatus::Rejected);
    assert_eq!(templates[3].language(), "es");
    assert!(!templates[3].is_sendable());
    assert!(templates[0].is_sendable());
}

#[test]
fn positional_template_with_text_header_and_url_button() {
    let template = &listing()[0];
    assert_eq!(template.category(), TemplateCategory::Utility);
    assert_eq!(
        template.parameter_format(),
        Some(ParameterFormat::Positional)
    );
    assert_eq!(keys(template), ["header_1", "1", "2", "button_0"]);
    let vars = template.variables();
    assert_eq!(vars[0].location, VariableLocation::Header);
    assert_eq!(vars[0].example, "Ana");
    assert_eq!(vars[0].max_length, 60);
    assert_eq!(vars[1].example, "R$ 2,50");
    assert_eq!(vars[1].max_length, 1024);
    assert_eq!(vars[2].example, "3");
    // The URL example is the whole URL; the variable is its suffix.
    assert_eq!(vars[3].example, "ab12cd");
    assert_eq!(vars[3].location, VariableLocation::Button);
    assert_eq!(vars[3].button_index, Some(0));
    assert_eq!(vars[3].max_length, 2000);
    let components = template.components();
    assert_eq!(components.footer.as_deref(), Some("Operadora Exemplo"));
    assert_eq!(
        components.buttons,
        vec![
            TemplateButton::Url {
                text: "Recarregar".into(),
                url: "https://recarga.example.com/r/{{1}}".into()
            },
            TemplateButton::QuickReply {
                text: "Não, obrigado".into()
            },
            TemplateButton::PhoneNumber {
                text: "Ligar".into(),
                phone_number: "+551140040000".into()
            },
        ]
    );
}

#[test]
fn example_request_of_the_positional_template_renders_as_the_recipient_sees_it() {
    let template = &listing()[0];
    let request = template.example_request();
    assert_eq!(request.to, "+5511987654321");
    let sent = template
        .validate_send(&request)
        .expect("examples are valid");
    assert_eq!(
        sent.rendered.to_plain_text(),
        "Olá, Ana!\n\n\
         Seu saldo pré-pago é de R$ 2,50 e acaba em 3 dias. Recarregue agora e continue conectado! 📱\n\n\
         Operadora Exemplo\n\n\
         [Recarregar] https://recarga.example.com/r/ab12cd\n\
         [Não, obrigado]\n\
         [Ligar] +551140040000"
    );
}

#[test]
fn named_template_with_media_header_and_copy_code_button() {
    let template = &listing()[1];
    assert_eq!(template.parameter_format(), Some(ParameterFormat::Named));
    assert_eq!(
        template.components().header,
        Some(TemplateHeader::Image {
            example_url: Some("https://scontent.whatsapp.net/v/t61.29466-34/carrinho.jpg".into())
        })
    );
    assert_eq!(
        keys(template),
        [
            "header_url",
            "first_name",
            "product",
            "discount",
            "coupon_code"
        ]
    );
    let coupon = &template.variables()[4];
    assert_eq!(coupon.example, "VOLTA15");
    assert_eq!(coupon.max_length, 15);
    assert_eq!(coupon.button_index, Some(0));
    let sent = template.validate_send(&template.example_request()).unwrap();
    assert_eq!(
        sent.rendered.header,
        Some(RenderedHeader::Image {
            url: "https://scontent.whatsapp.net/v/t61.29466-34/carrinho.jpg".into()
        })
    );
    assert_eq!(
        sent.rendered.body,
        "Oi João, você esqueceu Tênis Corrida no carrinho. Use o cupom abaixo e ganhe 15% de desconto!"
    );
    assert_eq!(sent.rendered.buttons[0].kind, "copy_code");
    assert_eq!(sent.rendered.buttons[0].value.as_deref(), Some("VOLTA15"));
    assert_eq!(
        sent.rendered.buttons[1].value.as_deref(),
        Some("https://loja.example.com/carrinho")
    );
}

#[test]
fn authentication_template_copies_the_body_code() {
    let template = &listing()[2];
    assert_eq!(template.category(), TemplateCategory::Authentication);
    // One variable: the code, shown in the body and copied by the button.
    assert_eq!(keys(template), ["1"]);
    assert_eq!(template.variables()[0].max_length, 15);
    let mut request = template.example_request();
    request.variables.insert("1".into(), "771204".into());
    let sent = template.validate_send(&request).unwrap();
    assert!(sent.rendered.body.starts_with("*771204* é seu código"));
    assert_eq!(sent.rendered.buttons[0].kind, "otp");
    assert_eq!(sent.rendered.buttons[0].value.as_deref(), Some("771204"));
}

#[test]
fn single_named_template_object_shares_a_name_between_header_and_body() {
    let templates = parse_meta_templates(NAMED).unwrap();
    assert_eq!(templates.len(), 1);
    let template = &templates[0];
    assert_eq!(template.status(), TemplateStatus::Pending);
    assert_eq!(template.language(), "en_US");
    assert_eq!(
        keys(template),
        ["order_id", "first_name", "delivery_status", "button_0"]
    );
    // Used in the header too, so the header's limit applies.
    assert_eq!(template.variables()[0].max_length, 60);
    assert_eq!(template.variables()[3].example, "10482");
    let request = template.example_request();
    assert_eq!(request.to, "+16502530000");
    let sent = template.validate_send(&request).unwrap();
    assert_eq!(
        sent.rendered.header,
        Some(RenderedHeader::Text {
            text: "Order #10482 update".into()
        })
    );
    assert_eq!(
        sent.rendered.body,
        "Hi Pablo, your order #10482 is out for delivery."
    );
    assert_eq!(
        sent.rendered.buttons[0].value.as_deref(),
        Some("https://shop.example.com/track/10482")
    );
}

#[test]
fn document_header_takes_its_link_from_header_url() {
    let template = &parse_meta_templates(DOCUMENT).unwrap()[0];
    assert_eq!(keys(template), ["header_url", "1", "2"]);
    let sent = template.validate_send(&template.example_request()).unwrap();
    assert_eq!(
        sent.rendered.to_plain_text(),
        "[document] https://scontent.whatsapp.net/v/fatura.pdf\n\n\
         Sua fatura de março no valor de R$ 89,90 está disponível."
    );
}

#[test]
fn wire_form_round_trips_to_the_same_template() {
    for template in listing()
        .into_iter()
        .chain(parse_meta_templates(NAMED).unwrap())
    {
        let wire = template.to_wire(Uuid::nil());
        let json = serde_json::to_string(&wire).unwrap();
        let back: engage_core::wire::Template = serde_json::from_str(&json).unwrap();
        let rebuilt = Template::from_wire(&back).unwrap();
        assert_eq!(
            rebuilt.variables(),
            template.variables(),
            "{}",
            template.name()
        );
        assert_eq!(rebuilt.example_request(), template.example_request());
    }
}

#[test]
fn stored_definition_round_trips_through_serde() {
    for template in listing() {
        let json = serde_json::to_string(&template).unwrap();
        let back: Template = serde_json::from_str(&json).unwrap();
        assert_eq!(back, template);
    }
}

fn parse_error(json: &str) -> (String, Option<String>) {
    let error = parse_meta_templates(json).unwrap_err();
    (error.code().to_owned(), error.field())
}

#[test]
fn malformed_documents_are_refused_with_a_code_and_field() {
    assert_eq!(parse_error("{not json").0, "invalid_template_json");
    assert_eq!(parse_error(r#"{"data": {}}"#).0, "invalid_template_json");
    assert_eq!(
        parse_error(r#"{"name": "x"}"#),
        ("invalid_template".into(), Some("language".into()))
    );
    let no_body = r#"{"name":"x","language":"pt_BR","category":"UTILITY","components":[{"type":"FOOTER","text":"f"}]}"#;
    assert_eq!(
        parse_error(no_body),
        ("invalid_template".into(), Some("components".into()))
    );
    let mixed = r#"{"name":"x","language":"pt_BR","category":"UTILITY","components":[{"type":"BODY","text":"{{1}} e {{nome}}"}]}"#;
    assert_eq!(
        parse_error(mixed),
        ("invalid_template".into(), Some("components.body".into()))
    );
    let typed = r#"{"data":[{"name":"x","language":"pt_BR","category":"UTILITY","components":[{"type":"BODY","text":"oi"},{"type":"BUTTONS","buttons":[{"type":"URL","text":7,"url":"https://x.example"}]}]}]}"#;
    let error = parse_meta_templates(typed).unwrap_err();
    assert_eq!(
        error.field().as_deref(),
        Some("data[0].components[1].buttons[0]")
    );
    assert!(
        error.to_string().contains("the URL button is malformed"),
        "{error}"
    );
    let category = r#"{"name":"x","language":"pt_BR","category":"SPAM","components":[{"type":"BODY","text":"oi"}]}"#;
    assert_eq!(
        parse_error(category),
        ("invalid_template".into(), Some("category".into()))
    );
    let declared = r#"{"name":"x","language":"pt_BR","category":"UTILITY","parameter_format":"NAMED","components":[{"type":"BODY","text":"oi {{1}}"}]}"#;
    assert_eq!(
        parse_error(declared),
        ("invalid_template".into(), Some("parameter_format".into()))
    );
    let gap = r#"{"name":"x","language":"pt_BR","category":"UTILITY","components":[{"type":"BODY","text":"{{1}} {{3}}"}]}"#;
    assert_eq!(parse_error(gap).0, "invalid_template");
}

#[test]
fn templates_without_examples_get_usable_generated_ones() {
    let json = r#"{"name":"x","language":"pt_BR","category":"MARKETING","status":"APPROVED","components":[
        {"type":"HEADER","format":"VIDEO"},
        {"type":"BODY","text":"Oi {{1}}"},
        {"type":"BUTTONS","buttons":[{"type":"COPY_CODE"},{"type":"URL","text":"Ver","url":"https://x.example/{{1}}"}]}]}"#;
    let template = &parse_meta_templates(json).unwrap()[0];
    assert_eq!(
        keys(template),
        ["header_url", "1", "coupon_code", "button_1"]
    );
    assert!(template.validate_send(&template.example_request()).is_ok());
}

const EVERY_KIND: &str = include_str!("fixtures/listing_every_kind.json");

fn every_kind() -> Vec<engage_core::ListingItem> {
    engage_core::parse_meta_listing(EVERY_KIND).expect("the listing is JSON")
}

fn item(name: &str) -> Template {
    every_kind()
        .into_iter()
        .find(|i| i.label.starts_with(&format!("{name} (")))
        .unwrap_or_else(|| panic!("{name} is listed"))
        .result
        .unwrap_or_else(|e| panic!("{name} parses: {e}"))
}

#[test]
fn each_template_of_a_listing_is_parsed_on_its_own_with_metas_id() {
    let items = every_kind();
    assert_eq!(items.len(), 11);
    assert_eq!(items[0].meta_id.as_deref(), Some("1073912404471224"));
    assert_eq!(items[0].label, "entrega_a_caminho (pt_BR)");
    let broken = items.last().unwrap();
    let error = broken.result.as_ref().unwrap_err();
    assert_eq!(error.field().as_deref(), Some("components.body"));
    assert!(error.to_string().contains("{{First Name}}"), "{error}");
    assert_eq!(items.iter().filter(|i| i.result.is_ok()).count(), 10);
}

#[test]
fn a_location_header_asks_for_latitude_longitude_name_and_address() {
    let template = item("entrega_a_caminho");
    assert!(template.is_sendable());
    assert_eq!(
        keys(&template),
        [
            "location_latitude",
            "location_longitude",
            "location_name",
            "location_address",
            "customer_name",
            "order_number"
        ]
    );
    let mut request = template.example_request();
    assert!(template.validate_send(&request).is_ok());
    request
        .variables
        .insert("location_latitude".into(), "-23.5613993".into());
    request
        .variables
        .insert("location_longitude".into(), "-46.6565712".into());
    request
        .variables
        .insert("location_name".into(), "Loja Paulista".into());
    request
        .variables
        .insert("location_address".into(), "Av. Paulista, 1000".into());
    let sent = template.validate_send(&request).unwrap();
    assert_eq!(
        sent.rendered.header,
        Some(RenderedHeader::Location {
            latitude: "-23.5613993".into(),
            longitude: "-46.6565712".into(),
            name: "Loja Paulista".into(),
            address: "Av. Paulista, 1000".into(),
        })
    );
    assert!(sent
        .rendered
        .to_plain_text()
        .starts_with("[location] Loja Paulista, Av. Paulista, 1000"));
}

#[test]
fn coordinates_out_of_range_or_not_decimal_are_refused_naming_the_variable() {
    let template = item("entrega_a_caminho");
    for (key, value) in [
        ("location_latitude", "91"),
        ("location_latitude", "-90.5"),
        ("location_latitude", "1e1"),
        ("location_longitude", "180.0001"),
        ("location_longitude", "abc"),
        ("location_longitude", "-"),
        ("location_latitude", " 10"),
    ] {
        let mut request = template.example_request();
        request.variables.insert(key.into(), value.into());
        let errors = template.validate_send(&request).unwrap_err();
        assert_eq!(errors.len(), 1, "{key}={value}: {errors:?}");
        assert_eq!(
            errors[0].field().as_deref(),
            Some(format!("variables.{key}").as_str()),
            "{key}={value}"
        );
    }
    let mut request = template.example_request();
    request
        .variables
        .insert("location_name".into(), "a\nb".into());
    assert!(template.validate_send(&request).is_err());
    request
        .variables
        .insert("location_name".into(), "x".repeat(1001));
    assert!(template.validate_send(&request).is_err());
}

#[test]
fn an_authentication_template_listed_with_a_url_button_takes_the_code_once() {
    for (name, otp_type) in [
        ("verification_code", OtpType::CopyCode),
        ("codigo_autofill", OtpType::OneTap),
    ] {
        let template = item(name);
        assert_eq!(keys(&template), ["1"], "{name}: the code is one variable");
        assert_eq!(template.variables()[0].max_length, 15);
        assert!(matches!(
            &template.components().buttons[0],
            TemplateButton::Otp { otp_type: t, .. } if *t == otp_type
        ));
        let mut request = template.example_request();
        request
            .variables
            .insert("1".into(), "123456789012345".into());
        assert!(template.validate_send(&request).is_ok());
        request
            .variables
            .insert("1".into(), "1234567890123456".into());
        let errors = template.validate_send(&request).unwrap_err();
        assert_eq!(errors[0].code(), "variable_too_long");
        request.variables.insert("1".into(), "12 34".into());
        assert!(
            template.validate_send(&request).is_err(),
            "a code is one word"
        );
    }
    assert_eq!(
        item("verification_code").components().footer.as_deref(),
        Some("This code expires in 10 minutes.")
    );
}

#[test]
fn carousel_offer_catalog_multi_product_and_flow_templates_are_kept_but_unsupported() {
    for (name, kind, field) in [
        (
            "summer_carousel",
            UnsupportedKind::Carousel,
            "components[1].type",
        ),
        (
            "oferta_relampago",
            UnsupportedKind::LimitedTimeOffer,
            "components[1].type",
        ),
        (
            "catalogo_novidades",
            UnsupportedKind::Catalog,
            "components[2].buttons[0].type",
        ),
        (
            "abandoned_cart_items",
            UnsupportedKind::MultiProduct,
            "components[2].buttons[0].type",
        ),
        (
            "agendar_visita",
            UnsupportedKind::Flow,
            "components[1].buttons[0].type",
        ),
    ] {
        let template = item(name);
        let unsupported = template.unsupported().unwrap_or_else(|| panic!("{name}"));
        assert_eq!(unsupported.kind, kind, "{name}");
        assert!(
            unsupported.reason.starts_with(field),
            "{name}: {}",
            unsupported.reason
        );
        assert!(!template.is_sendable(), "{name} is never offered");
        assert_eq!(template.status(), TemplateStatus::Approved);
        assert!(!template.components().body.is_empty());
    }
}

#[test]
fn media_and_phone_buttons_of_the_listing_are_supported() {
    let boleto = item("boleto_pdf");
    assert!(boleto.is_sendable());
    assert_eq!(keys(&boleto), ["header_url", "1", "2", "button_1"]);
    assert_eq!(boleto.variables()[3].example, "b-77");
    let video = item("video_boas_vindas");
    assert_eq!(video.status(), TemplateStatus::Paused);
    assert!(matches!(
        video.components().header,
        Some(TemplateHeader::Video { .. })
    ));
}
