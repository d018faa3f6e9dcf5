//! Property tests: phone numbers, campaign names, template rendering.

use std::collections::BTreeMap;

use engage_core::wire::{SendMessageRequest, TemplateCategory, TemplateComponents, TemplateStatus};
use engage_core::{name_key, CampaignName, PhoneNumber, Template, TemplateDefinition};
use proptest::prelude::*;

/// Brazilian mobiles (+55 DDD 9XXXX-XXXX) with a real area code.
fn brazilian_mobile() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![11u32, 21, 31, 41, 51, 61, 71, 81, 85, 91]),
        0u32..100_000_000,
    )
        .prop_map(|(ddd, rest)| format!("+55{ddd}9{rest:08}"))
}

proptest! {
    #[test]
    fn valid_numbers_round_trip_through_e164(number in brazilian_mobile()) {
        let phone = PhoneNumber::parse(&number).unwrap();
        prop_assert_eq!(phone.as_e164(), number.as_str());
        let again = PhoneNumber::parse(phone.display()).unwrap();
        prop_assert_eq!(&again, &phone);
        let json = serde_json::to_string(&phone).unwrap();
        prop_assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), phone);
    }

    #[test]
    fn formatted_variants_parse_to_the_same_number(number in brazilian_mobile(), sep in "[ .-]") {
        let digits = &number[3..];
        let formatted = format!("+55 ({}) {}{}{}", &digits[..2], &digits[2..7], sep, &digits[7..]);
        prop_assert_eq!(PhoneNumber::parse(&formatted).unwrap().as_e164().to_owned(), number);
    }

    #[test]
    fn garbage_never_panics(input in any::<String>()) {
        if let Err(error) = PhoneNumber::parse(&input) {
            prop_assert_eq!(error.code(), "invalid_phone_number");
        }
    }

    #[test]
    fn digit_garbage_never_panics(input in "\\+?[0-9 ()+.-]{0,40}") {
        if let Ok(phone) = PhoneNumber::parse(&input) {
            prop_assert!(phone.as_e164().starts_with('+'));
        }
    }

    #[test]
    fn name_key_is_idempotent(input in "\\PC{1,60}") {
        if let Ok(name) = CampaignName::parse(&input) {
            let key = name.key();
            prop_assert_eq!(name_key(&key), key.clone());
            if let Ok(key_as_name) = CampaignName::parse(&key) {
                prop_assert_eq!(key_as_name.key(), key);
            }
        }
    }

    #[test]
    fn name_key_ignores_case_width_and_spacing(words in prop::collection::vec("[a-zA-Zà-ÿ]{1,10}", 1..5)) {
        let name = words.join(" ");
        let key = CampaignName::parse(&name).unwrap().key();
        let upper = words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>().join("  ");
        prop_assert_eq!(CampaignName::parse(&format!("  {upper}\t"))
            .map(|n| n.key()).unwrap_or_else(|_| name_key(&upper)), key.clone());
        let wide: String = name
            .chars()
            .map(|c| if c.is_ascii_alphabetic() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c })
            .collect();
        prop_assert_eq!(CampaignName::parse(&wide).unwrap().key(), key);
    }

    #[test]
    fn accents_are_preserved_in_display(words in prop::collection::vec("[a-zà-ÿ]{1,10}", 1..5)) {
        let name = words.join(" ");
        prop_assert_eq!(CampaignName::parse(&name).unwrap().as_str().to_owned(), name);
    }

    #[test]
    fn name_parsing_never_panics(input in any::<String>()) {
        match CampaignName::parse(&input) {
            Ok(name) => {
                prop_assert!(!name.as_str().is_empty());
                prop_assert!(name.as_str().chars().count() <= 120);
                prop_assert_eq!(name.as_str().trim(), name.as_str());
            }
            Err(error) => prop_assert!(error.code().starts_with("campaign_name_")),
        }
    }
}

fn body_template(body: &str) -> Template {
    Template::new(TemplateDefinition {
        name: "t".into(),
        language: "pt_BR".into(),
        category: TemplateCategory::Utility,
        status: TemplateStatus::Approved,
        components: TemplateComponents {
            header: None,
            body: body.into(),
            footer: None,
            buttons: vec![],
        },
        examples: BTreeMap::new(),
        unsupported: None,
    })
    .unwrap()
}

/// One-line values WhatsApp accepts in a body parameter.
fn body_value() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{1,200}".prop_filter("no 4 spaces, not blank", |v| {
        !v.contains("    ") && !v.trim().is_empty()
    })
}

proptest! {
    #[test]
    fn rendering_puts_every_value_in_place(a in body_value(), b in body_value()) {
        let template = body_template("Olá {{1}}, seu saldo é {{2}}. 🎉");
        let variables = BTreeMap::from([("1".to_owned(), a.clone()), ("2".to_owned(), b.clone())]);
        let rendered = template.render(&variables);
        prop_assert_eq!(rendered.body, format!("Olá {a}, seu saldo é {b}. 🎉"));
    }

    #[test]
    fn values_with_braces_are_not_expanded_again(a in "\\{\\{[0-9a-z_]{1,5}\\}\\}", b in body_value()) {
        let template = body_template("{{1}}-{{2}}");
        let variables = BTreeMap::from([("1".to_owned(), a.clone()), ("2".to_owned(), b.clone())]);
        prop_assert_eq!(template.render(&variables).body, format!("{a}-{b}"));
    }

    #[test]
    fn render_and_validate_never_panic(
        body in "\\PC{0,80}",
        variables in prop::collection::btree_map("[0-9a-z_]{1,4}", any::<String>(), 0..4),
        to in any::<String>(),
    ) {
        if let Ok(template) = Template::new(TemplateDefinition {
            name: "t".into(),
            language: "pt_BR".into(),
            category: TemplateCategory::Marketing,
            status: TemplateStatus::Approved,
            components: TemplateComponents { header: None, body, footer: None, buttons: vec![] },
            examples: BTreeMap::new(),
            unsupported: None,
        }) {
            let _ = template.render(&variables);
            let request = SendMessageRequest { to, variables };
            if let Err(errors) = template.validate_send(&request) {
                prop_assert!(!errors.is_empty());
            }
        }
    }

    #[test]
    fn long_values_are_accepted_up_to_the_limit(len in 1usize..=1000) {
        let template = body_template("{{1}}!");
        let value = "é".repeat(len);
        let request = SendMessageRequest {
            to: "+5511987654321".into(),
            variables: BTreeMap::from([("1".to_owned(), value.clone())]),
        };
        let sent = template.validate_send(&request).unwrap();
        prop_assert_eq!(sent.rendered.body, format!("{value}!"));
    }
}

const LISTING: &str = include_str!("fixtures/listing.json");
const NAMED: &str = include_str!("fixtures/named_order_update.json");

proptest! {
    #[test]
    fn every_declared_variable_appears_in_the_rendered_message(
        seed in prop::collection::vec("[A-Za-z0-9]{3,8}", 6),
    ) {
        let templates = engage_core::parse_meta_templates(LISTING)
            .unwrap()
            .into_iter()
            .chain(engage_core::parse_meta_templates(NAMED).unwrap());
        for template in templates {
            let variables: BTreeMap<String, String> = template
                .variables()
                .iter()
                .zip(&seed)
                .map(|(v, marker)| {
                    let value = if v.key == "header_url" {
                        format!("https://cdn.example/{marker}.jpg")
                    } else {
                        format!("Z{marker}")
                    };
                    (v.key.clone(), value)
                })
                .collect();
            let request = SendMessageRequest { to: "+5511987654321".into(), variables };
            let sent = template.validate_send(&request).unwrap();
            let text = engage_core::RenderedMessageExt::to_plain_text(&sent.rendered);
            for value in request.variables.values() {
                prop_assert!(text.contains(value.as_str()), "{} missing from {}", value, text);
            }
            prop_assert!(!text.contains("{{"), "unrendered placeholder in {}", text);
        }
    }
}
