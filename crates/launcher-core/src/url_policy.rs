//! The one gate every URL passes before it is opened in a browser: only `https` URLs on the AWS
//! hosts a launcher has reason to open, plus the configured emulator origins.
//!
//! Allowed hosts (and any subdomain of them, on a label boundary):
//! - AWS console and sign-in of each partition: `console.aws.amazon.com`, `signin.aws.amazon.com`,
//!   `console.amazonaws-us-gov.com`, `signin.amazonaws-us-gov.com`, `console.amazonaws.cn`,
//!   `signin.amazonaws.cn`;
//! - IAM Identity Center sign-in pages: `oidc.{region}.{dnsSuffix}` (the authorize page) and
//!   `device.sso.{region}.{dnsSuffix}` (the device verification page);
//! - IdC access portals: `*.awsapps.com`, `*.app.aws`, `*.portal.amazonaws.com`;
//! - Amazon Connect instances: `*.my.connect.aws`, `*.awsapps.com`.
//!
//! Emulator origins ([`crate::endpoints::WEB_ENDPOINT_ENV`] and the OIDC override) are allowed by
//! exact scheme, host and port; a URL under the web override must also stand for an allowed host.
//!
//! Promises: anything else is refused with an error that names only the scheme or host, never the
//! path or query (where tokens live); input with spaces or control characters, a user name or
//! password, a port on an AWS host, an IP address, an internationalised (`xn--`) or trailing-dot
//! host is refused; hosts are compared after the URL parser has decoded and lower-cased them, so
//! percent-encoded or mixed-case tricks meet the same rules.

use std::fmt;

use thiserror::Error;
use url::{Host, Url};

use crate::endpoints::Endpoints;
use crate::secret::Secret;

/// Hosts that are allowed with any subdomain.
pub const ALLOWED_DOMAINS: [&str; 10] = [
    "console.aws.amazon.com",
    "signin.aws.amazon.com",
    "console.amazonaws-us-gov.com",
    "signin.amazonaws-us-gov.com",
    "console.amazonaws.cn",
    "signin.amazonaws.cn",
    "awsapps.com",
    "app.aws",
    "portal.amazonaws.com",
    "my.connect.aws",
];

/// Hosts whose bare form is not a page (only their subdomains are).
const SUBDOMAIN_ONLY: [&str; 4] = [
    "awsapps.com",
    "app.aws",
    "portal.amazonaws.com",
    "my.connect.aws",
];

/// DNS suffixes under which IdC's own sign-in pages live (`oidc.{region}.…`, `device.sso.{region}.…`).
const IDC_DNS_SUFFIXES: [&str; 3] = ["amazonaws.com", "amazonaws.com.cn", "amazonaws.eu"];

/// Why a URL is not opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlRefused {
    #[error("refusing to open an address that is not a valid URL")]
    NotAUrl,
    #[error("refusing to open an address with spaces or control characters in it")]
    Unprintable,
    #[error("refusing to open a `{scheme}:` address; only https addresses of AWS and Amazon Connect are opened")]
    NotHttps { scheme: String },
    #[error("refusing to open an address with a user name or password in it")]
    Credentials,
    #[error("refusing to open an address on `{host}`: it is not an AWS console, sign-in, access portal or Amazon Connect host; if it should be, ask IT to check the policy")]
    HostNotAllowed { host: String },
}

impl UrlRefused {
    /// A refused address stays refused.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// A URL that passed the policy; the only thing a browser is given.
#[derive(Clone, PartialEq, Eq)]
pub struct ApprovedUrl(Url);

impl ApprovedUrl {
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    pub fn into_url(self) -> Url {
        self.0
    }
}

impl fmt::Debug for ApprovedUrl {
    /// Only the origin and path: the query may hold a sign-in token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ApprovedUrl({}{})",
            self.0.origin().ascii_serialization(),
            self.0.path()
        )
    }
}

/// Whether `host` is `domain` or a subdomain of it.
fn under(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1)
}

/// Whether a host name (lower case, ASCII) is one of the allowed AWS hosts.
pub fn is_allowed_host(host: &str) -> bool {
    let labels_ok = !host.is_empty()
        && !host.ends_with('.')
        && host.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with("xn--")
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if !labels_ok {
        return false;
    }
    let listed = ALLOWED_DOMAINS
        .iter()
        .any(|d| under(host, d) && !(SUBDOMAIN_ONLY.contains(d) && host == *d));
    listed || is_idc_page_host(host)
}

/// `oidc.{region}.{suffix}` or `device.sso.{region}.{suffix}`.
fn is_idc_page_host(host: &str) -> bool {
    IDC_DNS_SUFFIXES.iter().any(|suffix| {
        let Some(rest) = host.strip_suffix(suffix).and_then(|r| r.strip_suffix('.')) else {
            return false;
        };
        let region = rest
            .strip_prefix("oidc.")
            .or_else(|| rest.strip_prefix("device.sso."));
        region.is_some_and(|r| crate::region::Region::parse(r).is_ok() && !r.contains('.'))
    })
}

/// The policy: the fixed AWS rules plus the configured emulator origins.
#[derive(Debug, Clone)]
pub struct UrlPolicy {
    endpoints: Option<Endpoints>,
    extra_origins: Vec<url::Origin>,
}

impl UrlPolicy {
    /// The AWS rules only.
    pub fn aws_only() -> UrlPolicy {
        UrlPolicy {
            endpoints: None,
            extra_origins: Vec::new(),
        }
    }

    /// The AWS rules plus the emulator origins configured in `endpoints`.
    pub fn new(endpoints: &Endpoints) -> UrlPolicy {
        let extra_origins = endpoints
            .oidc_override()
            .map(Url::origin)
            .into_iter()
            .collect();
        UrlPolicy {
            endpoints: Some(endpoints.clone()),
            extra_origins,
        }
    }

    /// Checks a URL given as text.
    pub fn check(&self, candidate: &str) -> Result<ApprovedUrl, UrlRefused> {
        if candidate
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(UrlRefused::Unprintable);
        }
        let url = Url::parse(candidate).map_err(|_| UrlRefused::NotAUrl)?;
        self.check_url(url)
    }

    /// Checks a secret URL (a login URL) without ever printing it.
    pub fn check_secret(&self, candidate: &Secret) -> Result<ApprovedUrl, UrlRefused> {
        self.check(candidate.expose())
    }

    /// Checks a parsed URL.
    pub fn check_url(&self, url: Url) -> Result<ApprovedUrl, UrlRefused> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlRefused::Credentials);
        }
        if self.extra_origins.contains(&url.origin()) {
            return Ok(ApprovedUrl(url));
        }
        if let Some(endpoints) = &self.endpoints {
            if endpoints
                .web_override()
                .is_some_and(|w| w.origin() == url.origin())
            {
                let real = endpoints.real(&url).ok_or_else(|| refused_host(&url))?;
                self.check_aws(&real)?;
                return Ok(ApprovedUrl(url));
            }
        }
        self.check_aws(&url)?;
        Ok(ApprovedUrl(url))
    }

    fn check_aws(&self, url: &Url) -> Result<(), UrlRefused> {
        if url.scheme() != "https" {
            return Err(UrlRefused::NotHttps {
                scheme: url.scheme().to_owned(),
            });
        }
        match url.host() {
            Some(Host::Domain(host)) if url.port().is_none() && is_allowed_host(host) => Ok(()),
            _ => Err(refused_host(url)),
        }
    }
}

fn refused_host(url: &Url) -> UrlRefused {
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    UrlRefused::HostNotAllowed { host }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::endpoints::{OIDC_ENDPOINT_ENV, WEB_ENDPOINT_ENV};
    use crate::region::Region;

    fn refused(input: &str) -> UrlRefused {
        UrlPolicy::aws_only().check(input).expect_err(input)
    }

    #[test]
    fn aws_and_connect_hosts_pass() {
        for ok in [
            "https://us-east-1.console.aws.amazon.com/connect/federate/x?destination=%2Fccp-v2",
            "https://console.aws.amazon.com/",
            "https://123456789012-abcd.us-east-1.console.aws.amazon.com/console/home",
            "https://signin.aws.amazon.com/federation?Action=login&SigninToken=x",
            "https://eu-west-2.signin.aws.amazon.com/oauth?Action=logout",
            "https://console.amazonaws-us-gov.com/connect/federate/x",
            "https://signin.amazonaws-us-gov.com/federation",
            "https://d-1234567890.awsapps.com/start/#/saml/default/App/ins-1",
            "https://start.us-gov-home.awsapps.com/directory/d-1",
            "https://ssoins-7223d2b1c4e5f6a7.portal.us-east-2.app.aws/",
            "https://ssoins-7223d2b1c4e5f6a7.eu-west-1.portal.amazonaws.com",
            "https://acme-cc.my.connect.aws/ccp-v2",
            "https://acme-cc.awsapps.com/connect/ccp-v2",
            "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code",
            "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH",
            "HTTPS://ACME-CC.MY.CONNECT.AWS/ccp-v2",
        ] {
            let approved = UrlPolicy::aws_only()
                .check(ok)
                .unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(
                approved.as_url().as_str().to_ascii_lowercase(),
                Url::parse(ok).unwrap().as_str().to_ascii_lowercase()
            );
        }
    }

    #[test]
    fn hostile_inputs_are_refused() {
        let host = |h: &str| UrlRefused::HostNotAllowed { host: h.into() };
        assert_eq!(
            refused("https://evil.com#.aws.amazon.com"),
            host("evil.com")
        );
        assert_eq!(
            refused("https://evil.com/#https://console.aws.amazon.com"),
            host("evil.com")
        );
        assert_eq!(
            refused("https://console.aws.amazon.com.evil.com/"),
            host("console.aws.amazon.com.evil.com")
        );
        assert_eq!(
            refused("https://console.aws.amazon.com@evil.com/"),
            UrlRefused::Credentials
        );
        assert_eq!(
            refused("https://user:pw@console.aws.amazon.com/"),
            UrlRefused::Credentials
        );
        assert_eq!(
            refused("https://evil.com\\@console.aws.amazon.com/"),
            host("evil.com")
        );
        assert_eq!(
            refused("https://console.aws.amazon.com%2eevil.com/"),
            host("console.aws.amazon.com.evil.com")
        );
        assert_eq!(refused("https://evil%2ecom/"), host("evil.com"));
        assert_eq!(
            refused("https://xn--cnsole-9ua.aws.amazon.com/"),
            host("xn--cnsole-9ua.aws.amazon.com")
        );
        // A Cyrillic `о`: the parser turns the host into punycode, which is refused.
        assert!(
            matches!(refused("https://cоnsole.aws.amazon.com/"), UrlRefused::HostNotAllowed { host } if host.starts_with("xn--"))
        );
        assert_eq!(
            refused("https://acme.my.connect.aws.xn--80ak6aa92e.com/"),
            host("acme.my.connect.aws.xn--80ak6aa92e.com")
        );
        assert_eq!(
            refused("https://console.aws.amazon.com./"),
            host("console.aws.amazon.com.")
        );
        assert_eq!(
            refused("https://console.aws.amazon.com:8443/"),
            host("console.aws.amazon.com:8443")
        );
        assert_eq!(refused("https://awsapps.com/"), host("awsapps.com"));
        assert_eq!(refused("https://my.connect.aws/"), host("my.connect.aws"));
        assert_eq!(refused("https://notawsapps.com/"), host("notawsapps.com"));
        assert_eq!(
            refused("https://oidc.mars-1.amazonaws.com/"),
            host("oidc.mars-1.amazonaws.com")
        );
        assert_eq!(
            refused("https://s3.amazonaws.com/bucket/x.html"),
            host("s3.amazonaws.com")
        );
        assert_eq!(refused("https://52.94.236.248/"), host("52.94.236.248"));
        assert_eq!(
            refused("http://console.aws.amazon.com/"),
            UrlRefused::NotHttps {
                scheme: "http".into()
            }
        );
        assert_eq!(
            refused("javascript:alert(document.cookie)//console.aws.amazon.com"),
            UrlRefused::NotHttps {
                scheme: "javascript".into()
            }
        );
        assert_eq!(
            refused("file:///etc/passwd"),
            UrlRefused::NotHttps {
                scheme: "file".into()
            }
        );
        assert_eq!(
            refused("data:text/html,<script>"),
            UrlRefused::NotHttps {
                scheme: "data".into()
            }
        );
        assert_eq!(
            refused("https://console.aws.amazon.com/\nSet-Cookie"),
            UrlRefused::Unprintable
        );
        assert_eq!(
            refused(" https://console.aws.amazon.com/"),
            UrlRefused::Unprintable
        );
        assert_eq!(refused("//console.aws.amazon.com/"), UrlRefused::NotAUrl);
        assert_eq!(refused("https://"), UrlRefused::NotAUrl);
    }

    #[test]
    fn errors_never_show_the_query() {
        let token = Secret::new("https://evil.com/federation?SigninToken=SECRET123");
        let e = UrlPolicy::aws_only().check_secret(&token).unwrap_err();
        assert!(!e.to_string().contains("SECRET123"), "{e}");
        let ok = UrlPolicy::aws_only()
            .check_secret(&Secret::new(
                "https://signin.aws.amazon.com/federation?SigninToken=SECRET123",
            ))
            .unwrap();
        assert_eq!(
            format!("{ok:?}"),
            "ApprovedUrl(https://signin.aws.amazon.com/federation)"
        );
        assert!(!UrlRefused::Credentials.is_retryable());
    }

    #[test]
    fn emulator_origins_only_for_what_they_stand_for() {
        let env: BTreeMap<String, String> = [
            (
                WEB_ENDPOINT_ENV.to_owned(),
                "http://127.0.0.1:4567".to_owned(),
            ),
            (
                OIDC_ENDPOINT_ENV.to_owned(),
                "http://127.0.0.1:4568".to_owned(),
            ),
        ]
        .into();
        let endpoints = Endpoints::resolve(Region::parse("us-east-1").unwrap(), &env).unwrap();
        let policy = UrlPolicy::new(&endpoints);
        assert!(policy
            .check("http://127.0.0.1:4567/signin.aws.amazon.com/federation?Action=login")
            .is_ok());
        assert!(policy
            .check("http://127.0.0.1:4567/acme-cc.my.connect.aws/ccp-v2")
            .is_ok());
        assert!(policy
            .check("http://127.0.0.1:4568/authorize?client_id=x")
            .is_ok());
        assert_eq!(
            policy.check("http://127.0.0.1:4567/evil.com/x"),
            Err(UrlRefused::HostNotAllowed {
                host: "evil.com".into()
            })
        );
        assert_eq!(
            policy.check("http://127.0.0.1:4567/_emulator/clock/advance"),
            Err(UrlRefused::HostNotAllowed {
                host: "127.0.0.1:4567".into()
            })
        );
        assert_eq!(
            policy.check("http://127.0.0.1:4569/"),
            Err(UrlRefused::NotHttps {
                scheme: "http".into()
            })
        );
        assert_eq!(
            UrlPolicy::aws_only().check("http://127.0.0.1:4567/signin.aws.amazon.com/"),
            Err(UrlRefused::NotHttps {
                scheme: "http".into()
            })
        );
    }
}
