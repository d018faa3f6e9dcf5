use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn integration(variables: &[(&str, &str)]) -> Integration {
    Integration {
        token_url: "https://api.example/oauth/token".into(),
        send_url: "https://api.example/v1/campaigns/c1/messages".into(),
        credentials: Credentials {
            client_id: "cli_123".into(),
            client_secret: "sk_live_abcdef123456".into(),
        },
        body: SendMessageRequest {
            to: "+5511987654321".into(),
            variables: variables
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        },
    }
}

const HOSTILE: &str = "Ana's \"café\" 🎉 $HOME `id` \\n 100% #{x}\nline 2";

#[test]
fn the_bash_snippet_is_the_curl_the_app_copied_before() {
    let integration = integration(&[("1", HOSTILE)]);
    let snippet = integration.render(SnippetLang::CurlBash);
    assert_eq!(
        snippet.token,
        curl::token_curl(&integration.token_url, "cli_123", "sk_live_abcdef123456")
    );
    assert_eq!(
        snippet.send,
        curl::send_curl(&integration.send_url, &integration.body)
    );
}

#[test]
fn a_masked_integration_shows_no_secret_in_any_language() {
    let masked = integration(&[("1", "x")]).masked();
    for lang in SnippetLang::ALL {
        let snippet = masked.render(lang);
        assert!(
            !snippet.token.contains("abcdef"),
            "{lang:?}: {}",
            snippet.token
        );
        assert!(
            snippet.token.contains("sk_l"),
            "{lang:?}: {}",
            snippet.token
        );
        assert!(snippet.token.contains("cli_123"), "{lang:?}");
    }
}

#[test]
fn every_language_reads_the_token_of_step_two_from_engage_token() {
    let integration = integration(&[("1", "x")]);
    for lang in SnippetLang::ALL {
        let snippet = integration.render(lang);
        assert!(
            snippet.send.contains("ENGAGE_TOKEN"),
            "{lang:?}: {}",
            snippet.send
        );
        assert!(!snippet.send.contains("sk_live"), "{lang:?}");
        assert!(snippet.token.contains("sk_live_abcdef123456"), "{lang:?}");
    }
}

#[test]
fn the_power_shell_snippet_is_pinned() {
    let snippet = integration(&[("1", HOSTILE), ("nome", "Zoë")]).render(SnippetLang::PowerShell);
    assert_eq!(
        snippet.token,
        "$credentials = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('cli_123:sk_live_abcdef123456'))\n\
         $response = Invoke-RestMethod -Method Post -Uri 'https://api.example/oauth/token' `\n  \
         -Headers @{ Authorization = \"Basic $credentials\" } `\n  \
         -ContentType 'application/x-www-form-urlencoded' `\n  \
         -Body @{ 'grant_type' = 'client_credentials' }\n\
         $env:ENGAGE_TOKEN = $response.access_token\n\
         $response\n"
    );
    assert_eq!(
        snippet.send,
        "$body = @'\n\
         {\n  \"to\": \"+5511987654321\",\n  \"variables\": {\n    \
         \"1\": \"Ana's \\\"caf\\u00e9\\\" \\ud83c\\udf89 $HOME `id` \\\\n 100% #{x}\\u000aline 2\",\n    \
         \"nome\": \"Zo\\u00eb\"\n  }\n}\n\
         '@\n\
         Invoke-RestMethod -Method Post -Uri 'https://api.example/v1/campaigns/c1/messages' `\n  \
         -Headers @{ Authorization = \"Bearer $env:ENGAGE_TOKEN\" } `\n  \
         -ContentType 'application/json; charset=utf-8' `\n  \
         -Body ([Text.Encoding]::UTF8.GetBytes($body))\n"
    );
}

#[test]
fn the_c_sharp_snippet_is_pinned() {
    let snippet = integration(&[("1", HOSTILE)]).render(SnippetLang::CSharp);
    assert_eq!(
        snippet.token,
        "using System.Net.Http.Headers;\nusing System.Text;\n\n\
         using var client = new HttpClient();\n\
         var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(\"cli_123:sk_live_abcdef123456\"));\n\
         client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(\"Basic\", credentials);\n\
         var content = new FormUrlEncodedContent(new Dictionary<string, string>\n{\n    \
         [\"grant_type\"] = \"client_credentials\",\n});\n\
         var response = await client.PostAsync(\"https://api.example/oauth/token\", content);\n\
         Console.WriteLine(await response.Content.ReadAsStringAsync());\n"
    );
    assert_eq!(
        snippet.send,
        "using System.Net.Http.Headers;\nusing System.Text;\n\n\
         using var client = new HttpClient();\n\
         client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(\n    \
         \"Bearer\", Environment.GetEnvironmentVariable(\"ENGAGE_TOKEN\"));\n\
         var json = @\"{\n  \"\"to\"\": \"\"+5511987654321\"\",\n  \"\"variables\"\": {\n    \
         \"\"1\"\": \"\"Ana's \\\"\"café\\\"\" 🎉 $HOME `id` \\\\n 100% #{x}\\nline 2\"\"\n  }\n}\";\n\
         var content = new StringContent(json, Encoding.UTF8, \"application/json\");\n\
         var response = await client.PostAsync(\"https://api.example/v1/campaigns/c1/messages\", content);\n\
         Console.WriteLine(await response.Content.ReadAsStringAsync());\n"
    );
}

#[test]
fn the_cmd_snippet_is_one_line_per_option_with_a_pure_ascii_body() {
    let snippet = integration(&[("1", HOSTILE)]).render(SnippetLang::CurlCmd);
    assert_eq!(
        snippet.token,
        "curl.exe -sS -X POST \"https://api.example/oauth/token\" ^\n  \
         -u \"cli_123:sk_live_abcdef123456\" ^\n  \
         -H \"Content-Type: application/x-www-form-urlencoded\" ^\n  \
         -d \"grant_type=client_credentials\""
    );
    assert_eq!(
        snippet.send,
        "curl.exe -sS -X POST \"https://api.example/v1/campaigns/c1/messages\" ^\n  \
         -H \"Authorization: Bearer %ENGAGE_TOKEN%\" ^\n  \
         -H \"Content-Type: application/json\" ^\n  \
         -d \"{\\\"to\\\":\\\"+5511987654321\\\",\\\"variables\\\":{\\\"1\\\":\\\"Ana's \\u0022caf\\u00e9\\u0022 \\ud83c\\udf89 $HOME `id` \\u005cn 100\\u0025 #{x}\\u000aline 2\\\"}}\""
    );
}

#[test]
fn java_strings_stay_ascii_and_never_use_unicode_escapes_for_line_breaks() {
    assert_eq!(
        java::quote("a\nb\u{1}é🎉\\u000a"),
        "\"a\\nb\\001\\u00e9\\ud83c\\udf89\\\\u000a\""
    );
}

#[test]
fn each_language_escapes_its_own_interpolation_sigil() {
    assert_eq!(php::quote("$HOME {$x}"), "\"\\$HOME {\\$x}\"");
    assert_eq!(ruby::quote("#{x} \"q\""), "\"\\#{x} \\\"q\\\"\"");
    assert_eq!(python::quote("a\"b\\c\u{7f}"), "\"a\\\"b\\\\c\\x7f\"");
    assert_eq!(node::quote("\u{2028}`${x}`"), "\"\\u2028`${x}`\"");
    assert_eq!(go::quote("\u{85}ç"), "\"\\u0085ç\"");
    assert_eq!(windows::ps_quote("it's ’"), "'it''s ’’'");
}

proptest! {
    #[test]
    fn the_ascii_json_of_any_body_parses_back_to_the_same_request(
        variables in proptest::collection::btree_map("\\PC{0,6}", any::<String>(), 0..4),
        to in any::<String>(),
        pretty in any::<bool>(),
    ) {
        let request = SendMessageRequest { to, variables };
        for keep in [json::printable_ascii as fn(char) -> bool, windows::cmd_safe] {
            let text = json::body(&request, pretty, keep);
            prop_assert!(text.is_ascii());
            let parsed: SendMessageRequest = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&parsed, &request);
        }
    }
}

#[test]
fn the_ascii_json_is_laid_out_like_serde_json_pretty() {
    let request = integration(&[("1", "a"), ("2", "b")]).body;
    assert_eq!(
        json::body(&request, true, json::printable_ascii),
        serde_json::to_string_pretty(&request).unwrap()
    );
    let empty = SendMessageRequest {
        to: "+1".into(),
        variables: BTreeMap::new(),
    };
    assert_eq!(
        json::body(&empty, true, json::printable_ascii),
        serde_json::to_string_pretty(&empty).unwrap()
    );
}
