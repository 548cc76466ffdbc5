//! Where each AWS service is reached: the IdC OIDC and portal bases for the IdC region, Amazon
//! Connect's API base for an instance's region, and how real browser-facing AWS URLs map onto a
//! local emulator.
//!
//! Promises: the defaults are the partition's own hosts (`https://oidc.{region}.{dnsSuffix}`,
//! `https://portal.sso.{region}.{dnsSuffix}`, `https://connect.{region}.{dnsSuffix}`); the
//! environment overrides that botocore and the AWS CLI honour (`AWS_ENDPOINT_URL_SSO_OIDC`,
//! `AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL_CONNECT`, then the global `AWS_ENDPOINT_URL`) and our
//! own [`WEB_ENDPOINT_ENV`] win over them, in that order; an override is an `https` URL, or plain
//! `http` only on a loopback host (an emulator), with no user, query or fragment, else
//! [`Endpoints::resolve`] fails naming the variable. Without a web override, [`Endpoints::reachable`]
//! returns the real URL unchanged.

use std::collections::BTreeMap;

use thiserror::Error;
use url::{Host, Url};

use crate::region::Region;

/// Overrides the IdC OIDC endpoint (as botocore and the AWS CLI read it).
pub const OIDC_ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_SSO_OIDC";
/// Overrides the IdC portal endpoint.
pub const PORTAL_ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_SSO";
/// Overrides the Amazon Connect API endpoint (for every region).
pub const CONNECT_ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_CONNECT";
/// Overrides every service at once, below the per-service variables.
pub const GLOBAL_ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";
/// Ours: the emulator's browser-facing listener, under which `https://HOST/PATH?Q` is served as
/// `{value}/HOST/PATH?Q`.
pub const WEB_ENDPOINT_ENV: &str = "CONNECT_LAUNCHER_WEB_ENDPOINT_URL";

/// The resolved service endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    idc_region: Region,
    oidc: Url,
    portal: Url,
    connect_override: Option<Url>,
    oidc_override: Option<Url>,
    web: Option<Url>,
}

/// An endpoint override that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EndpointError {
    /// Not a URL.
    #[error("{variable} is not a valid URL ({reason}); set it to an address like https://host or http://127.0.0.1:PORT, or unset it")]
    NotAUrl {
        /// The environment variable.
        variable: &'static str,
        /// Why it does not parse.
        reason: String,
    },
    /// Plain http on a host that is not this computer, or another scheme.
    #[error("{variable} must be an https address (plain http only on 127.0.0.1 or localhost, for the emulator); fix or unset it")]
    NotSecure {
        /// The environment variable.
        variable: &'static str,
    },
    /// A user name, password, query or fragment in the URL.
    #[error("{variable} must be a plain base address without a user, password, `?…` or `#…`; fix or unset it")]
    NotABase {
        /// The environment variable.
        variable: &'static str,
    },
}

impl EndpointError {
    /// A bad setting stays bad until someone changes it.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// The OIDC base for a region: `https://oidc.{region}.{dnsSuffix}`.
pub fn default_oidc(region: Region) -> Url {
    aws_url(&format!(
        "oidc.{region}.{}",
        region.partition().dns_suffix()
    ))
}

/// The portal base for a region: `https://portal.sso.{region}.{dnsSuffix}`.
pub fn default_portal(region: Region) -> Url {
    aws_url(&format!(
        "portal.sso.{region}.{}",
        region.partition().dns_suffix()
    ))
}

/// The Connect API base for a region: `https://connect.{region}.{dnsSuffix}`.
pub fn default_connect(region: Region) -> Url {
    aws_url(&format!(
        "connect.{region}.{}",
        region.partition().dns_suffix()
    ))
}

fn aws_url(host: &str) -> Url {
    Url::parse(&format!("https://{host}")).expect("a region name and DNS suffix make a valid host")
}

/// Whether a URL's host is this computer.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Reads one override: absent or blank is `None`.
fn read_override(
    env: &BTreeMap<String, String>,
    variable: &'static str,
) -> Result<Option<Url>, EndpointError> {
    let Some(raw) = env
        .get(variable)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    let url = Url::parse(raw).map_err(|e| EndpointError::NotAUrl {
        variable,
        reason: e.to_string(),
    })?;
    let secure = match url.scheme() {
        "https" => true,
        "http" => is_loopback(&url),
        _ => false,
    };
    if !secure || url.host().is_none() {
        return Err(EndpointError::NotSecure { variable });
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(EndpointError::NotABase { variable });
    }
    Ok(Some(url))
}

impl Endpoints {
    /// Resolves every endpoint for an IdC region from the environment (a snapshot of it, so tests
    /// never read the process environment).
    pub fn resolve(
        idc_region: Region,
        env: &BTreeMap<String, String>,
    ) -> Result<Endpoints, EndpointError> {
        let global = read_override(env, GLOBAL_ENDPOINT_ENV)?;
        let oidc_override = read_override(env, OIDC_ENDPOINT_ENV)?.or_else(|| global.clone());
        let portal_override = read_override(env, PORTAL_ENDPOINT_ENV)?.or_else(|| global.clone());
        let connect_override = read_override(env, CONNECT_ENDPOINT_ENV)?.or_else(|| global.clone());
        let web = read_override(env, WEB_ENDPOINT_ENV)?;
        Ok(Endpoints {
            idc_region,
            oidc: oidc_override
                .clone()
                .unwrap_or_else(|| default_oidc(idc_region)),
            portal: portal_override.unwrap_or_else(|| default_portal(idc_region)),
            connect_override,
            oidc_override,
            web,
        })
    }

    /// The IdC region the OIDC and portal endpoints belong to.
    pub fn idc_region(&self) -> Region {
        self.idc_region
    }

    /// The IdC OIDC base URL.
    pub fn oidc(&self) -> &Url {
        &self.oidc
    }

    /// The IdC portal base URL.
    pub fn portal(&self) -> &Url {
        &self.portal
    }

    /// The Connect API base URL for an instance's region.
    pub fn connect(&self, region: Region) -> Url {
        self.connect_override
            .clone()
            .unwrap_or_else(|| default_connect(region))
    }

    /// The emulator's browser-facing listener, if one is configured.
    pub fn web_override(&self) -> Option<&Url> {
        self.web.as_ref()
    }

    /// The OIDC override, if one is configured (its `/authorize` page is opened in the browser).
    pub fn oidc_override(&self) -> Option<&Url> {
        self.oidc_override.as_ref()
    }

    /// The URL to actually use for a real AWS URL: `https://HOST/PATH?Q` becomes
    /// `{web}/HOST/PATH?Q` when a web override is configured; otherwise (and for anything that is
    /// not an `https` URL with a host) the URL itself.
    pub fn reachable(&self, real: &Url) -> Url {
        let (Some(web), "https", Some(host)) = (&self.web, real.scheme(), real.host_str()) else {
            return real.clone();
        };
        if real.port().is_some() || !real.username().is_empty() || real.password().is_some() {
            return real.clone();
        }
        let base = web.as_str().trim_end_matches('/');
        let rest = &real[url::Position::BeforePath..];
        Url::parse(&format!("{base}/{host}{rest}")).unwrap_or_else(|_| real.clone())
    }

    /// The real AWS URL an emulator URL stands for (the inverse of [`Endpoints::reachable`]);
    /// `None` when the URL is not under the web override.
    pub fn real(&self, url: &Url) -> Option<Url> {
        let web = self.web.as_ref()?;
        if url.origin() != web.origin() {
            return None;
        }
        let prefix = web.path().trim_end_matches('/');
        let rest = url.path().strip_prefix(prefix)?.strip_prefix('/')?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if host.is_empty() || !host.contains('.') {
            return None;
        }
        let mut out = format!("https://{host}{path}");
        if let Some(q) = url.query() {
            out.push('?');
            out.push_str(q);
        }
        if let Some(f) = url.fragment() {
            out.push('#');
            out.push_str(f);
        }
        let real = Url::parse(&out).ok()?;
        (real.port().is_none() && real.username().is_empty()).then_some(real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(name: &str) -> Region {
        Region::parse(name).expect("known region")
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_partition() {
        let e = Endpoints::resolve(region("eu-west-2"), &env(&[])).unwrap();
        assert_eq!(e.oidc().as_str(), "https://oidc.eu-west-2.amazonaws.com/");
        assert_eq!(
            e.portal().as_str(),
            "https://portal.sso.eu-west-2.amazonaws.com/"
        );
        assert_eq!(
            e.connect(region("us-east-1")).as_str(),
            "https://connect.us-east-1.amazonaws.com/"
        );
        assert_eq!(
            e.connect(region("us-gov-west-1")).as_str(),
            "https://connect.us-gov-west-1.amazonaws.com/"
        );
        let cn = Endpoints::resolve(region("cn-north-1"), &env(&[])).unwrap();
        assert_eq!(
            cn.oidc().as_str(),
            "https://oidc.cn-north-1.amazonaws.com.cn/"
        );
        let eusc = Endpoints::resolve(region("eusc-de-east-1"), &env(&[])).unwrap();
        assert_eq!(
            eusc.portal().as_str(),
            "https://portal.sso.eusc-de-east-1.amazonaws.eu/"
        );
        assert_eq!(e.web_override(), None);
        let real = Url::parse("https://signin.aws.amazon.com/federation?Action=login").unwrap();
        assert_eq!(e.reachable(&real), real);
    }

    #[test]
    fn service_overrides_beat_the_global_one() {
        let e = Endpoints::resolve(
            region("us-east-1"),
            &env(&[
                (GLOBAL_ENDPOINT_ENV, "http://127.0.0.1:9000"),
                (OIDC_ENDPOINT_ENV, "http://127.0.0.1:9001"),
                (CONNECT_ENDPOINT_ENV, "https://connect.example.test/base"),
                (PORTAL_ENDPOINT_ENV, "  "),
            ]),
        )
        .unwrap();
        assert_eq!(e.oidc().as_str(), "http://127.0.0.1:9001/");
        assert_eq!(e.portal().as_str(), "http://127.0.0.1:9000/");
        assert_eq!(
            e.connect(region("eu-west-2")).as_str(),
            "https://connect.example.test/base"
        );
        assert_eq!(
            e.oidc_override().map(Url::as_str),
            Some("http://127.0.0.1:9001/")
        );
    }

    #[test]
    fn unsafe_overrides_are_refused_by_name() {
        let cases = [
            (
                PORTAL_ENDPOINT_ENV,
                "http://portal.example.com",
                EndpointError::NotSecure {
                    variable: PORTAL_ENDPOINT_ENV,
                },
            ),
            (
                OIDC_ENDPOINT_ENV,
                "ftp://127.0.0.1",
                EndpointError::NotSecure {
                    variable: OIDC_ENDPOINT_ENV,
                },
            ),
            (
                WEB_ENDPOINT_ENV,
                "http://u:p@127.0.0.1:1",
                EndpointError::NotABase {
                    variable: WEB_ENDPOINT_ENV,
                },
            ),
            (
                CONNECT_ENDPOINT_ENV,
                "https://x.test/?a=1",
                EndpointError::NotABase {
                    variable: CONNECT_ENDPOINT_ENV,
                },
            ),
        ];
        for (var, value, expected) in cases {
            assert_eq!(
                Endpoints::resolve(region("us-east-1"), &env(&[(var, value)])),
                Err(expected),
                "{var}={value}"
            );
        }
        let err = Endpoints::resolve(
            region("us-east-1"),
            &env(&[(GLOBAL_ENDPOINT_ENV, "not a url")]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AWS_ENDPOINT_URL is not a valid URL"),
            "{err}"
        );
        assert!(!err.is_retryable());
    }

    #[test]
    fn web_override_maps_real_urls_both_ways() {
        let e = Endpoints::resolve(
            region("us-east-1"),
            &env(&[(WEB_ENDPOINT_ENV, "http://127.0.0.1:4567")]),
        )
        .unwrap();
        let real = Url::parse(
            "https://us-east-1.console.aws.amazon.com/connect/federate/abc?destination=%2Fccp-v2&new_domain=true",
        )
        .unwrap();
        let mapped = e.reachable(&real);
        assert_eq!(
            mapped.as_str(),
            "http://127.0.0.1:4567/us-east-1.console.aws.amazon.com/connect/federate/abc?destination=%2Fccp-v2&new_domain=true"
        );
        assert_eq!(e.real(&mapped), Some(real));
        let bare = Url::parse("https://Console.AWS.amazon.com").unwrap();
        assert_eq!(
            e.reachable(&bare).as_str(),
            "http://127.0.0.1:4567/console.aws.amazon.com/"
        );
        let elsewhere = Url::parse("http://127.0.0.1:9999/x.example.com/").unwrap();
        assert_eq!(e.real(&elsewhere), None);
        let control = Url::parse("http://127.0.0.1:4567/_emulator/clock").unwrap();
        assert_eq!(e.real(&control), None);
        let plain_http = Url::parse("http://console.aws.amazon.com/").unwrap();
        assert_eq!(e.reachable(&plain_http), plain_http);
    }
}
