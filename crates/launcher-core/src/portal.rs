//! The IAM Identity Center portal client: ListAccounts, ListAccountRoles, GetRoleCredentials
//! (`aws-protocols.md` §3) and the undocumented app-instance listing and profiles (§8), each paged
//! to the end, with responses parsed by hand.
//!
//! Promises:
//! - every request carries the access token only in `x-amz-sso_bearer_token`, goes through the
//!   portal host's one shared [`RateLimiter`] (at most [`PORTAL_REQUESTS_PER_SECOND`]) and at most
//!   [`PORTAL_MAX_CONCURRENCY`] requests of one client are in flight at once;
//! - throttling (429), server faults (5xx), broken connections and cut-off answers are retried with
//!   capped exponential backoff and full jitter ([`crate::backoff`]); nothing else is;
//! - `UnauthorizedException` (401) is [`PortalError::SessionExpired`] ("sign in again"), and
//!   GetRoleCredentials' unmodelled 403 `ForbiddenException` is [`PortalError::RoleNotAssigned`];
//! - the parsers ignore unknown keys and treat `null` as absent, but refuse an answer that lacks a
//!   member we need; `expiration` is read as epoch **milliseconds**; a listing whose pages do not
//!   end (a repeated token, or more than [`MAX_PAGES`]) is refused instead of looping;
//! - tokens and keys come back as [`Secret`]s and never appear in an error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use thiserror::Error;
use tokio::sync::Semaphore;
use url::Url;

use crate::aws_error::AwsError;
use crate::backoff::{self, Failure, RetryPolicy};
use crate::http::{Http, HttpResponse, TransportError};
use crate::rate_limit::{self, RateLimiter};
use crate::secret::Secret;
use crate::sigv4::{encode_query, uri_encode};

/// The portal's request limit as AWS enforces it, requests per second.
pub const PORTAL_REQUESTS_PER_SECOND: f64 = 20.0;
/// Requests of one client in flight at once.
pub const PORTAL_MAX_CONCURRENCY: usize = 4;
/// `max_result` for ListAccounts and ListAccountRoles: the largest the portal accepts.
pub const PAGE_SIZE: u32 = 100;
/// A listing with more pages than this is refused as endless.
pub const MAX_PAGES: usize = 10_000;
/// The header that carries the access token (with an underscore).
pub const TOKEN_HEADER: &str = "x-amz-sso_bearer_token";
/// The application id of Identity Center's built-in "AWS Account" application.
pub const AWS_ACCOUNT_APPLICATION_ID: &str = "app-03e8643328913682";

/// An account the user has roles in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    pub account_id: String,
    pub account_name: Option<String>,
    pub email_address: Option<String>,
}

/// A role (permission set) the user has in an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub account_id: String,
    pub role_name: String,
}

/// Temporary credentials for a permission-set role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: SystemTime,
}

impl RoleCredentials {
    /// Whether the credentials are still good at `now` with `margin` to spare.
    pub fn valid_at(&self, now: SystemTime, margin: Duration) -> bool {
        now + margin < self.expiration
    }
}

/// An application instance from the undocumented listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInstance {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub application_id: Option<String>,
    pub application_name: Option<String>,
    /// `searchMetadata.AccountId`: set for "AWS Account" instances, absent for custom SAML apps.
    pub account_id: Option<String>,
}

impl AppInstance {
    /// Whether this is an account's built-in "AWS Account" application rather than an app.
    pub fn is_aws_account(&self) -> bool {
        self.account_id.is_some()
            || self.application_id.as_deref() == Some(AWS_ACCOUNT_APPLICATION_ID)
    }
}

/// A profile of an application instance (a custom SAML application has one, `Default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppProfile {
    pub id: String,
    pub name: String,
    pub protocol: Option<String>,
    /// The relay state; `None` when absent, null or empty.
    pub relay_state: Option<String>,
    pub url: Option<String>,
}

/// Why a portal call failed.
#[derive(Debug, Error)]
pub enum PortalError {
    #[error("your IAM Identity Center session has expired or was ended; sign in again with `connect-launcher login`")]
    SessionExpired,
    #[error("the role `{role_name}` in account {account_id} is no longer assigned to you; refresh the list, or ask IT to assign it again")]
    RoleNotAssigned {
        account_id: String,
        role_name: String,
    },
    #[error("the access portal has no {what}; refresh the list")]
    NotFound { what: String },
    #[error("the access portal kept throttling requests; try again in a minute")]
    Throttled,
    #[error("the access portal is not available ({0}); try again later")]
    Unavailable(AwsError),
    #[error("the access portal refused the request ({0})")]
    Rejected(AwsError),
    #[error("the access portal's answer to {operation} was not understood ({detail}); try again, and report it if it keeps happening")]
    Malformed {
        operation: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl PortalError {
    /// Whether trying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            PortalError::Throttled
            | PortalError::Unavailable(_)
            | PortalError::Malformed { .. } => true,
            PortalError::Transport(t) => t.is_retryable(),
            _ => false,
        }
    }

    fn failure(&self) -> Failure {
        match self {
            PortalError::Throttled => Failure::Throttled,
            e if e.is_retryable() => Failure::Transient,
            _ => Failure::Permanent,
        }
    }
}

/// What one call was, for turning an error response into a [`PortalError`].
#[derive(Debug, Clone, Copy)]
enum Call<'a> {
    ListAccounts,
    ListAccountRoles {
        account_id: &'a str,
    },
    GetRoleCredentials {
        account_id: &'a str,
        role_name: &'a str,
    },
    ListAppInstances,
    ListAppProfiles {
        app_instance_id: &'a str,
    },
}

impl Call<'_> {
    fn operation(self) -> &'static str {
        match self {
            Call::ListAccounts => "ListAccounts",
            Call::ListAccountRoles { .. } => "ListAccountRoles",
            Call::GetRoleCredentials { .. } => "GetRoleCredentials",
            Call::ListAppInstances => "the application listing",
            Call::ListAppProfiles { .. } => "the application profiles",
        }
    }

    fn not_found(self) -> String {
        match self {
            Call::ListAccountRoles { account_id } => format!("account {account_id}"),
            Call::GetRoleCredentials {
                account_id,
                role_name,
            } => format!("role `{role_name}` in account {account_id}"),
            Call::ListAppProfiles { app_instance_id } => format!("application {app_instance_id}"),
            Call::ListAccounts | Call::ListAppInstances => "such listing".to_owned(),
        }
    }
}

/// Classifies an error response of `call`.
fn error_of(call: Call<'_>, resp: &HttpResponse) -> PortalError {
    let e = resp.aws_error();
    if resp.status == 401 || e.is("UnauthorizedException") {
        return PortalError::SessionExpired;
    }
    if resp.status == 429 || e.is("TooManyRequestsException") {
        return PortalError::Throttled;
    }
    if let (
        Call::GetRoleCredentials {
            account_id,
            role_name,
        },
        true,
    ) = (call, resp.status == 403 || e.is("ForbiddenException"))
    {
        return PortalError::RoleNotAssigned {
            account_id: account_id.to_owned(),
            role_name: role_name.to_owned(),
        };
    }
    if resp.status == 404 || e.is("ResourceNotFoundException") {
        return PortalError::NotFound {
            what: call.not_found(),
        };
    }
    if e.is_retryable() || resp.status >= 500 {
        PortalError::Unavailable(e)
    } else {
        PortalError::Rejected(e)
    }
}

/// Counters of what a client sent, for tests, progress and `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortalStats {
    /// Requests sent, retries included.
    pub requests: u64,
    /// Answers that were throttles.
    pub throttled: u64,
    /// Other failed attempts (faults, broken connections, cut-off answers).
    pub faults: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    throttled: AtomicU64,
    faults: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    http: Http,
    base: Url,
    limiter: Arc<RateLimiter>,
    in_flight: Semaphore,
    policy: RetryPolicy,
    counters: Counters,
}

/// The client for one portal endpoint; clones share the limiter, the concurrency bound and counters.
#[derive(Debug, Clone)]
pub struct PortalClient {
    inner: Arc<Inner>,
}

/// One page: the items and the token of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// A required string member; `null`, absent or empty fail.
fn required_str(obj: &Value, name: &str) -> Result<String, String> {
    optional_str(obj, name).ok_or_else(|| format!("`{name}` is missing"))
}

/// An optional string member; `null` and empty are absent.
fn optional_str(obj: &Value, name: &str) -> Option<String> {
    obj.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn json_object(body: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err("the answer is not a JSON object".to_owned()),
        Err(e) => Err(format!(
            "invalid JSON at line {} column {}",
            e.line(),
            e.column()
        )),
    }
}

/// The items of a list member (`null` or absent is an empty list), each parsed by `item`.
fn list_of<T>(
    obj: &Value,
    name: &str,
    item: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(&item).collect(),
        Some(_) => Err(format!("`{name}` is not a list")),
    }
}

/// Parses a ListAccounts page.
pub fn parse_accounts(body: &[u8]) -> Result<Page<AccountInfo>, String> {
    let obj = json_object(body)?;
    let items = list_of(&obj, "accountList", |a| {
        Ok(AccountInfo {
            account_id: required_str(a, "accountId")?,
            account_name: optional_str(a, "accountName"),
            email_address: optional_str(a, "emailAddress"),
        })
    })?;
    Ok(Page {
        items,
        next_token: optional_str(&obj, "nextToken"),
    })
}

/// Parses a ListAccountRoles page; a role without `accountId` belongs to `account_id`.
pub fn parse_roles(body: &[u8], account_id: &str) -> Result<Page<RoleInfo>, String> {
    let obj = json_object(body)?;
    let items = list_of(&obj, "roleList", |r| {
        Ok(RoleInfo {
            account_id: optional_str(r, "accountId").unwrap_or_else(|| account_id.to_owned()),
            role_name: required_str(r, "roleName")?,
        })
    })?;
    Ok(Page {
        items,
        next_token: optional_str(&obj, "nextToken"),
    })
}

/// Parses GetRoleCredentials' answer; `expiration` is epoch milliseconds.
pub fn parse_role_credentials(body: &[u8]) -> Result<RoleCredentials, String> {
    let obj = json_object(body)?;
    let creds = obj
        .get("roleCredentials")
        .filter(|v| v.is_object())
        .ok_or("`roleCredentials` is missing")?;
    let millis = creds
        .get("expiration")
        .and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        })
        .ok_or("`expiration` is missing")?;
    Ok(RoleCredentials {
        access_key_id: required_str(creds, "accessKeyId")?,
        secret_access_key: Secret::new(required_str(creds, "secretAccessKey")?),
        session_token: Secret::new(required_str(creds, "sessionToken")?),
        expiration: SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_millis(millis))
            .ok_or("`expiration` is not a time")?,
    })
}

/// Parses a page of the undocumented app-instance listing.
pub fn parse_app_instances(body: &[u8]) -> Result<Page<AppInstance>, String> {
    let obj = json_object(body)?;
    let items = list_of(&obj, "result", |a| {
        Ok(AppInstance {
            id: required_str(a, "id")?,
            name: required_str(a, "name")?,
            description: optional_str(a, "description"),
            application_id: optional_str(a, "applicationId"),
            application_name: optional_str(a, "applicationName"),
            account_id: a
                .get("searchMetadata")
                .and_then(|m| optional_str(m, "AccountId")),
        })
    })?;
    Ok(Page {
        items,
        next_token: optional_str(&obj, "paginationToken"),
    })
}

/// Parses a page of an application instance's profiles.
pub fn parse_app_profiles(body: &[u8]) -> Result<Page<AppProfile>, String> {
    let obj = json_object(body)?;
    let items = list_of(&obj, "result", |p| {
        Ok(AppProfile {
            id: required_str(p, "id")?,
            name: required_str(p, "name")?,
            protocol: optional_str(p, "protocol"),
            relay_state: optional_str(p, "relayState").filter(|r| !r.trim().is_empty()),
            url: optional_str(p, "url"),
        })
    })?;
    Ok(Page {
        items,
        next_token: optional_str(&obj, "paginationToken"),
    })
}

impl PortalClient {
    /// A client for the portal at `base`, sharing the process's limiter for that host.
    pub fn new(http: Http, base: Url) -> PortalClient {
        let limiter = rate_limit::shared(&crate::http::origin(&base), PORTAL_REQUESTS_PER_SECOND);
        PortalClient::with_limiter(http, base, limiter, RetryPolicy::default())
    }

    /// A client with an explicit limiter and retry policy.
    pub fn with_limiter(
        http: Http,
        base: Url,
        limiter: Arc<RateLimiter>,
        policy: RetryPolicy,
    ) -> PortalClient {
        PortalClient {
            inner: Arc::new(Inner {
                http,
                base,
                limiter,
                in_flight: Semaphore::new(PORTAL_MAX_CONCURRENCY),
                policy,
                counters: Counters::default(),
            }),
        }
    }

    /// What this client (and its clones) sent so far.
    pub fn stats(&self) -> PortalStats {
        let c = &self.inner.counters;
        PortalStats {
            requests: c.requests.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            faults: c.faults.load(Ordering::Relaxed),
        }
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.base.clone();
        url.set_path(&format!(
            "{}{path}",
            self.inner.base.path().trim_end_matches('/')
        ));
        url.set_query(
            (!query.is_empty())
                .then(|| encode_query(query.iter().copied()))
                .as_deref(),
        );
        url
    }

    /// One attempt of a GET: the concurrency bound, the rate limit, the request; the body on success.
    async fn attempt(
        &self,
        call: Call<'_>,
        url: &Url,
        token: &Secret,
    ) -> Result<Vec<u8>, PortalError> {
        let inner = &self.inner;
        let _permit = inner
            .in_flight
            .acquire()
            .await
            .expect("the semaphore is never closed");
        inner.limiter.acquire().await;
        inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let request = inner
            .http
            .request(reqwest::Method::GET, url.clone())
            .header(TOKEN_HEADER, token.expose());
        match inner.http.send(request).await {
            Ok(resp) if resp.is_success() => {
                inner.limiter.succeeded();
                Ok(resp.body)
            }
            Ok(resp) => Err(error_of(call, &resp)),
            Err(e) => Err(PortalError::Transport(e)),
        }
    }

    /// A GET whose body is parsed by `parse`, retried as the policy says (an unparsable body is
    /// retried like a fault: the usual cause is an answer cut off on the way).
    async fn get_parsed<T>(
        &self,
        call: Call<'_>,
        path: &str,
        query: &[(&str, &str)],
        token: &Secret,
        parse: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, PortalError> {
        let url = self.url(path, query);
        let (url, parse, counters) = (&url, &parse, &self.inner.counters);
        backoff::retry(&self.inner.policy, PortalError::failure, || async move {
            let result = self.attempt(call, url, token).await.and_then(|body| {
                parse(&body).map_err(|detail| PortalError::Malformed {
                    operation: call.operation(),
                    detail,
                })
            });
            match &result {
                Ok(_) => {}
                Err(PortalError::Throttled) => {
                    self.inner.limiter.throttled();
                    counters.throttled.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    counters.faults.fetch_add(1, Ordering::Relaxed);
                }
            }
            result
        })
        .await
    }

    /// Every page of a listing; `query` is sent with each page, plus `next_token`.
    async fn all_pages<T>(
        &self,
        call: Call<'_>,
        path: &str,
        query: &[(&str, &str)],
        token: &Secret,
        parse: impl Fn(&[u8]) -> Result<Page<T>, String>,
    ) -> Result<Vec<T>, PortalError> {
        let mut items = Vec::new();
        let mut next: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut q = query.to_vec();
            if let Some(t) = next.as_deref() {
                q.push(("next_token", t));
            }
            let page = self.get_parsed(call, path, &q, token, &parse).await?;
            items.extend(page.items);
            match page.next_token {
                None => return Ok(items),
                Some(t) if !seen.insert(t.clone()) => {
                    return Err(PortalError::Malformed {
                        operation: call.operation(),
                        detail: "a page token repeated".into(),
                    })
                }
                Some(t) => next = Some(t),
            }
        }
        Err(PortalError::Malformed {
            operation: call.operation(),
            detail: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// Every account the user has a role in.
    pub async fn list_accounts(&self, token: &Secret) -> Result<Vec<AccountInfo>, PortalError> {
        let size = PAGE_SIZE.to_string();
        self.all_pages(
            Call::ListAccounts,
            "/assignment/accounts",
            &[("max_result", &size)],
            token,
            parse_accounts,
        )
        .await
    }

    /// Every role the user has in an account.
    pub async fn list_account_roles(
        &self,
        token: &Secret,
        account_id: &str,
    ) -> Result<Vec<RoleInfo>, PortalError> {
        let size = PAGE_SIZE.to_string();
        self.all_pages(
            Call::ListAccountRoles { account_id },
            "/assignment/roles",
            &[("account_id", account_id), ("max_result", &size)],
            token,
            |b| parse_roles(b, account_id),
        )
        .await
    }

    /// Temporary credentials for a role.
    pub async fn get_role_credentials(
        &self,
        token: &Secret,
        account_id: &str,
        role_name: &str,
    ) -> Result<RoleCredentials, PortalError> {
        self.get_parsed(
            Call::GetRoleCredentials {
                account_id,
                role_name,
            },
            "/federation/credentials",
            &[("account_id", account_id), ("role_name", role_name)],
            token,
            parse_role_credentials,
        )
        .await
    }

    /// Every application instance assigned to the user (undocumented).
    pub async fn list_app_instances(
        &self,
        token: &Secret,
    ) -> Result<Vec<AppInstance>, PortalError> {
        self.all_pages(
            Call::ListAppInstances,
            "/instance/appinstances",
            &[],
            token,
            parse_app_instances,
        )
        .await
    }

    /// The profiles of an application instance (undocumented).
    pub async fn list_app_profiles(
        &self,
        token: &Secret,
        app_instance_id: &str,
    ) -> Result<Vec<AppProfile>, PortalError> {
        let path = format!(
            "/instance/appinstance/{}/profiles",
            uri_encode(app_instance_id)
        );
        self.all_pages(
            Call::ListAppProfiles { app_instance_id },
            &path,
            &[],
            token,
            parse_app_profiles,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_tolerate_nulls_and_unknown_keys() {
        let page = parse_accounts(
            br#"{"nextToken":null,"accountList":[{"accountId":"123456789012","accountName":"Prod","emailAddress":null,"extra":1}],"new":true}"#,
        )
        .unwrap();
        assert_eq!(
            page,
            Page {
                items: vec![AccountInfo {
                    account_id: "123456789012".into(),
                    account_name: Some("Prod".into()),
                    email_address: None
                }],
                next_token: None
            }
        );
        assert_eq!(
            parse_accounts(br#"{"accountList":null,"nextToken":"NT"}"#)
                .unwrap()
                .next_token
                .as_deref(),
            Some("NT")
        );
        assert_eq!(
            parse_accounts(br#"{"accountList":[{"accountName":"x"}]}"#).unwrap_err(),
            "`accountId` is missing"
        );
        assert!(parse_accounts(b"{\"accountList\":[").is_err());
        assert!(parse_accounts(b"[]").is_err());
    }

    #[test]
    fn roles_default_their_account() {
        let page = parse_roles(
            br#"{"roleList":[{"roleName":"ConnectAgent"},{"roleName":"X","accountId":"1"}]}"#,
            "9",
        )
        .unwrap();
        assert_eq!(
            page.items[0],
            RoleInfo {
                account_id: "9".into(),
                role_name: "ConnectAgent".into()
            }
        );
        assert_eq!(page.items[1].account_id, "1");
        assert_eq!(
            parse_roles(br#"{"roleList":[{"roleName":null}]}"#, "9").unwrap_err(),
            "`roleName` is missing"
        );
    }

    #[test]
    fn credentials_expire_in_milliseconds_and_stay_secret() {
        let c = parse_role_credentials(
            br#"{"roleCredentials":{"accessKeyId":"ASIAX","secretAccessKey":"sekrit","sessionToken":"IQoJtok","expiration":1764338400000}}"#,
        )
        .unwrap();
        assert_eq!(
            c.expiration,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_338_400)
        );
        assert_eq!(c.secret_access_key.expose(), "sekrit");
        let printed = format!("{c:?}");
        assert!(
            !printed.contains("sekrit") && !printed.contains("IQoJtok"),
            "{printed}"
        );
        assert!(c.valid_at(
            c.expiration - Duration::from_secs(120),
            Duration::from_secs(60)
        ));
        assert!(!c.valid_at(
            c.expiration - Duration::from_secs(30),
            Duration::from_secs(60)
        ));
        let missing = parse_role_credentials(
            br#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t"}}"#,
        );
        assert_eq!(missing.unwrap_err(), "`expiration` is missing");
        assert!(parse_role_credentials(br#"{"roleCredentials":null}"#).is_err());
    }

    #[test]
    fn app_instances_and_profiles() {
        let page = parse_app_instances(
            br#"{"paginationToken":null,"result":[
              {"id":"ins-1","name":"123 (Prod)","applicationId":"app-03e8643328913682","applicationName":"AWS Account","searchMetadata":{"AccountId":"123"}},
              {"id":"ins-2","name":"Amazon Connect - acme","description":"","applicationName":"Amazon Connect","searchMetadata":null,"icon":"x"}]}"#,
        )
        .unwrap();
        assert!(page.items[0].is_aws_account());
        assert!(!page.items[1].is_aws_account());
        assert_eq!(page.items[1].description, None);
        let profiles = parse_app_profiles(
            br#"{"paginationToken":"p2","result":[{"id":"p-1","name":"Default","protocol":"SAML","relayState":"","url":null}]}"#,
        )
        .unwrap();
        assert_eq!(profiles.items[0].relay_state, None);
        assert_eq!(profiles.next_token.as_deref(), Some("p2"));
        assert_eq!(
            parse_app_profiles(br#"{"result":[{"name":"Default"}]}"#).unwrap_err(),
            "`id` is missing"
        );
    }

    #[test]
    fn errors_say_what_to_do() {
        assert!(PortalError::SessionExpired
            .to_string()
            .contains("sign in again"));
        let e = PortalError::RoleNotAssigned {
            account_id: "111122223333".into(),
            role_name: "ConnectAgent".into(),
        };
        assert_eq!(
            e.to_string(),
            "the role `ConnectAgent` in account 111122223333 is no longer assigned to you; refresh the list, or ask IT to assign it again"
        );
        assert!(!e.is_retryable());
        assert!(PortalError::Throttled.is_retryable());
        assert_eq!(PortalError::Throttled.failure(), Failure::Throttled);
        assert_eq!(PortalError::SessionExpired.failure(), Failure::Permanent);
    }

    fn response(status: u16, error_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("x-amzn-ErrorType".into(), error_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn error_responses_are_classified() {
        let creds = Call::GetRoleCredentials {
            account_id: "1",
            role_name: "R",
        };
        let forbidden = response(403, "ForbiddenException", r#"{"message":"No access"}"#);
        assert!(matches!(
            error_of(creds, &forbidden),
            PortalError::RoleNotAssigned { .. }
        ));
        assert!(matches!(
            error_of(Call::ListAccounts, &forbidden),
            PortalError::Rejected(_)
        ));
        let unauthorized = response(
            401,
            "UnauthorizedException",
            r#"{"message":"Session token not found or invalid"}"#,
        );
        assert!(matches!(
            error_of(Call::ListAppInstances, &unauthorized),
            PortalError::SessionExpired
        ));
        assert!(matches!(
            error_of(
                Call::ListAccounts,
                &response(429, "TooManyRequestsException", "{}")
            ),
            PortalError::Throttled
        ));
        assert!(matches!(
            error_of(
                Call::ListAccounts,
                &response(500, "InternalServerException", "{}")
            ),
            PortalError::Unavailable(_)
        ));
        let missing = error_of(
            Call::ListAccountRoles { account_id: "42" },
            &response(404, "ResourceNotFoundException", "{}"),
        );
        assert_eq!(
            missing.to_string(),
            "the access portal has no account 42; refresh the list"
        );
    }
}
