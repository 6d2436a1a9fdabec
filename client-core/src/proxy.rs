//! Proxy selection as the Go clients make it (`net/http.ProxyFromEnvironment`,
//! `golang.org/x/net/http/httpproxy`), read through the same lookup as the
//! rest of the configuration instead of reqwest's own reading of the process
//! environment:
//! - `HTTPS_PROXY` for https targets, `HTTP_PROXY` for http targets (the
//!   upper-case name wins over the lower-case one); a value without a scheme
//!   means `http://`; `ALL_PROXY` is not read (Go does not read it either);
//! - `NO_PROXY`: comma-separated; `*` for everything; `example.com` matches it
//!   and its subdomains, `.example.com` / `*.example.com` only the subdomains;
//!   an IP address or a CIDR range; any of these with `:port`;
//! - `localhost` and loopback addresses are never proxied;
//! - a system's own proxy setting (`VAULT_PROXY_ADDR`, then the older
//!   `VAULT_HTTP_PROXY`) sends every request through that proxy, as the
//!   Vault client does (`NO_PROXY` does not apply to it).
//!
//! An https target goes through the proxy in a `CONNECT` tunnel: the proxy
//! sees the host and port, never the token, which travels inside TLS. An http
//! target is sent to the proxy as is, token included, as by the Go clients.

use std::net::IpAddr;

use url::Url;

use crate::error::{Error, Result};

/// The proxies one client uses.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Proxy for http targets (`HTTP_PROXY`).
    pub http: Option<Url>,
    /// Proxy for https targets (`HTTPS_PROXY`).
    pub https: Option<Url>,
    /// Hosts reached directly (`NO_PROXY`).
    pub no_proxy: String,
    /// One proxy for every request, `NO_PROXY` aside (`VAULT_PROXY_ADDR`).
    pub all: Option<Url>,
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |u: &Option<Url>| u.as_ref().map(redacted);
        f.debug_struct("ProxyConfig")
            .field("http", &shown(&self.http))
            .field("https", &shown(&self.https))
            .field("no_proxy", &self.no_proxy)
            .field("all", &shown(&self.all))
            .finish()
    }
}

/// A proxy URL without its password.
pub(crate) fn redacted(url: &Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("redacted"));
    }
    u.to_string()
}

impl ProxyConfig {
    /// Reads `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` (and their lower-case
    /// forms), then the system's own variables in `own` (first set wins).
    pub fn from_lookup(own: &[&str], get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let any = |names: [&str; 2]| names.iter().find_map(|n| get(n).map(|v| ((*n).to_owned(), v)));
        let parse = |found: Option<(String, String)>| found.map(|(name, v)| parse_proxy(&name, &v)).transpose();
        let mut all = None;
        for name in own {
            if let Some(v) = get(name) {
                all = Some(parse_proxy(name, &v)?);
                break;
            }
        }
        Ok(Self {
            http: parse(any(["HTTP_PROXY", "http_proxy"]))?,
            https: parse(any(["HTTPS_PROXY", "https_proxy"]))?,
            no_proxy: any(["NO_PROXY", "no_proxy"]).map(|(_, v)| v).unwrap_or_default(),
            all,
        })
    }

    /// True when no proxy is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none() && self.all.is_none()
    }

    /// The proxy for `target`, or `None` to connect directly.
    #[must_use]
    pub fn for_target(&self, target: &Url) -> Option<Url> {
        let host = target.host_str()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
            return None;
        }
        if let Some(all) = &self.all {
            return Some(all.clone());
        }
        let proxy = match target.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        let port = target.port_or_known_default().unwrap_or(0);
        if no_proxy_matches(&self.no_proxy, &host, port) { None } else { Some(proxy.clone()) }
    }
}

fn parse_proxy(source: &str, value: &str) -> Result<Url> {
    let value = value.trim();
    let with_scheme = if value.contains("://") { value.to_owned() } else { format!("http://{value}") };
    let url = Url::parse(&with_scheme)
        .map_err(|e| Error::config(source, format!("{:?} is not a valid proxy address ({e})", redact_text(value))))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        "http" | "https" => Err(Error::config(source, "the proxy address has no host")),
        other => Err(Error::config(
            source,
            format!("proxy scheme {other:?} is not supported; use an http:// or https:// proxy"),
        )),
    }
}

/// A proxy value for an error message, without a `user:password@` part.
fn redact_text(value: &str) -> String {
    match value.rsplit_once('@') {
        Some((_, host)) => format!("<credentials>@{host}"),
        None => value.to_owned(),
    }
}

/// Go's `NO_PROXY` matching (`httpproxy.Config.useProxy`).
///
/// ```
/// use client_core::proxy::no_proxy_matches;
/// assert!(no_proxy_matches("example.com", "vault.example.com", 443));
/// assert!(no_proxy_matches("example.com", "example.com", 443));
/// assert!(!no_proxy_matches(".example.com", "example.com", 443));
/// assert!(no_proxy_matches("10.0.0.0/8, vault:8200", "10.1.2.3", 80));
/// assert!(!no_proxy_matches("vault:8200", "vault", 8201));
/// ```
#[must_use]
pub fn no_proxy_matches(no_proxy: &str, host: &str, port: u16) -> bool {
    let host = host.to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    no_proxy.split(',').map(|e| e.trim().to_ascii_lowercase()).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            return match (net.parse::<IpAddr>(), bits.parse::<u8>(), ip) {
                (Ok(net), Ok(bits), Some(ip)) => in_cidr(ip, net, bits),
                _ => false,
            };
        }
        let (entry_host, entry_port) = split_port(&entry);
        if entry_port.is_some_and(|p| p != port) {
            return false;
        }
        let entry_host = entry_host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(entry_ip) = entry_host.parse::<IpAddr>() {
            return ip == Some(entry_ip);
        }
        if ip.is_some() {
            return false;
        }
        let entry_host = entry_host.strip_prefix('*').unwrap_or(entry_host);
        match entry_host.strip_prefix('.') {
            Some(_) => host.ends_with(entry_host),
            None => host == entry_host || host.ends_with(&format!(".{entry_host}")),
        }
    })
}

/// `host:port` → (`host`, port); IPv6 literals keep their colons.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((h, p)) = rest.split_once("]:") {
            return (h, p.parse().ok());
        }
        return (entry, None);
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, p.parse().ok()),
        _ => (entry, None),
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    }

    fn target(u: &str) -> Url {
        Url::parse(u).unwrap()
    }

    #[test]
    fn scheme_picks_the_proxy_and_loopback_is_direct() {
        let p = ProxyConfig::from_lookup(
            &[],
            env(&[("HTTP_PROXY", "proxy:3128"), ("https_proxy", "http://sproxy:3129"), ("NO_PROXY", "internal")]),
        )
        .unwrap();
        assert_eq!(p.for_target(&target("http://consul.test:8500")).unwrap().as_str(), "http://proxy:3128/");
        assert_eq!(p.for_target(&target("https://vault.test:8200")).unwrap().as_str(), "http://sproxy:3129/");
        for direct in ["https://127.0.0.1:8200", "http://localhost:8500", "https://[::1]:8200", "https://internal"] {
            assert!(p.for_target(&target(direct)).is_none(), "{direct}");
        }
    }

    #[test]
    fn upper_case_wins_and_the_systems_own_proxy_takes_everything() {
        let p = ProxyConfig::from_lookup(&[], env(&[("HTTPS_PROXY", "http://upper"), ("https_proxy", "http://lower")]))
            .unwrap();
        assert_eq!(p.https.unwrap().host_str(), Some("upper"));
        let own = ["VAULT_PROXY_ADDR", "VAULT_HTTP_PROXY"];
        let p = ProxyConfig::from_lookup(
            &own,
            env(&[("VAULT_HTTP_PROXY", "http://old"), ("VAULT_PROXY_ADDR", "http://new"), ("NO_PROXY", "*")]),
        )
        .unwrap();
        assert_eq!(p.for_target(&target("http://vault.test:8200")).unwrap().host_str(), Some("new"));
        let p = ProxyConfig::from_lookup(&own, env(&[("VAULT_HTTP_PROXY", "http://old")])).unwrap();
        assert_eq!(p.for_target(&target("https://vault.test:8200")).unwrap().host_str(), Some("old"));
    }

    #[test]
    fn bad_proxies_are_named_without_credentials() {
        let err = ProxyConfig::from_lookup(&[], env(&[("HTTPS_PROXY", "socks5://u:pw@h:1080")])).unwrap_err();
        assert!(err.to_string().contains("HTTPS_PROXY") && err.to_string().contains("socks5"), "{err}");
        let err = ProxyConfig::from_lookup(&[], env(&[("HTTP_PROXY", "http://u:hunter2@[bad")])).unwrap_err();
        assert!(err.to_string().contains("HTTP_PROXY") && !err.to_string().contains("hunter2"), "{err}");
        let p = ProxyConfig::from_lookup(&[], env(&[("HTTP_PROXY", "http://u:hunter2@proxy:1")])).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn no_proxy_rules() {
        assert!(no_proxy_matches("*", "anything", 1));
        assert!(no_proxy_matches("*.example.com", "a.example.com", 1));
        assert!(!no_proxy_matches("*.example.com", "example.com", 1));
        assert!(!no_proxy_matches("example.com", "notexample.com", 1));
        assert!(no_proxy_matches("10.0.0.1", "10.0.0.1", 1));
        assert!(!no_proxy_matches("10.0.0.0/8", "11.0.0.1", 1));
        assert!(no_proxy_matches("fd00::/8", "fd00::1", 1));
        assert!(no_proxy_matches("[fd00::1]:8200", "fd00::1", 8200));
        assert!(!no_proxy_matches("example.com", "10.0.0.1", 1));
    }
}
