//! The IAM Identity Center OIDC client: RegisterClient, StartDeviceAuthorization and CreateToken
//! (`aws-protocols.md` §2), with responses parsed by hand into typed results.
//!
//! Promises: requests carry no SigV4 and no secrets in URLs; every token and client secret comes
//! back as a [`Secret`]; errors are classified into the cases callers act on (pending, slow down,
//! expired, denied, invalid grant, invalid client) and never quote a token.

use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::aws_error::AwsError;
use crate::http::{Http, HttpResponse, TransportError};
use crate::secret::Secret;

/// The device-code grant type.
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The scope that makes IdC issue refresh tokens and lets the token list accounts.
pub const SCOPE_ACCOUNT_ACCESS: &str = "sso:account:access";
/// The redirect URI registered for the authorization-code flow (the port is added per sign-in).
pub const REGISTERED_REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";
/// The device flow's poll interval when the service gives none (RFC 8628).
pub const DEFAULT_POLL_INTERVAL_SECS: u64 = 5;
/// Added to the poll interval on every `slow_down`.
pub const SLOW_DOWN_INCREMENT_SECS: u64 = 5;

/// Which flow a registration serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Authorization code with PKCE on a loopback redirect.
    AuthorizationCode,
    /// The device authorization grant.
    DeviceCode,
}

/// A registered public client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    /// Epoch seconds.
    pub expires_at: u64,
    pub kind: ClientKind,
}

/// A started device authorization.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    pub interval: u64,
}

/// Tokens from CreateToken.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_in: u64,
}

/// How an OIDC call failed.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the sign-in has not been approved yet")]
    AuthorizationPending,
    #[error("polling too fast")]
    SlowDown,
    #[error("the sign-in request expired before it was approved; start the sign-in again")]
    Expired,
    #[error("the sign-in was denied in the browser; start the sign-in again and choose Allow")]
    AccessDenied,
    #[error(
        "the session can no longer be renewed ({0}); sign in again with `connect-launcher login`"
    )]
    InvalidGrant(String),
    #[error("IAM Identity Center no longer knows this application's registration; it will register again on the next sign-in")]
    InvalidClient,
    #[error("IAM Identity Center refused the request: {0}")]
    Rejected(AwsError),
    #[error("IAM Identity Center is having trouble ({0}); try again in a minute")]
    Unavailable(AwsError),
    #[error("IAM Identity Center sent a response that could not be read ({0}); try again, and report it if it keeps happening")]
    Malformed(&'static str),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl OidcError {
    fn from_response(resp: &HttpResponse) -> OidcError {
        let e = resp.aws_error();
        match e.code.as_deref() {
            Some("AuthorizationPendingException") => OidcError::AuthorizationPending,
            Some("SlowDownException") => OidcError::SlowDown,
            Some("ExpiredTokenException") => OidcError::Expired,
            Some("AccessDeniedException") => OidcError::AccessDenied,
            Some("InvalidGrantException") => {
                OidcError::InvalidGrant(e.message.unwrap_or_else(|| "invalid grant".into()))
            }
            Some("InvalidClientException") => OidcError::InvalidClient,
            _ if e.is_retryable() => OidcError::Unavailable(e),
            _ => OidcError::Rejected(e),
        }
    }

    /// Whether trying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            OidcError::Unavailable(_) | OidcError::Malformed(_) => true,
            OidcError::Transport(t) => t.is_retryable(),
            _ => false,
        }
    }
}

/// The client for one OIDC endpoint.
#[derive(Debug, Clone)]
pub struct OidcClient {
    http: Http,
    base: Url,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterOut {
    client_id: Option<String>,
    client_secret: Option<String>,
    client_secret_expires_at: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceOut {
    device_code: Option<String>,
    user_code: Option<String>,
    verification_uri: Option<String>,
    verification_uri_complete: Option<String>,
    expires_in: Option<u64>,
    interval: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenOut {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
}

/// Parses a successful response body; missing required members make it malformed.
pub fn parse_register(body: &[u8], kind: ClientKind) -> Result<Registration, OidcError> {
    let out: RegisterOut =
        serde_json::from_slice(body).map_err(|_| OidcError::Malformed("RegisterClient"))?;
    match (
        out.client_id,
        out.client_secret,
        out.client_secret_expires_at,
    ) {
        (Some(id), Some(secret), Some(exp)) if !id.is_empty() => Ok(Registration {
            client_id: id,
            client_secret: Secret::new(secret),
            expires_at: exp,
            kind,
        }),
        _ => Err(OidcError::Malformed("RegisterClient")),
    }
}

/// Parses StartDeviceAuthorization's answer.
pub fn parse_device(body: &[u8]) -> Result<DeviceAuthorization, OidcError> {
    let out: DeviceOut = serde_json::from_slice(body)
        .map_err(|_| OidcError::Malformed("StartDeviceAuthorization"))?;
    match (
        out.device_code,
        out.user_code,
        out.verification_uri,
        out.expires_in,
    ) {
        (Some(dc), Some(uc), Some(uri), Some(exp)) => Ok(DeviceAuthorization {
            device_code: Secret::new(dc),
            user_code: uc,
            verification_uri: uri,
            verification_uri_complete: out.verification_uri_complete,
            expires_in: exp,
            interval: out
                .interval
                .filter(|i| *i > 0)
                .unwrap_or(DEFAULT_POLL_INTERVAL_SECS),
        }),
        _ => Err(OidcError::Malformed("StartDeviceAuthorization")),
    }
}

/// Parses CreateToken's answer.
pub fn parse_tokens(body: &[u8]) -> Result<Tokens, OidcError> {
    let out: TokenOut =
        serde_json::from_slice(body).map_err(|_| OidcError::Malformed("CreateToken"))?;
    match (out.access_token, out.expires_in) {
        (Some(at), Some(exp)) if !at.is_empty() => Ok(Tokens {
            access_token: Secret::new(at),
            refresh_token: out.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
            expires_in: exp,
        }),
        _ => Err(OidcError::Malformed("CreateToken")),
    }
}

impl OidcClient {
    pub fn new(http: Http, base: Url) -> OidcClient {
        OidcClient { http, base }
    }

    /// The endpoint's base URL (the authorize page is `{base}/authorize`).
    pub fn base(&self) -> &Url {
        &self.base
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> Result<HttpResponse, OidcError> {
        let url = self
            .base
            .join(path)
            .map_err(|_| OidcError::Malformed("endpoint URL"))?;
        let req = self
            .http
            .request(reqwest::Method::POST, url)
            .header("content-type", "application/json")
            .body(body.to_string());
        let resp = self.http.send(req).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(OidcError::from_response(&resp))
        }
    }

    /// Registers a public client for `kind`.
    pub async fn register(
        &self,
        client_name: &str,
        kind: ClientKind,
        start_url: &str,
    ) -> Result<Registration, OidcError> {
        let body = match kind {
            ClientKind::AuthorizationCode => json!({
                "clientName": client_name,
                "clientType": "public",
                "grantTypes": ["authorization_code", "refresh_token"],
                "redirectUris": [REGISTERED_REDIRECT_URI],
                "issuerUrl": start_url,
                "scopes": [SCOPE_ACCOUNT_ACCESS],
            }),
            ClientKind::DeviceCode => json!({
                "clientName": client_name,
                "clientType": "public",
                "scopes": [SCOPE_ACCOUNT_ACCESS],
            }),
        };
        let resp = self.post("client/register", body).await?;
        parse_register(&resp.body, kind)
    }

    /// Starts a device authorization.
    pub async fn start_device_authorization(
        &self,
        reg: &Registration,
        start_url: &str,
    ) -> Result<DeviceAuthorization, OidcError> {
        let body = json!({"clientId": reg.client_id, "clientSecret": reg.client_secret.expose(), "startUrl": start_url});
        let resp = self.post("device_authorization", body).await?;
        parse_device(&resp.body)
    }

    /// Polls once for the device grant's tokens.
    pub async fn device_token(
        &self,
        reg: &Registration,
        device_code: &Secret,
    ) -> Result<Tokens, OidcError> {
        let body = json!({
            "clientId": reg.client_id, "clientSecret": reg.client_secret.expose(),
            "grantType": GRANT_DEVICE_CODE, "deviceCode": device_code.expose(),
        });
        parse_tokens(&self.post("token", body).await?.body)
    }

    /// Exchanges an authorization code.
    pub async fn code_token(
        &self,
        reg: &Registration,
        code: &Secret,
        verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<Tokens, OidcError> {
        let body = json!({
            "clientId": reg.client_id, "clientSecret": reg.client_secret.expose(),
            "grantType": "authorization_code", "code": code.expose(),
            "codeVerifier": verifier.expose(), "redirectUri": redirect_uri,
        });
        parse_tokens(&self.post("token", body).await?.body)
    }

    /// Renews the access token with a refresh token.
    pub async fn refresh(
        &self,
        reg: &Registration,
        refresh_token: &Secret,
    ) -> Result<Tokens, OidcError> {
        let body = json!({
            "clientId": reg.client_id, "clientSecret": reg.client_secret.expose(),
            "grantType": "refresh_token", "refreshToken": refresh_token.expose(),
        });
        parse_tokens(&self.post("token", body).await?.body)
    }
}

/// The next device-flow poll interval after an answer (RFC 8628 §3.5).
pub fn next_poll_interval(current: u64, error: &OidcError) -> u64 {
    match error {
        OidcError::SlowDown => current + SLOW_DOWN_INCREMENT_SECS,
        _ => current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_with_nulls() {
        let t = parse_tokens(br#"{"accessToken":"aoaX","tokenType":"Bearer","expiresIn":3600,"refreshToken":null,"idToken":null}"#).unwrap();
        assert_eq!(t.access_token.expose(), "aoaX");
        assert!(t.refresh_token.is_none());
        assert!(matches!(
            parse_tokens(br#"{"expiresIn":3600}"#),
            Err(OidcError::Malformed(_))
        ));
        assert!(matches!(
            parse_tokens(b"{\"accessToken\":"),
            Err(OidcError::Malformed(_))
        ));
    }

    #[test]
    fn device_interval_defaults_to_five() {
        let d = parse_device(br#"{"deviceCode":"d","userCode":"ABCD-EFGH","verificationUri":"https://x/","expiresIn":600}"#).unwrap();
        assert_eq!(d.interval, DEFAULT_POLL_INTERVAL_SECS);
    }

    #[test]
    fn slow_down_adds_five_seconds() {
        assert_eq!(next_poll_interval(1, &OidcError::SlowDown), 6);
        assert_eq!(next_poll_interval(6, &OidcError::AuthorizationPending), 6);
    }

    #[test]
    fn error_messages_never_carry_tokens() {
        let e = OidcError::InvalidGrant("Invalid refresh token provided".into());
        assert!(e.to_string().contains("connect-launcher login"));
    }
}
