//! Where a callback may go (SSRF protection). A URL is refused when it is not http(s), has
//! credentials, or names a loopback / private / link-local / otherwise non-public address —
//! unless the server allows private destinations (`ENGAGE_CALLBACKS_ALLOW_PRIVATE=1`). Names
//! are checked after DNS resolution by [`PublicResolver`], the HTTP client's resolver, so a
//! name that resolves to 127.0.0.1 is refused at the moment of the connection; the client
//! follows no redirects.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Longest callback URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("the callback URL is not a valid http(s) URL: {0}")]
    Invalid(String),
    #[error("callbacks to {0} are not allowed: it is a loopback, private or link-local address")]
    NotPublic(String),
}

impl DestinationError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            DestinationError::Invalid(_) => "invalid_callback_url",
            DestinationError::NotPublic(_) => "callback_destination_not_allowed",
        }
    }
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Carrier-grade NAT (100.64.0.0/10) and the 240/4 reserved block.
        || (a == 100 && (64..128).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local (fc00::/7) and link-local (fe80::/10).
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

/// Parses and checks a callback URL: http(s), a host, no credentials; an IP-literal host
/// must be public unless `allow_private`. (Names are checked when resolved.)
pub fn check_url(input: &str, allow_private: bool) -> Result<Url, DestinationError> {
    let invalid = |why: &str| DestinationError::Invalid(why.to_owned());
    if input.len() > MAX_URL_LEN {
        return Err(invalid("it is longer than 2048 characters"));
    }
    let url = Url::parse(input.trim()).map_err(|error| invalid(&error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http and https are supported"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not carry a user name or password"));
    }
    let ip = match url.host() {
        None => return Err(invalid("it has no host")),
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !allow_private && (name == "localhost" || name.ends_with(".localhost")) {
                return Err(DestinationError::NotPublic(name));
            }
            None
        }
    };
    if let Some(ip) = ip {
        if !allow_private && !is_public(ip) {
            return Err(DestinationError::NotPublic(ip.to_string()));
        }
    }
    Ok(url)
}

/// The callback client's DNS resolver: the system's answer without the non-public
/// addresses (all of them refused: the connection fails with `NotPublic`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicResolver;

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(DestinationError::NotPublic(host)) as _);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_private_and_link_local_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "172.32.0.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn a_callback_url_must_be_http_without_credentials_and_public_unless_allowed() {
        assert!(check_url("https://shop.example.com/hook", false).is_ok());
        for (url, code) in [
            ("ftp://example.com/", "invalid_callback_url"),
            ("https://user:pw@example.com/", "invalid_callback_url"),
            ("not a url", "invalid_callback_url"),
            ("http://127.0.0.1:9000/", "callback_destination_not_allowed"),
            ("http://[::1]/", "callback_destination_not_allowed"),
            ("http://localhost:8080/", "callback_destination_not_allowed"),
            ("http://api.localhost/", "callback_destination_not_allowed"),
            (
                "http://169.254.169.254/latest/meta-data",
                "callback_destination_not_allowed",
            ),
            ("http://2130706433/", "callback_destination_not_allowed"),
        ] {
            assert_eq!(check_url(url, false).unwrap_err().code(), code, "{url}");
        }
        assert!(check_url("http://127.0.0.1:9000/", true).is_ok());
        assert!(check_url("http://localhost:9000/", true).is_ok());
    }

    #[tokio::test]
    async fn a_name_that_resolves_only_to_loopback_is_refused_by_the_resolver() {
        let resolved = PublicResolver.resolve("localhost".parse().unwrap()).await;
        let error = resolved.err().expect("refused").to_string();
        assert!(error.contains("not allowed"), "{error}");
    }
}
