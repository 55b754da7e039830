//! `BaseUrl`: the one validator for a server's base URL, used by the config and the client.
//!
//! Parsed with `url` (as reqwest does), so the rules see the host reqwest will connect to:
//! host case, a trailing dot and the default port do not change which server it is, and
//! "loopback" means an address that cannot leave this machine, not a name that looks like one.

use std::fmt;

use reqwest::Url;
use url::Host;

/// P100's production host (real money).
pub const PRODUCTION_HOST: &str = "partner-api.p100.io";
/// P100's staging host (test money).
pub const STAGE_HOST: &str = "partner-api-stage.p100.io";

/// Which of P100's servers a URL points at, judged by its host alone: the production host
/// on another port or behind a path prefix is still production and gets production's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownServer {
    Production,
    Stage,
}

/// A validated, normalised base URL: `http(s)://host[:port][/prefix]`, no trailing slash, no
/// credentials, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: Url,
    /// `url` without the trailing slash `Url` always writes after an empty path.
    text: String,
}

/// Why a base URL was refused. The text follows the URL, e.g. `"x" has no host`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("is not a URL ({0})")]
    NotAUrl(String),
    #[error("must start with https:// (or http:// for a server on this machine)")]
    Scheme,
    #[error("has no host")]
    NoHost,
    #[error("must not contain a user name or password")]
    Credentials,
    #[error("must not contain a query or fragment")]
    QueryOrFragment,
}

impl BaseUrl {
    pub fn parse(raw: &str) -> Result<Self, BaseUrlError> {
        let trimmed = raw.trim();
        let mut url =
            Url::parse(trimmed).map_err(|error| BaseUrlError::NotAUrl(error.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BaseUrlError::Scheme);
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(BaseUrlError::NoHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Credentials in a URL end up in logs; the key belongs in a key file.
            return Err(BaseUrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(BaseUrlError::QueryOrFragment);
        }
        // `partner-api.p100.io.` is the same host as `partner-api.p100.io`.
        if let Some(Host::Domain(domain)) = url.host() {
            let without_dot = domain.trim_end_matches('.');
            if without_dot.is_empty() {
                return Err(BaseUrlError::NoHost);
            }
            if without_dot.len() != domain.len() {
                let without_dot = without_dot.to_owned();
                url.set_host(Some(&without_dot))
                    .map_err(|error| BaseUrlError::NotAUrl(error.to_string()))?;
            }
        }
        let text = url.as_str().trim_end_matches('/').to_owned();
        Ok(Self { url, text })
    }

    /// The normalised URL, without a trailing slash: paths are appended to it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// Only `localhost`, 127.0.0.0/8 and ::1 are loopback; `127.example.com` is a name
    /// anyone can point anywhere.
    pub fn is_loopback(&self) -> bool {
        match self.url.host() {
            Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(address)) => address.is_loopback(),
            Some(Host::Ipv6(address)) => address.is_loopback(),
            None => false,
        }
    }

    /// Whether the host is one of P100's, however the URL was written.
    pub fn known_server(&self) -> Option<KnownServer> {
        match self.url.host_str()? {
            PRODUCTION_HOST => Some(KnownServer::Production),
            STAGE_HOST => Some(KnownServer::Stage),
            _ => None,
        }
    }

    /// The path after the host ("" for none), e.g. to notice a redundant `/v1`.
    pub fn path(&self) -> &str {
        self.url.path().trim_end_matches('/')
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> BaseUrl {
        BaseUrl::parse(raw).unwrap_or_else(|error| panic!("{raw:?}: {error}"))
    }

    #[test]
    fn urls_are_normalised() {
        assert_eq!(
            parse("https://partner-api-stage.p100.io/").as_str(),
            "https://partner-api-stage.p100.io"
        );
        assert_eq!(
            parse("http://127.0.0.1:8080").as_str(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            parse(" http://proxy.local/p100/ ").as_str(),
            "http://proxy.local/p100"
        );
        assert_eq!(
            parse("HTTPS://Partner-API.P100.io.:443/").as_str(),
            "https://partner-api.p100.io"
        );
    }

    #[test]
    fn production_is_recognised_however_it_is_written() {
        for raw in [
            "https://partner-api.p100.io",
            "https://PARTNER-API.p100.IO/",
            "https://partner-api.p100.io.",
            "https://partner-api.p100.io:443",
            "https://partner-api.p100.io:8443/prefix",
            "http://partner-api.p100.io",
        ] {
            assert_eq!(
                parse(raw).known_server(),
                Some(KnownServer::Production),
                "{raw}"
            );
        }
        assert_eq!(
            parse("https://partner-api-stage.p100.io.").known_server(),
            Some(KnownServer::Stage)
        );
        for raw in [
            "https://partner-api.p100.io.evil.com",
            "https://xpartner-api.p100.io",
            "http://127.0.0.1:1",
        ] {
            assert_eq!(parse(raw).known_server(), None, "{raw}");
        }
    }

    #[test]
    fn only_loopback_is_loopback() {
        for raw in [
            "http://localhost:1",
            "http://LOCALHOST.:1",
            "http://127.0.0.1",
            "http://127.9.8.7:5",
            "http://[::1]:80",
            "http://127.1",
        ] {
            assert!(parse(raw).is_loopback(), "{raw}");
        }
        for raw in [
            "http://127.example.com",
            "http://localhost.example.com",
            "http://10.0.0.5",
            "http://[::2]",
            "http://0.0.0.0",
            "http://128.0.0.1",
        ] {
            assert!(!parse(raw).is_loopback(), "{raw}");
        }
    }

    #[test]
    fn bad_base_urls_are_refused() {
        let refused = [
            ("", "not a URL"),
            ("partner-api.p100.io", "not a URL"),
            ("ftp://partner-api.p100.io", "https://"),
            ("https://user:pw@partner-api.p100.io", "password"),
            ("https://partner-api.p100.io/?x=1", "query"),
            ("https://partner-api.p100.io/#frag", "query"),
            ("https://", "URL"),
            ("http://./", "host"),
        ];
        for (raw, why) in refused {
            let error = BaseUrl::parse(raw).expect_err(raw);
            assert!(error.to_string().contains(why), "{raw}: {error}");
        }
    }
}
