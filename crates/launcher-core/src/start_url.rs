//! The IAM Identity Center start URL (the "AWS access portal URL"): what is accepted and how it is
//! normalised.
//!
//! Promises: a [`StartUrl`] parsed, is https (plain http only on a loopback host and only when the
//! caller allows it, for the emulator), carries no user name, password or fragment, and is kept as
//! typed apart from surrounding spaces and a trailing slash after `/start`, because the AWS CLI keys
//! its cache on the configured string. A host that AWS does not own is accepted but flagged
//! ([`StartUrl::is_vanity`]) so the caller can warn. Errors say what a good value looks like and
//! never echo a password.

use std::fmt;

use thiserror::Error;
use url::{Host, Url};

use crate::region::Region;

/// What a good start URL looks like, for error messages.
const GOOD_FORM: &str = "a start URL looks like https://d-1234567890.awsapps.com/start or \
https://your-company.awsapps.com/start (the \"AWS access portal URL\" in the IAM Identity Center \
console under Settings)";

/// The domain of classic access portal hosts.
const AWSAPPS_SUFFIX: &str = ".awsapps.com";
/// The path of an access portal on an awsapps.com host.
const START_PATH: &str = "/start";
/// The path prefix of a directory-style portal, e.g. GovCloud's `start.us-gov-home.awsapps.com`.
const DIRECTORY_PATH_PREFIX: &str = "/directory/";
/// The host prefix of an Identity Center instance's own portal host.
const INSTANCE_HOST_PREFIX: &str = "ssoins-";

/// Which kind of portal the URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartUrlKind {
    /// `https://d-xxxxxxxxxx.awsapps.com/start` or `https://{alias}.awsapps.com/start`.
    AwsApps,
    /// `https://start.us-gov-home.awsapps.com/directory/{id}` and the like.
    Directory,
    /// `https://ssoins-….{region}.portal.amazonaws.com` or `https://ssoins-….portal.{region}.app.aws`.
    Instance {
        /// The region named in the host, if it is a known one.
        region: Option<Region>,
    },
    /// A loopback host (the local emulator); only accepted when the caller allows it.
    Loopback,
    /// Another https host, presumably a vanity domain that redirects to the portal.
    Vanity,
}

/// A validated, normalised start URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartUrl {
    value: String,
    kind: StartUrlKind,
}

impl StartUrl {
    /// Validates and normalises `input`. `allow_loopback` admits `http://127.0.0.1:…` and
    /// `http://localhost:…` (the emulator); without it a loopback http URL is an error.
    pub fn parse(input: &str, allow_loopback: bool) -> Result<Self, StartUrlError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(StartUrlError::Empty);
        }
        let url = Url::parse(trimmed).map_err(|err| match err {
            url::ParseError::RelativeUrlWithoutBase => StartUrlError::MissingScheme {
                suggestion: format!("https://{trimmed}"),
            },
            other => StartUrlError::NotAUrl {
                value: trimmed.to_owned(),
                reason: other.to_string(),
            },
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(StartUrlError::Credentials);
        }
        if url.fragment().is_some() {
            let before_fragment = trimmed.split('#').next().unwrap_or_default();
            return Err(StartUrlError::Fragment {
                suggestion: normalise(before_fragment),
            });
        }
        let loopback = is_loopback(&url);
        match url.scheme() {
            "https" => {}
            "http" if loopback && allow_loopback => {}
            "http" if loopback => {
                return Err(StartUrlError::LoopbackNotAllowed {
                    value: trimmed.to_owned(),
                })
            }
            _ => {
                return Err(StartUrlError::NotHttps {
                    value: trimmed.to_owned(),
                })
            }
        }
        let kind = if loopback && allow_loopback {
            StartUrlKind::Loopback
        } else {
            classify(&url)?
        };
        Ok(Self {
            value: normalise(trimmed),
            kind,
        })
    }

    /// The normalised URL, e.g. `https://d-1234567890.awsapps.com/start`.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Which kind of portal this is.
    pub fn kind(&self) -> StartUrlKind {
        self.kind
    }

    /// True when the host is not one AWS owns: the caller should warn that the URL is taken on trust.
    pub fn is_vanity(&self) -> bool {
        self.kind == StartUrlKind::Vanity
    }

    /// The Identity Center region the host names, if any (instance-style hosts only).
    pub fn region_hint(&self) -> Option<Region> {
        match self.kind {
            StartUrlKind::Instance { region } => region,
            _ => None,
        }
    }
}

impl fmt::Display for StartUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

/// Drops a trailing slash after `/start`; everything else is kept as typed.
fn normalise(trimmed: &str) -> String {
    let start_with_slash = format!("{START_PATH}/");
    match trimmed.strip_suffix('/') {
        Some(without) if trimmed.ends_with(&start_with_slash) => without.to_owned(),
        _ => trimmed.to_owned(),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn classify(url: &Url) -> Result<StartUrlKind, StartUrlError> {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let path = url.path();
    if host.ends_with(AWSAPPS_SUFFIX) {
        if path == START_PATH || path == format!("{START_PATH}/") {
            return Ok(StartUrlKind::AwsApps);
        }
        if path.len() > DIRECTORY_PATH_PREFIX.len() && path.starts_with(DIRECTORY_PATH_PREFIX) {
            return Ok(StartUrlKind::Directory);
        }
        return Err(StartUrlError::AwsAppsPath {
            value: url.as_str().to_owned(),
            suggestion: format!("https://{host}{START_PATH}"),
        });
    }
    if host.starts_with(INSTANCE_HOST_PREFIX) {
        let labels: Vec<&str> = host.split('.').collect();
        // ssoins-….{region}.portal.amazonaws.com
        if let [_, region, "portal", "amazonaws", "com"] = labels.as_slice() {
            return Ok(StartUrlKind::Instance {
                region: Region::parse(region).ok(),
            });
        }
        // ssoins-….portal.{region}.app.aws
        if let [_, "portal", region, "app", "aws"] = labels.as_slice() {
            return Ok(StartUrlKind::Instance {
                region: Region::parse(region).ok(),
            });
        }
    }
    Ok(StartUrlKind::Vanity)
}

/// A start URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StartUrlError {
    /// Nothing was given.
    #[error("the start URL is empty; {GOOD_FORM}")]
    Empty,
    /// No `https://` in front.
    #[error("the start URL has no `https://` in front; did you mean {suggestion}? {GOOD_FORM}")]
    MissingScheme {
        /// The input with `https://` added.
        suggestion: String,
    },
    /// Not a URL at all.
    #[error("`{value}` is not a valid URL ({reason}); {GOOD_FORM}")]
    NotAUrl {
        /// What was given.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A user name or password in the URL (never echoed back).
    #[error("the start URL must not contain a user name or password; remove the part before `@`. {GOOD_FORM}")]
    Credentials,
    /// A `#…` fragment, usually copied from the browser's address bar.
    #[error("the start URL must not contain a `#…` part (it is copied from the browser's address bar); use {suggestion}")]
    Fragment {
        /// The input without the fragment.
        suggestion: String,
    },
    /// Not https.
    #[error("`{value}` is not an https URL; {GOOD_FORM}")]
    NotHttps {
        /// What was given.
        value: String,
    },
    /// Plain http on a loopback host, which is allowed only for the local emulator.
    #[error("`{value}` is a plain-http address on this computer, which is only accepted for the local emulator; {GOOD_FORM}")]
    LoopbackNotAllowed {
        /// What was given.
        value: String,
    },
    /// An awsapps.com host with a path other than `/start`.
    #[error("`{value}` is not an access portal address; on awsapps.com it ends in `/start`, e.g. {suggestion}")]
    AwsAppsPath {
        /// What was given.
        value: String,
        /// The same host with `/start`.
        suggestion: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(input: &str) -> StartUrl {
        StartUrl::parse(input, false).unwrap_or_else(|err| panic!("{input}: {err}"))
    }

    #[test]
    fn accepts_every_aws_portal_form() {
        let cases = [
            (
                "https://d-1234567890.awsapps.com/start",
                StartUrlKind::AwsApps,
            ),
            (
                "https://my-sso-portal.awsapps.com/start",
                StartUrlKind::AwsApps,
            ),
            (
                "https://start.us-gov-home.awsapps.com/directory/d-9067a1b2c3",
                StartUrlKind::Directory,
            ),
            (
                "https://ssoins-7223d2b1c4e5f6a7.eu-west-1.portal.amazonaws.com",
                StartUrlKind::Instance {
                    region: Region::parse("eu-west-1").ok(),
                },
            ),
            (
                "https://ssoins-7223d2b1c4e5f6a7.portal.us-east-2.app.aws",
                StartUrlKind::Instance {
                    region: Region::parse("us-east-2").ok(),
                },
            ),
        ];
        for (input, kind) in cases {
            let url = accept(input);
            assert_eq!(url.as_str(), input);
            assert_eq!(url.kind(), kind, "{input}");
            assert!(!url.is_vanity(), "{input}");
        }
        let instance = accept("https://ssoins-7223d2b1c4e5f6a7.eu-west-1.portal.amazonaws.com");
        assert_eq!(
            instance.region_hint().map(|r| r.as_str()),
            Some("eu-west-1")
        );
    }

    #[test]
    fn normalises_spaces_and_a_trailing_slash_after_start_only() {
        assert_eq!(
            accept("  https://d-1234567890.awsapps.com/start/ \n").as_str(),
            "https://d-1234567890.awsapps.com/start"
        );
        assert_eq!(
            accept("https://sso.example.com/portal/").as_str(),
            "https://sso.example.com/portal/"
        );
    }

    #[test]
    fn other_https_hosts_are_accepted_as_vanity_with_a_warning_flag() {
        let url = accept("https://sso.example.com");
        assert!(url.is_vanity());
        assert_eq!(url.kind(), StartUrlKind::Vanity);
        assert_eq!(url.region_hint(), None);
    }

    #[test]
    fn loopback_http_only_when_allowed() {
        let emulator = "http://127.0.0.1:41234/start";
        let allowed = StartUrl::parse(emulator, true).expect("allowed for the emulator");
        assert_eq!(allowed.kind(), StartUrlKind::Loopback);
        assert_eq!(
            StartUrl::parse(emulator, false),
            Err(StartUrlError::LoopbackNotAllowed {
                value: emulator.into()
            })
        );
        assert_eq!(
            StartUrl::parse("http://localhost:9000/start", true).map(|u| u.kind()),
            Ok(StartUrlKind::Loopback)
        );
        assert_eq!(
            StartUrl::parse("http://d-1234567890.awsapps.com/start", true),
            Err(StartUrlError::NotHttps {
                value: "http://d-1234567890.awsapps.com/start".into()
            })
        );
    }

    #[test]
    fn errors_say_what_a_good_value_looks_like() {
        let err = StartUrl::parse("d-1234567890.awsapps.com/start", false).expect_err("no scheme");
        assert_eq!(
            err,
            StartUrlError::MissingScheme {
                suggestion: "https://d-1234567890.awsapps.com/start".into()
            }
        );
        assert!(
            err.to_string()
                .contains("https://d-1234567890.awsapps.com/start"),
            "{err}"
        );

        let err = StartUrl::parse("https://d-1234567890.awsapps.com/start/#/", false)
            .expect_err("fragment");
        assert_eq!(err.to_string(), "the start URL must not contain a `#…` part (it is copied from the browser's address bar); use https://d-1234567890.awsapps.com/start");

        let err =
            StartUrl::parse("https://d-1234567890.awsapps.com/", false).expect_err("no /start");
        assert_eq!(
            err.to_string(),
            "`https://d-1234567890.awsapps.com/` is not an access portal address; on awsapps.com it ends in `/start`, e.g. https://d-1234567890.awsapps.com/start"
        );

        for bad in ["", "   ", "ftp://x.awsapps.com/start", "https://"] {
            let err = StartUrl::parse(bad, false).expect_err(bad);
            assert!(
                err.to_string()
                    .contains("looks like https://d-1234567890.awsapps.com/start"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn credentials_are_rejected_without_being_echoed() {
        let err = StartUrl::parse(
            "https://alice:hunter2@d-1234567890.awsapps.com/start",
            false,
        )
        .expect_err("credentials");
        assert_eq!(err, StartUrlError::Credentials);
        assert!(!err.to_string().contains("hunter2"));
    }
}
