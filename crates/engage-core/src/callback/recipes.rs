//! How a receiver verifies `Engage-Signature`, in each language of [`SnippetLang`]: a
//! function taking the endpoint's secret, the header and the raw body, checking the HMAC in
//! constant time and refusing timestamps more than 5 minutes away (replays). The curl
//! "languages" have no receiving side: they get a note instead. The Python and Node.js
//! recipes are run by the server's tests against real signed callbacks.

use crate::SnippetLang;

/// What the documentation screen shows for a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// Code to paste into the receiving endpoint.
    Code(&'static str),
    /// A language that only sends requests (curl, PowerShell's one-liners): verify in the
    /// language the receiving endpoint is written in.
    Note(&'static str),
}

const SHELL_NOTE: &str = "A shell command sends requests; it does not receive callbacks. Verify the Engage-Signature header in the code of the endpoint that receives them: choose its language (Python, Node.js, PHP, Java, C#, Go or Ruby) to see how. The rule: HMAC-SHA256 with the endpoint's secret of \"<t>.<raw body>\", hex, compared in constant time with v1; refuse a t more than 5 minutes away.";

const PYTHON: &str = r#"import hashlib
import hmac
import time


def verify_engage_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """True when `header` (Engage-Signature) signs the raw request `body` with `secret`."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)
"#;

const NODE: &str = r#"const crypto = require('node:crypto');

// True when `header` (Engage-Signature) signs the raw request body (a Buffer) with `secret`.
function verifyEngageSignature(secret, header, rawBody, toleranceSeconds = 300) {
  const parts = Object.fromEntries(
    String(header).split(',').map((item) => {
      const at = item.indexOf('=');
      return [item.slice(0, at), item.slice(at + 1)];
    }),
  );
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds) {
    return false;
  }
  const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.`).update(rawBody).digest('hex');
  const given = Buffer.from(parts.v1 || '', 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && crypto.timingSafeEqual(given, wanted);
}

module.exports = { verifyEngageSignature };
"#;

const PHP: &str = r#"<?php
// True when $header (Engage-Signature) signs the raw body (file_get_contents('php://input')).
function verify_engage_signature(string $secret, string $header, string $body, int $tolerance = 300): bool
{
    $parts = [];
    foreach (explode(',', $header) as $item) {
        [$key, $value] = array_pad(explode('=', $item, 2), 2, '');
        $parts[$key] = $value;
    }
    $t = $parts['t'] ?? '';
    if (!ctype_digit($t) || abs(time() - (int) $t) > $tolerance) {
        return false;
    }
    $expected = hash_hmac('sha256', $t . '.' . $body, $secret);
    return hash_equals($expected, $parts['v1'] ?? '');
}
"#;

const RUBY: &str = r##"require "openssl"

# True when header (Engage-Signature) signs the raw body (request.raw_post / request.body.read).
def verify_engage_signature(secret, header, body, tolerance = 300)
  parts = header.to_s.split(",").map { |item| item.split("=", 2) }.to_h
  t = parts["t"].to_s
  return false unless t.match?(/\A\d+\z/) && (Time.now.to_i - t.to_i).abs <= tolerance
  expected = OpenSSL::HMAC.hexdigest("SHA256", secret, "#{t}.#{body}")
  OpenSSL.secure_compare(expected, parts["v1"].to_s)
end
"##;

const GO: &str = r#"package engage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// VerifyEngageSignature reports whether header (Engage-Signature) signs the raw body.
func VerifyEngageSignature(secret, header string, body []byte, tolerance time.Duration) bool {
	parts := map[string]string{}
	for _, item := range strings.Split(header, ",") {
		if key, value, ok := strings.Cut(item, "="); ok {
			parts[key] = value
		}
	}
	t, err := strconv.ParseInt(parts["t"], 10, 64)
	if err != nil || time.Since(time.Unix(t, 0)).Abs() > tolerance {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts["t"] + "."))
	mac.Write(body)
	expected := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(expected), []byte(parts["v1"]))
}
"#;

const JAVA: &str = r#"import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class EngageSignature {
    /** True when header (Engage-Signature) signs the raw request body. */
    public static boolean verify(String secret, String header, byte[] body, long toleranceSeconds) throws Exception {
        Map<String, String> parts = new HashMap<>();
        for (String item : header.split(",")) {
            int at = item.indexOf('=');
            if (at > 0) parts.put(item.substring(0, at), item.substring(at + 1));
        }
        String t = parts.getOrDefault("t", "");
        if (!t.matches("\\d+") || Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(t)) > toleranceSeconds) {
            return false;
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
        String expected = HexFormat.of().formatHex(mac.doFinal(body));
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
            parts.getOrDefault("v1", "").getBytes(StandardCharsets.UTF_8));
    }
}
"#;

const CSHARP: &str = r#"using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

public static class EngageSignature
{
    // True when header (Engage-Signature) signs the raw request body.
    public static bool Verify(string secret, string header, byte[] body, int toleranceSeconds = 300)
    {
        var parts = header.Split(',')
            .Select(item => item.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1]);
        if (!parts.TryGetValue("t", out var t) || !long.TryParse(t, out var seconds)
            || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > toleranceSeconds)
        {
            return false;
        }
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var signed = Encoding.UTF8.GetBytes(t + ".").Concat(body).ToArray();
        var expected = Convert.ToHexString(hmac.ComputeHash(signed)).ToLowerInvariant();
        var given = parts.TryGetValue("v1", out var v1) ? v1 : "";
        return CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));
    }
}
"#;

/// The verification recipe for `lang`.
pub fn verification_recipe(lang: SnippetLang) -> Recipe {
    match lang {
        SnippetLang::CurlBash | SnippetLang::CurlCmd | SnippetLang::PowerShell => {
            Recipe::Note(SHELL_NOTE)
        }
        SnippetLang::Python => Recipe::Code(PYTHON),
        SnippetLang::Node => Recipe::Code(NODE),
        SnippetLang::Php => Recipe::Code(PHP),
        SnippetLang::Ruby => Recipe::Code(RUBY),
        SnippetLang::Go => Recipe::Code(GO),
        SnippetLang::Java => Recipe::Code(JAVA),
        SnippetLang::CSharp => Recipe::Code(CSHARP),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_recipe_and_every_programming_language_has_code() {
        for lang in SnippetLang::ALL {
            match verification_recipe(lang) {
                Recipe::Code(code) => {
                    assert!(code.contains("v1") && code.contains('.'), "{lang:?}");
                    assert!(
                        code.to_lowercase().contains("sha256"),
                        "{lang:?} uses HMAC-SHA256"
                    );
                }
                Recipe::Note(note) => assert!(
                    matches!(
                        lang,
                        SnippetLang::CurlBash | SnippetLang::CurlCmd | SnippetLang::PowerShell
                    ),
                    "{lang:?}: {note}"
                ),
            }
        }
    }
}
