//! Opening the AWS console (and through it a Connect instance) with role credentials: the sign-in
//! federation endpoint's `getSigninToken` call and the `login` URL built from its token
//! (`aws-protocols.md` §6.1–§6.2), optionally behind a console sign-out hop.
//!
//! Promises:
//! - the sign-in host follows the partition and region: `signin.aws.amazon.com` for us-east-1,
//!   `{region}.signin.aws.amazon.com` elsewhere (opt-in regions need theirs), GovCloud
//!   `signin.amazonaws-us-gov.com` (us-gov-west-1) or `us-gov-east-1.signin.amazonaws-us-gov.com`,
//!   China `signin.amazonaws.cn`;
//! - `getSigninToken` is a GET with the `Session` JSON (`sessionId`, `sessionKey`, `sessionToken`)
//!   percent-encoded; `SessionDuration` is sent only when the caller asks for one, and when AWS
//!   answers that with HTTP 400 the call is made once more without it; throttling, server faults
//!   and broken connections are retried with backoff;
//! - the login URL is `…/federation?Action=login&Issuer=…&Destination=…&SigninToken=…` with the
//!   destination (a Connect federate URL) percent-encoded as a whole, so its own `%2F` becomes
//!   `%252F`; with `logout_first` it is wrapped in the sign-in host's sign-out,
//!   `https://{signin host}/oauth?Action=logout&redirect_uri=<login URL, encoded>`, so an earlier
//!   console session (another instance's role) is dropped before the new one starts (the form
//!   Leapp and aws-vault use, `peer-tools.md` §4);
//! - the sign-in token and the login URL are [`Secret`]s; neither reaches an error or a log.

use std::time::Duration;

use serde_json::Value;
use thiserror::Error;
use url::Url;

use crate::backoff::{self, Failure, RetryPolicy};
use crate::endpoints::Endpoints;
use crate::http::{Http, TransportError};
use crate::portal::RoleCredentials;
use crate::region::{Partition, Region};
use crate::secret::Secret;
use crate::sigv4::uri_encode;

/// A login URL (and its sign-in token) works for this long after it is made.
pub const LOGIN_URL_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The shortest console session `SessionDuration` may ask for.
pub const MIN_SESSION_DURATION: Duration = Duration::from_secs(900);
/// The longest console session `SessionDuration` may ask for (12 h).
pub const MAX_SESSION_DURATION: Duration = Duration::from_secs(43_200);
/// The region whose sign-in host has no region label.
const GLOBAL_SIGNIN_REGION: &str = "us-east-1";
/// The GovCloud region whose sign-in host has no region label.
const GOVCLOUD_GLOBAL_SIGNIN_REGION: &str = "us-gov-west-1";

/// Why a console sign-in could not be prepared.
#[derive(Debug, Error)]
pub enum ConsoleFederationError {
    #[error("console sign-in is not available in the `{partition}` partition")]
    UnsupportedPartition { partition: &'static str },
    #[error("AWS sign-in refused the role credentials (HTTP 400, \"Invalid credentials parameter\"); they may have expired: refresh the list and open it again")]
    InvalidCredentials,
    #[error("AWS sign-in kept throttling requests; try again in a minute")]
    Throttled,
    #[error("AWS sign-in answered HTTP {status}; try again later")]
    Unavailable { status: u16 },
    #[error("AWS sign-in answered HTTP {status} to the sign-in token request")]
    Rejected { status: u16 },
    #[error("AWS sign-in answered without a sign-in token; try again")]
    Malformed,
    #[error("the session duration must be from 15 minutes to 12 hours")]
    BadSessionDuration,
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl ConsoleFederationError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ConsoleFederationError::Throttled
            | ConsoleFederationError::Unavailable { .. }
            | ConsoleFederationError::Malformed => true,
            ConsoleFederationError::Transport(t) => t.is_retryable(),
            _ => false,
        }
    }

    fn failure(&self) -> Failure {
        match self {
            ConsoleFederationError::Throttled => Failure::Throttled,
            e if e.is_retryable() => Failure::Transient,
            _ => Failure::Permanent,
        }
    }
}

/// The sign-in host of a region.
pub fn signin_host(region: Region) -> Result<String, ConsoleFederationError> {
    match region.partition() {
        Partition::Aws if region.as_str() == GLOBAL_SIGNIN_REGION => {
            Ok("signin.aws.amazon.com".to_owned())
        }
        Partition::Aws => Ok(format!("{region}.signin.aws.amazon.com")),
        Partition::AwsUsGov if region.as_str() == GOVCLOUD_GLOBAL_SIGNIN_REGION => {
            Ok("signin.amazonaws-us-gov.com".to_owned())
        }
        Partition::AwsUsGov => Ok(format!("{region}.signin.amazonaws-us-gov.com")),
        Partition::AwsCn => Ok("signin.amazonaws.cn".to_owned()),
        p => Err(ConsoleFederationError::UnsupportedPartition { partition: p.id() }),
    }
}

/// `https://{signin host}/federation`.
pub fn federation_endpoint(region: Region) -> Result<Url, ConsoleFederationError> {
    Ok(
        Url::parse(&format!("https://{}/federation", signin_host(region)?))
            .expect("a sign-in host makes a valid URL"),
    )
}

/// The `Session` parameter: the credentials as JSON.
pub fn session_json(creds: &RoleCredentials) -> Secret {
    Secret::new(
        serde_json::json!({
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret_access_key.expose(),
            "sessionToken": creds.session_token.expose(),
        })
        .to_string(),
    )
}

/// The `getSigninToken` request URL (it holds the credentials, hence a secret).
pub fn signin_token_url(
    endpoint: &Url,
    creds: &RoleCredentials,
    session_duration: Option<Duration>,
) -> Secret {
    let mut url = format!("{endpoint}?Action=getSigninToken");
    if let Some(d) = session_duration {
        url.push_str(&format!("&SessionDuration={}", d.as_secs()));
    }
    url.push_str("&Session=");
    url.push_str(&uri_encode(session_json(creds).expose()));
    Secret::new(url)
}

/// The `login` URL.
pub fn login_url(endpoint: &Url, issuer: &str, destination: &Url, signin_token: &Secret) -> Secret {
    Secret::new(format!(
        "{endpoint}?Action=login&Issuer={}&Destination={}&SigninToken={}",
        uri_encode(issuer),
        uri_encode(destination.as_str()),
        uri_encode(signin_token.expose())
    ))
}

/// The login URL behind the sign-in host's sign-out.
pub fn logout_first(region: Region, login_url: &Secret) -> Result<Secret, ConsoleFederationError> {
    Ok(Secret::new(format!(
        "https://{}/oauth?Action=logout&redirect_uri={}",
        signin_host(region)?,
        uri_encode(login_url.expose())
    )))
}

/// Reads `{"SigninToken":"…"}`.
pub fn parse_signin_token(body: &[u8]) -> Result<Secret, ConsoleFederationError> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("SigninToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(Secret::new)
        })
        .ok_or(ConsoleFederationError::Malformed)
}

/// What to open and with which credentials.
#[derive(Debug, Clone, Copy)]
pub struct LoginRequest<'a> {
    /// The instance's region: it picks the sign-in host.
    pub region: Region,
    pub credentials: &'a RoleCredentials,
    /// Shown by AWS on its "session expired" page as the way back (the start URL, typically).
    pub issuer: &'a str,
    /// The console URL to land on, typically a Connect federate URL.
    pub destination: &'a Url,
    /// A console session length to ask for; `None` (the default) lets it last as the credentials do.
    pub session_duration: Option<Duration>,
    /// Sign out of any earlier console session first.
    pub logout_first: bool,
}

/// The sign-in federation client.
#[derive(Debug, Clone)]
pub struct ConsoleFederation {
    http: Http,
    endpoints: Endpoints,
    policy: RetryPolicy,
}

impl ConsoleFederation {
    pub fn new(http: Http, endpoints: Endpoints) -> ConsoleFederation {
        ConsoleFederation {
            http,
            endpoints,
            policy: RetryPolicy::default(),
        }
    }

    /// The same client with another retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> ConsoleFederation {
        self.policy = policy;
        self
    }

    async fn request_token(
        &self,
        endpoint: &Url,
        creds: &RoleCredentials,
        duration: Option<Duration>,
    ) -> Result<Secret, ConsoleFederationError> {
        let real = signin_token_url(endpoint, creds, duration);
        let url = Url::parse(real.expose()).map_err(|_| ConsoleFederationError::Malformed)?;
        let url = self.endpoints.reachable(&url);
        backoff::retry(&self.policy, ConsoleFederationError::failure, || async {
            let resp = self
                .http
                .send(self.http.request(reqwest::Method::GET, url.clone()))
                .await?;
            match resp.status {
                200 => parse_signin_token(&resp.body),
                400 => Err(ConsoleFederationError::InvalidCredentials),
                429 => Err(ConsoleFederationError::Throttled),
                s if s >= 500 => Err(ConsoleFederationError::Unavailable { status: s }),
                s => Err(ConsoleFederationError::Rejected { status: s }),
            }
        })
        .await
    }

    /// A sign-in token; with a session duration that AWS refuses (HTTP 400), one more try without.
    pub async fn get_signin_token(
        &self,
        region: Region,
        creds: &RoleCredentials,
        session_duration: Option<Duration>,
    ) -> Result<Secret, ConsoleFederationError> {
        if session_duration
            .is_some_and(|d| !(MIN_SESSION_DURATION..=MAX_SESSION_DURATION).contains(&d))
        {
            return Err(ConsoleFederationError::BadSessionDuration);
        }
        let endpoint = federation_endpoint(region)?;
        match self.request_token(&endpoint, creds, session_duration).await {
            Err(ConsoleFederationError::InvalidCredentials) if session_duration.is_some() => {
                self.request_token(&endpoint, creds, None).await
            }
            other => other,
        }
    }

    /// The URL that signs the browser in to the console and lands on `destination` (the real AWS
    /// URL; map it with [`Endpoints::reachable`] to open it behind an emulator).
    pub async fn login_url(
        &self,
        request: &LoginRequest<'_>,
    ) -> Result<Secret, ConsoleFederationError> {
        let token = self
            .get_signin_token(
                request.region,
                request.credentials,
                request.session_duration,
            )
            .await?;
        let login = login_url(
            &federation_endpoint(request.region)?,
            request.issuer,
            request.destination,
            &token,
        );
        if request.logout_first {
            logout_first(request.region, &login)
        } else {
            Ok(login)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    fn region(name: &str) -> Region {
        Region::parse(name).unwrap()
    }

    fn creds() -> RoleCredentials {
        RoleCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("wJal/rXU+tn="),
            session_token: Secret::new("IQoJb3 tok"),
            expiration: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn signin_hosts_per_partition() {
        let host = |r: &str| signin_host(region(r)).unwrap();
        assert_eq!(host("us-east-1"), "signin.aws.amazon.com");
        assert_eq!(host("eu-west-2"), "eu-west-2.signin.aws.amazon.com");
        assert_eq!(host("us-gov-west-1"), "signin.amazonaws-us-gov.com");
        assert_eq!(
            host("us-gov-east-1"),
            "us-gov-east-1.signin.amazonaws-us-gov.com"
        );
        assert_eq!(host("cn-north-1"), "signin.amazonaws.cn");
        assert!(matches!(
            signin_host(region("eusc-de-east-1")),
            Err(ConsoleFederationError::UnsupportedPartition { .. })
        ));
    }

    #[test]
    fn signin_token_request_is_encoded() {
        let endpoint = federation_endpoint(region("us-east-1")).unwrap();
        assert_eq!(
            signin_token_url(&endpoint, &creds(), None).expose(),
            "https://signin.aws.amazon.com/federation?Action=getSigninToken&Session=%7B%22sessionId%22%3A%22ASIAEXAMPLE%22%2C%22sessionKey%22%3A%22wJal%2FrXU%2Btn%3D%22%2C%22sessionToken%22%3A%22IQoJb3%20tok%22%7D"
        );
        assert!(signin_token_url(&endpoint, &creds(), Some(Duration::from_secs(3600)))
            .expose()
            .starts_with("https://signin.aws.amazon.com/federation?Action=getSigninToken&SessionDuration=3600&Session=%7B"));
    }

    #[test]
    fn login_url_encodes_the_destination_whole() {
        let endpoint = federation_endpoint(region("us-east-1")).unwrap();
        let destination = Url::parse(
            "https://us-east-1.console.aws.amazon.com/connect/federate/11111111-2222-3333-4444-555555555555?destination=%2Fccp-v2",
        )
        .unwrap();
        let login = login_url(
            &endpoint,
            "https://launcher.example.com",
            &destination,
            &Secret::new("VCQgs5q+Z/t="),
        );
        assert_eq!(
            login.expose(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=https%3A%2F%2Flauncher.example.com\
             &Destination=https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fconnect%2Ffederate%2F11111111-2222-3333-4444-555555555555%3Fdestination%3D%252Fccp-v2\
             &SigninToken=VCQgs5q%2BZ%2Ft%3D"
        );
        assert_eq!(format!("{login:?}"), crate::secret::REDACTED);
        let wrapped = logout_first(
            region("eu-west-2"),
            &Secret::new("https://x/federation?Action=login&A=%2F"),
        )
        .unwrap();
        assert_eq!(
            wrapped.expose(),
            "https://eu-west-2.signin.aws.amazon.com/oauth?Action=logout&redirect_uri=https%3A%2F%2Fx%2Ffederation%3FAction%3Dlogin%26A%3D%252F"
        );
    }

    #[test]
    fn signin_token_answer() {
        assert_eq!(
            parse_signin_token(br#"{"SigninToken":"abc"}"#)
                .unwrap()
                .expose(),
            "abc"
        );
        assert!(matches!(
            parse_signin_token(br#"{"SigninToken":""}"#),
            Err(ConsoleFederationError::Malformed)
        ));
        assert!(matches!(
            parse_signin_token(b"<html>"),
            Err(ConsoleFederationError::Malformed)
        ));
        assert!(ConsoleFederationError::InvalidCredentials
            .to_string()
            .contains("refresh the list"));
        assert!(!ConsoleFederationError::InvalidCredentials.is_retryable());
    }
}
