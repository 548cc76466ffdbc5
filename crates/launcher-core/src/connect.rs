//! The Amazon Connect API client: ListInstances (paged to the end), DescribeInstance and
//! GetFederationToken (`aws-protocols.md` §4), each signed with our own [`crate::sigv4`] for the
//! instance's region and service `connect`, at the injected clock's time corrected by the skew a refusal's
//! `Date` shows (a "Signature expired" or "not yet current" is signed again once, as the AWS SDKs do).
//!
//! Promises: throttling (`ThrottlingException`, 429), server faults and broken connections are
//! retried with capped exponential backoff and full jitter; the errors a launcher acts on are
//! their own variants (`UserNotFoundException`, `AccessDeniedException`, an unknown instance,
//! refused credentials) with a hint of what to do; instance URLs come back as the real AWS URLs
//! even behind an emulator; federation tokens are [`Secret`]s and never appear in an error.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use url::Url;

use crate::aws_error::AwsError;
use crate::backoff::{self, Failure, RetryPolicy};
use crate::clock::Clock;
use crate::endpoints::Endpoints;
use crate::http::{Http, HttpResponse, TransportError};
use crate::portal::RoleCredentials;
use crate::region::Region;
use crate::secret::Secret;
use crate::sigv4::{self, encode_query, uri_encode, SigningParams};

/// The SigV4 signing name of Amazon Connect.
pub const SIGNING_NAME: &str = "connect";
/// ListInstances' `maxResults`: the largest Connect accepts.
pub const LIST_INSTANCES_PAGE_SIZE: u32 = 10;
/// A listing with more pages than this is refused as endless.
pub const MAX_PAGES: usize = 1_000;
/// Host suffix of instances on the current domain (`{alias}.my.connect.aws`).
pub const NEW_DOMAIN_SUFFIX: &str = ".my.connect.aws";
/// Host suffix of instances on the legacy domain (`{alias}.awsapps.com/connect`).
pub const LEGACY_DOMAIN_SUFFIX: &str = ".awsapps.com";

/// Which domain an instance's pages live on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DomainForm {
    /// `https://{alias}.my.connect.aws/…`
    New,
    /// `https://{alias}.awsapps.com/connect/…`
    Legacy,
    /// Not known (e.g. only a SAML application's relay state names the instance).
    #[default]
    Unknown,
}

/// The domain form of an instance's real access URL.
pub fn domain_form(access_url: &Url) -> DomainForm {
    let host = access_url
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if host.ends_with(NEW_DOMAIN_SUFFIX) {
        DomainForm::New
    } else if host.ends_with(LEGACY_DOMAIN_SUFFIX) && access_url.path().starts_with("/connect") {
        DomainForm::Legacy
    } else {
        DomainForm::Unknown
    }
}

/// One instance from ListInstances or DescribeInstance.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSummary {
    pub id: String,
    pub arn: Option<String>,
    pub alias: Option<String>,
    pub identity_management_type: Option<String>,
    pub status: Option<String>,
    /// The real `InstanceAccessUrl` (mapped back from the emulator when one is configured).
    pub access_url: Option<Url>,
    /// The region it was listed in.
    pub region: Region,
}

impl InstanceSummary {
    /// The instance's domain form, from its access URL.
    pub fn domain(&self) -> DomainForm {
        self.access_url
            .as_ref()
            .map_or(DomainForm::Unknown, domain_form)
    }
}

/// GetFederationToken's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationToken {
    pub access_token: Secret,
    pub access_token_expiration: SystemTime,
    pub refresh_token: Secret,
    pub refresh_token_expiration: SystemTime,
    /// Opaque; may carry a token, so kept secret.
    pub sign_in_url: Option<Secret>,
    pub user_arn: Option<String>,
    pub user_id: String,
}

/// Why a Connect call failed.
#[derive(Debug, Error)]
pub enum ConnectError {
    #[error("you have no user in the Amazon Connect instance {instance_id} (your sign-in name must match a Connect username exactly); ask IT to add you to that instance")]
    UserNotFound { instance_id: String },
    #[error("the role is not allowed to call {operation} on Amazon Connect ({message}); ask IT to grant it in the permission set")]
    AccessDenied {
        operation: &'static str,
        message: String,
    },
    #[error("Amazon Connect has no instance {instance_id} in this account and region; check the instance id and region, or refresh the list")]
    InstanceNotFound { instance_id: String },
    #[error("Amazon Connect refused the role credentials ({code}); refresh the list to get new ones, and check that this computer's clock is right")]
    CredentialsRejected { code: String },
    #[error("Amazon Connect kept throttling requests; try again in a minute")]
    Throttled,
    #[error("Amazon Connect is not available ({0}); try again later")]
    Unavailable(AwsError),
    #[error("Amazon Connect refused the request ({0})")]
    Rejected(AwsError),
    #[error("Amazon Connect's answer to {operation} was not understood ({detail}); try again, and report it if it keeps happening")]
    Malformed {
        operation: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl ConnectError {
    /// Whether trying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ConnectError::Throttled
            | ConnectError::Unavailable(_)
            | ConnectError::Malformed { .. } => true,
            ConnectError::Transport(t) => t.is_retryable(),
            _ => false,
        }
    }

    fn failure(&self) -> Failure {
        match self {
            ConnectError::Throttled => Failure::Throttled,
            e if e.is_retryable() => Failure::Transient,
            _ => Failure::Permanent,
        }
    }
}

/// SigV4 refusals: the credentials (or the clock) are at fault.
const CREDENTIAL_ERRORS: [&str; 6] = [
    "UnrecognizedClientException",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
    "InvalidClientTokenId",
];

/// Classifies an error response of `operation` (on `instance_id`, when it names one).
fn error_of(
    operation: &'static str,
    instance_id: Option<&str>,
    resp: &HttpResponse,
) -> ConnectError {
    let e = resp.aws_error();
    let code = e.code.clone().unwrap_or_default();
    let instance_id = instance_id.unwrap_or_default().to_owned();
    match code.as_str() {
        "UserNotFoundException" => ConnectError::UserNotFound { instance_id },
        "AccessDeniedException" | "AccessDenied" => ConnectError::AccessDenied {
            operation,
            message: e.message.clone().unwrap_or_default(),
        },
        "ResourceNotFoundException" => ConnectError::InstanceNotFound { instance_id },
        "ThrottlingException" | "TooManyRequestsException" => ConnectError::Throttled,
        c if CREDENTIAL_ERRORS.contains(&c) => ConnectError::CredentialsRejected { code },
        _ if resp.status == 429 => ConnectError::Throttled,
        _ if e.is_retryable() || resp.status >= 500 => ConnectError::Unavailable(e),
        _ => ConnectError::Rejected(e),
    }
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

fn optional_str(obj: &Value, name: &str) -> Option<String> {
    obj.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn required_str(obj: &Value, name: &str) -> Result<String, String> {
    optional_str(obj, name).ok_or_else(|| format!("`{name}` is missing"))
}

/// A Connect timestamp (epoch seconds, maybe fractional); one beyond what a `SystemTime` holds is
/// refused, not a panic.
fn required_time(obj: &Value, name: &str) -> Result<SystemTime, String> {
    let secs = obj
        .get(name)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("`{name}` is missing"))?;
    Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d))
        .ok_or_else(|| format!("`{name}` is not a time"))
}

/// One instance summary object; `map_url` turns the access URL into the real one.
fn parse_summary(
    obj: &Value,
    region: Region,
    map_url: &dyn Fn(Url) -> Url,
) -> Result<InstanceSummary, String> {
    Ok(InstanceSummary {
        id: required_str(obj, "Id")?,
        arn: optional_str(obj, "Arn"),
        alias: optional_str(obj, "InstanceAlias"),
        identity_management_type: optional_str(obj, "IdentityManagementType"),
        status: optional_str(obj, "InstanceStatus"),
        access_url: optional_str(obj, "InstanceAccessUrl")
            .and_then(|u| Url::parse(&u).ok())
            .map(map_url),
        region,
    })
}

/// Parses a ListInstances page: the summaries and the next token.
pub fn parse_instances(
    body: &[u8],
    region: Region,
    map_url: &dyn Fn(Url) -> Url,
) -> Result<(Vec<InstanceSummary>, Option<String>), String> {
    let obj = json_object(body)?;
    let items = match obj.get("InstanceSummaryList") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|i| parse_summary(i, region, map_url))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`InstanceSummaryList` is not a list".to_owned()),
    };
    Ok((items, optional_str(&obj, "NextToken")))
}

/// Parses DescribeInstance's answer.
pub fn parse_instance(
    body: &[u8],
    region: Region,
    map_url: &dyn Fn(Url) -> Url,
) -> Result<InstanceSummary, String> {
    let obj = json_object(body)?;
    let instance = obj
        .get("Instance")
        .filter(|v| v.is_object())
        .ok_or("`Instance` is missing")?;
    parse_summary(instance, region, map_url)
}

/// Parses GetFederationToken's answer.
pub fn parse_federation_token(body: &[u8]) -> Result<FederationToken, String> {
    let obj = json_object(body)?;
    let creds = obj
        .get("Credentials")
        .filter(|v| v.is_object())
        .ok_or("`Credentials` is missing")?;
    Ok(FederationToken {
        access_token: Secret::new(required_str(creds, "AccessToken")?),
        access_token_expiration: required_time(creds, "AccessTokenExpiration")?,
        refresh_token: Secret::new(required_str(creds, "RefreshToken")?),
        refresh_token_expiration: required_time(creds, "RefreshTokenExpiration")?,
        sign_in_url: optional_str(&obj, "SignInUrl").map(Secret::new),
        user_arn: optional_str(&obj, "UserArn"),
        user_id: required_str(&obj, "UserId")?,
    })
}

/// The Connect API client.
#[derive(Debug, Clone)]
pub struct ConnectClient {
    http: Http,
    endpoints: Endpoints,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    /// The service's clock minus ours, in seconds, learned from a refusal that blamed the signing
    /// time; shared by clones, so one correction serves a whole discovery.
    skew: Arc<std::sync::Mutex<i64>>,
}

/// How far off the signing time must be before a correction is worth making; AWS allows 5 min.
const SKEW_WORTH_CORRECTING: Duration = Duration::from_secs(60);

/// Whether a refusal blames the signing time (too old or too far ahead), as AWS words it.
fn is_skew_refusal(e: &AwsError) -> bool {
    let code = e.code.as_deref().unwrap_or_default();
    let message = e
        .message
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(
        code,
        "RequestTimeTooSkewed" | "RequestExpired" | "RequestInTheFuture"
    ) || (matches!(
        code,
        "InvalidSignatureException" | "SignatureDoesNotMatch" | "AuthFailure"
    ) && (message.contains("signature expired") || message.contains("not yet current")))
}

impl ConnectClient {
    pub fn new(http: Http, endpoints: Endpoints, clock: Arc<dyn Clock>) -> ConnectClient {
        ConnectClient {
            http,
            endpoints,
            clock,
            policy: RetryPolicy::default(),
            skew: Arc::default(),
        }
    }

    /// The time to sign with: ours, corrected by the skew the service has shown us.
    fn signing_time(&self) -> SystemTime {
        let skew = *self.skew.lock().unwrap();
        let now = self.clock.now();
        if skew >= 0 {
            now + Duration::from_secs(skew.unsigned_abs())
        } else {
            now - Duration::from_secs(skew.unsigned_abs())
        }
    }

    /// After a refusal that blamed the signing time, learns the skew from the answer's `Date`, as
    /// the AWS SDKs do; `true` when it changed enough that signing again may succeed.
    fn learn_skew(&self, resp: &HttpResponse) -> bool {
        let Some(server) = resp.header("date").and_then(crate::doctor::parse_http_date) else {
            return false;
        };
        let ours = self.clock.now();
        let skew = match server.duration_since(ours) {
            Ok(ahead) => i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
            Err(behind) => -i64::try_from(behind.duration().as_secs()).unwrap_or(i64::MAX),
        };
        let mut current = self.skew.lock().unwrap();
        if (skew - *current).unsigned_abs() < SKEW_WORTH_CORRECTING.as_secs() {
            return false;
        }
        tracing::warn!(
            skew_seconds = skew,
            "this computer's clock is off from Amazon Connect's; signing with Connect's time (fix the clock: turn on automatic time)"
        );
        *current = skew;
        true
    }

    /// The same client with another retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> ConnectClient {
        self.policy = policy;
        self
    }

    fn url(&self, region: Region, path: &str, query: &[(&str, &str)]) -> Url {
        let base = self.endpoints.connect(region);
        let mut url = base.clone();
        url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
        url.set_query(
            (!query.is_empty())
                .then(|| encode_query(query.iter().copied()))
                .as_deref(),
        );
        url
    }

    fn real_url(&self, url: Url) -> Url {
        self.endpoints.real(&url).unwrap_or(url)
    }

    /// One signed GET, retried as the policy says, its body parsed by `parse`.
    async fn get<T>(
        &self,
        operation: &'static str,
        instance_id: Option<&str>,
        url: &Url,
        region: Region,
        creds: &RoleCredentials,
        parse: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, ConnectError> {
        let parse = &parse;
        backoff::retry(&self.policy, ConnectError::failure, || async move {
            let mut corrected = false;
            loop {
                let signed = sigv4::sign_get(
                    url,
                    &SigningParams {
                        access_key_id: &creds.access_key_id,
                        secret_access_key: &creds.secret_access_key,
                        session_token: Some(&creds.session_token),
                        region: region.as_str(),
                        service: SIGNING_NAME,
                        time: self.signing_time(),
                    },
                );
                let mut request = self.http.request(reqwest::Method::GET, url.clone());
                for (name, value) in signed.pairs() {
                    request = request.header(name, value);
                }
                let resp = self.http.send(request).await?;
                if !resp.is_success() {
                    // A clock off by more than AWS allows: sign again once with the service's time.
                    if !corrected && is_skew_refusal(&resp.aws_error()) && self.learn_skew(&resp) {
                        corrected = true;
                        continue;
                    }
                    return Err(error_of(operation, instance_id, &resp));
                }
                return parse(&resp.body)
                    .map_err(|detail| ConnectError::Malformed { operation, detail });
            }
        })
        .await
    }

    /// Every instance of the credentials' account in `region`.
    pub async fn list_instances(
        &self,
        region: Region,
        creds: &RoleCredentials,
    ) -> Result<Vec<InstanceSummary>, ConnectError> {
        let size = LIST_INSTANCES_PAGE_SIZE.to_string();
        let map = |u| self.real_url(u);
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("maxResults", size.as_str())];
            if let Some(t) = next.as_deref() {
                query.push(("nextToken", t));
            }
            let url = self.url(region, "/instance", &query);
            let (items, token) = self
                .get("ListInstances", None, &url, region, creds, |b| {
                    parse_instances(b, region, &map)
                })
                .await?;
            all.extend(items);
            match token {
                None => return Ok(all),
                Some(t) if Some(&t) == next.as_ref() => {
                    return Err(ConnectError::Malformed {
                        operation: "ListInstances",
                        detail: "a page token repeated".into(),
                    })
                }
                Some(t) => next = Some(t),
            }
        }
        Err(ConnectError::Malformed {
            operation: "ListInstances",
            detail: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// One instance.
    pub async fn describe_instance(
        &self,
        region: Region,
        creds: &RoleCredentials,
        instance_id: &str,
    ) -> Result<InstanceSummary, ConnectError> {
        let url = self.url(
            region,
            &format!("/instance/{}", uri_encode(instance_id)),
            &[],
        );
        let map = |u| self.real_url(u);
        self.get(
            "DescribeInstance",
            Some(instance_id),
            &url,
            region,
            creds,
            |b| parse_instance(b, region, &map),
        )
        .await
    }

    /// A federation token for the Connect user behind the credentials (for `doctor`: it proves the
    /// role may federate and the user exists in the instance).
    pub async fn get_federation_token(
        &self,
        region: Region,
        creds: &RoleCredentials,
        instance_id: &str,
    ) -> Result<FederationToken, ConnectError> {
        let url = self.url(
            region,
            &format!("/user/federate/{}", uri_encode(instance_id)),
            &[],
        );
        self.get(
            "GetFederationToken",
            Some(instance_id),
            &url,
            region,
            creds,
            parse_federation_token,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(name: &str) -> Region {
        Region::parse(name).unwrap()
    }

    #[test]
    fn domain_forms() {
        let d = |u: &str| domain_form(&Url::parse(u).unwrap());
        assert_eq!(d("https://acme-cc.my.connect.aws"), DomainForm::New);
        assert_eq!(d("https://acme-cc.awsapps.com/connect"), DomainForm::Legacy);
        assert_eq!(
            d("https://d-1234567890.awsapps.com/start"),
            DomainForm::Unknown
        );
        assert_eq!(d("https://example.com"), DomainForm::Unknown);
    }

    #[test]
    fn instances_parse_with_nulls_and_map_urls() {
        let body = br#"{"InstanceSummaryList":[{"Id":"i-1","Arn":"arn:aws:connect:us-east-1:1:instance/i-1","InstanceAlias":"acme-cc",
            "CreatedTime":1.7356896E9,"InstanceStatus":"ACTIVE","InstanceAccessUrl":"http://127.0.0.1:9/acme-cc.my.connect.aws","New":1}],"NextToken":null}"#;
        let map = |_u: Url| Url::parse("https://acme-cc.my.connect.aws").unwrap();
        let (items, next) = parse_instances(body, region("us-east-1"), &map).unwrap();
        assert_eq!(next, None);
        assert_eq!(items[0].alias.as_deref(), Some("acme-cc"));
        assert_eq!(items[0].domain(), DomainForm::New);
        assert_eq!(items[0].region, region("us-east-1"));
        assert!(parse_instances(
            br#"{"InstanceSummaryList":[{"Arn":"x"}]}"#,
            region("us-east-1"),
            &map
        )
        .is_err());
        assert_eq!(
            parse_instances(br#"{"NextToken":"t"}"#, region("us-east-1"), &map).unwrap(),
            (vec![], Some("t".into()))
        );
    }

    #[test]
    fn federation_tokens_are_secret() {
        let t = parse_federation_token(
            br#"{"Credentials":{"AccessToken":"acc","AccessTokenExpiration":1764334800,"RefreshToken":"ref","RefreshTokenExpiration":1764374400.5},
                "SignInUrl":"https://x/auth/sign-in","UserArn":"arn","UserId":"u-1"}"#,
        )
        .unwrap();
        assert_eq!(
            t.access_token_expiration,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_334_800)
        );
        assert_eq!(
            t.refresh_token_expiration,
            SystemTime::UNIX_EPOCH + Duration::from_secs_f64(1_764_374_400.5)
        );
        let printed = format!("{t:?}");
        assert!(
            !printed.contains("acc\"")
                && !printed.contains("ref\"")
                && !printed.contains("sign-in"),
            "{printed}"
        );
        assert_eq!(
            parse_federation_token(br#"{"Credentials":{}}"#).unwrap_err(),
            "`AccessToken` is missing"
        );
    }

    /// A timestamp past what `SystemTime` holds (or past `Duration`) panicked in
    /// `Duration::from_secs_f64` or the addition; now it is a refusal that names the member.
    #[test]
    fn a_time_out_of_range_is_refused_not_a_panic() {
        for (value, expected) in [
            ("1e20", "`AccessTokenExpiration` is not a time"),
            ("1e300", "`AccessTokenExpiration` is not a time"),
            ("-1", "`AccessTokenExpiration` is not a time"),
            ("\"soon\"", "`AccessTokenExpiration` is missing"),
        ] {
            let body = format!(
                r#"{{"Credentials":{{"AccessToken":"a","AccessTokenExpiration":{value},"RefreshToken":"r","RefreshTokenExpiration":1}},"UserId":"u"}}"#
            );
            assert_eq!(
                parse_federation_token(body.as_bytes()).unwrap_err(),
                expected,
                "{value}"
            );
        }
    }

    fn response(status: u16, error_type: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("x-amzn-ErrorType".into(), error_type.into())],
            body: br#"{"Message":"m"}"#.to_vec(),
        }
    }

    #[test]
    fn errors_are_typed() {
        let e = error_of(
            "GetFederationToken",
            Some("i-1"),
            &response(404, "UserNotFoundException"),
        );
        assert!(matches!(&e, ConnectError::UserNotFound { instance_id } if instance_id == "i-1"));
        assert!(e.to_string().contains("ask IT to add you"));
        assert!(matches!(
            error_of("X", None, &response(403, "AccessDeniedException")),
            ConnectError::AccessDenied { .. }
        ));
        assert!(matches!(
            error_of("X", None, &response(429, "ThrottlingException")),
            ConnectError::Throttled
        ));
        assert!(matches!(
            error_of("X", None, &response(403, "InvalidSignatureException")),
            ConnectError::CredentialsRejected { .. }
        ));
        assert!(matches!(
            error_of("X", None, &response(500, "InternalServiceException")),
            ConnectError::Unavailable(_)
        ));
        assert!(matches!(
            error_of("X", Some("i"), &response(404, "ResourceNotFoundException")),
            ConnectError::InstanceNotFound { .. }
        ));
        assert_eq!(ConnectError::Throttled.failure(), Failure::Throttled);
        assert_eq!(
            ConnectError::UserNotFound {
                instance_id: String::new()
            }
            .failure(),
            Failure::Permanent
        );
    }
}
