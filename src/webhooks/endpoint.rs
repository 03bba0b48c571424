//! Where webhooks may call, and the client that calls them. Server-side request forgery is the
//! danger: an owner could point a webhook at the platform's own network (a database, a cloud metadata
//! service). So only `https` URLs are accepted, every address a host name resolves to must be a public
//! one, checked when the connection is made (after DNS resolution, so a name that changes its answer
//! cannot slip through), an address written in the URL is checked too, and redirects are never
//! followed. `MULTISTORE_WEBHOOK_ALLOW_PRIVATE=true` lifts the rules for development and tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2_048;
/// An attempt not answered within this is a failure (CONTRACT.md section 8).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks a webhook URL; the reason when it is refused.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, &'static str> {
    if raw.len() > MAX_URL_LEN {
        return Err("the URL is too long (at most 2,048 characters)");
    }
    let url = Url::parse(raw.trim()).map_err(|_| "not a URL")?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("the URL must be https"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not hold credentials");
    }
    let public = match url.host() {
        None => return Err("the URL has no host"),
        Some(Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name != "localhost" && !name.ends_with(".localhost") && name.contains('.')
        }
    };
    if !public && !allow_private {
        return Err("the URL must name a public host");
    }
    Ok(url)
}

/// Whether an address is one of the public internet's: not loopback, private, link-local, shared,
/// multicast, documentation, benchmarking or reserved (IPv4 within IPv6 judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            let nat64 = segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            if nat64 {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00 // unique local
                || (segments[0] & 0xffc0) == 0xfe80 // link-local
                || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::from_bits(1)
                || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// Resolves host names for the webhook client, refusing a name any of whose addresses is not public.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.iter().any(|addr| !is_public(addr.ip())) {
                return Err(format!("{host} resolves to a private address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client of the deliveries: a timeout per attempt, no redirects, no proxy from the
/// environment, and (unless private addresses are allowed) only public addresses.
pub fn client(allow_private: bool) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .no_proxy()
        // Idle connections kept per host, and for how long: what a store's endpoint may hold open.
        .pool_max_idle_per_host(8)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("multistore-webhooks/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_urls_pass() {
        for good in [
            "https://hooks.example.com/x",
            "https://8.8.8.8/",
            "https://[2606:4700::1]/",
        ] {
            assert!(check_url(good, false).is_ok(), "{good}");
        }
        for bad in [
            "http://hooks.example.com/x",
            "https://localhost/x",
            "https://api.localhost/",
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[fd00::1]/",
            "https://[64:ff9b::a00:1]/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://intranet/",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
            "not a url",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url(&format!("https://a.example.com/{}", "x".repeat(3000)), true).is_err());
    }
}
