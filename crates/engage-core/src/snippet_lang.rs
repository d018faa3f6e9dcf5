//! The languages the integration code is shown and copied in: the one list the snippet
//! generator, the callback-verification recipes, the app's picker and the CLI all use.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// A language (or shell) a snippet is rendered in. `CurlBash` is first and the default, as
/// in the help article.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SnippetLang {
    /// curl for bash/zsh.
    #[default]
    CurlBash,
    /// PowerShell's `Invoke-RestMethod`.
    PowerShell,
    /// `curl.exe` quoted for Windows' `cmd.exe`.
    CurlCmd,
    /// Python with `requests`.
    Python,
    /// Node.js with the built-in `fetch`.
    Node,
    /// PHP with the cURL extension.
    Php,
    /// Java's `java.net.http.HttpClient`.
    Java,
    /// C#'s `HttpClient`.
    CSharp,
    /// Go's `net/http`.
    Go,
    /// Ruby's `net/http`.
    Ruby,
}

impl SnippetLang {
    /// Every language, in the order the app's picker shows them.
    pub const ALL: [SnippetLang; 10] = [
        SnippetLang::CurlBash,
        SnippetLang::PowerShell,
        SnippetLang::CurlCmd,
        SnippetLang::Python,
        SnippetLang::Node,
        SnippetLang::Php,
        SnippetLang::Java,
        SnippetLang::CSharp,
        SnippetLang::Go,
        SnippetLang::Ruby,
    ];

    /// The stable name used on the wire, in the CLI (`--lang`) and in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            SnippetLang::CurlBash => "curl_bash",
            SnippetLang::PowerShell => "power_shell",
            SnippetLang::CurlCmd => "curl_cmd",
            SnippetLang::Python => "python",
            SnippetLang::Node => "node",
            SnippetLang::Php => "php",
            SnippetLang::Java => "java",
            SnippetLang::CSharp => "c_sharp",
            SnippetLang::Go => "go",
            SnippetLang::Ruby => "ruby",
        }
    }

    /// The name people know it by (not translated).
    pub fn label(self) -> &'static str {
        match self {
            SnippetLang::CurlBash => "curl (bash/zsh)",
            SnippetLang::PowerShell => "PowerShell",
            SnippetLang::CurlCmd => "curl.exe (cmd)",
            SnippetLang::Python => "Python",
            SnippetLang::Node => "Node.js",
            SnippetLang::Php => "PHP",
            SnippetLang::Java => "Java",
            SnippetLang::CSharp => "C#",
            SnippetLang::Go => "Go",
            SnippetLang::Ruby => "Ruby",
        }
    }

    /// Parses [`as_str`](Self::as_str)'s name.
    pub fn parse(name: &str) -> Option<SnippetLang> {
        SnippetLang::ALL
            .into_iter()
            .find(|lang| lang.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::SnippetLang;

    #[test]
    fn every_language_round_trips_through_its_name_and_its_json() {
        for lang in SnippetLang::ALL {
            assert_eq!(SnippetLang::parse(lang.as_str()), Some(lang));
            let json = serde_json::to_string(&lang).unwrap();
            assert_eq!(json, format!("\"{}\"", lang.as_str()));
        }
    }

    #[test]
    fn curl_for_bash_is_the_default_and_first() {
        assert_eq!(SnippetLang::default(), SnippetLang::CurlBash);
        assert_eq!(SnippetLang::ALL[0], SnippetLang::CurlBash);
    }
}
