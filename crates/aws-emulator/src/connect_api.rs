//! The Amazon Connect API (`connect`, restJson1, SigV4): ListInstances, DescribeInstance,
//! GetFederationToken, ListUsers and DescribeUser, built to `aws-protocols.md` §4 and
//! `connect-sign-in.md` §2.
//!
//! Promises: every request is SigV4-verified against credentials the emulator issued before
//! anything else is looked at ([`crate::sigv4`]); a caller sees only the instances of its own
//! account in the region it signed for, and every other instance id is "not found"; lists page with
//! opaque tokens that only the listing they came from accepts; GetFederationToken maps the caller's
//! role session name to a Connect user of the instance, and only for a role whose policy allows it
//! (a permission set with `connect_federation`, or the role of a SAML application whose relay state
//! names the instance); URLs in responses are emulator URLs standing for the instance's real hosts.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use crate::errors::{ApiError, Service};
use crate::org::{partition_of, ConnectInstance, Org};
use crate::server::run_op;
use crate::sigv4::{self, Caller, Incoming};
use crate::state::{FederationToken, Shared};

/// The SigV4 signing name of the service.
pub const SIGNING_NAME: &str = "connect";

/// ListInstances: the largest (and default) `maxResults`.
pub const LIST_INSTANCES_MAX_RESULTS: usize = 10;

/// ListUsers: the largest `maxResults`.
pub const LIST_USERS_MAX_RESULTS: usize = 1000;

/// ListUsers: `maxResults` when none is given.
pub const LIST_USERS_DEFAULT_RESULTS: usize = 100;

/// The longest `InstanceId` the model accepts.
pub const INSTANCE_ID_MAX_LEN: usize = 100;

/// How long a federation access token lasts. AWS does not document it [assumption].
pub const FEDERATION_ACCESS_TOKEN_SECS: u64 = 60 * 60;

/// How long a federation refresh token lasts: Connect's 12-hour session [assumption].
pub const FEDERATION_REFRESH_TOKEN_SECS: u64 = 12 * 60 * 60;

/// Random bytes in each federation token.
const FEDERATION_TOKEN_BYTES: usize = 96;

/// The largest request body read (every operation here is a GET without one).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The Connect API router.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/instance", get(list_instances))
        .route("/instance/{instance_id}", get(describe_instance))
        .route("/user/federate/{instance_id}", get(get_federation_token))
        .route("/users-summary/{instance_id}", get(list_users))
        .route("/users/{instance_id}/{user_id}", get(describe_user))
        .fallback(unknown_operation)
        .method_not_allowed_fallback(unknown_operation)
        .with_state(shared)
}

/// A request taken apart: its head and its whole body.
struct Received {
    parts: http::request::Parts,
    body: bytes::Bytes,
}

impl Received {
    async fn read(req: Request) -> Received {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .unwrap_or_default();
        Received { parts, body }
    }

    /// Verifies the signature and says who signed.
    fn caller(&self, shared: &Shared) -> Result<Caller, ApiError> {
        sigv4::verify(
            shared,
            SIGNING_NAME,
            &Incoming::new(&self.parts, &self.body),
        )
        .map_err(|e| e.into_api_error(Service::Connect))
    }

    fn query(&self, name: &str) -> Option<String> {
        let q = self.parts.uri.query()?;
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

fn json_ok(body: Value) -> Result<Response, ApiError> {
    Ok((StatusCode::OK, Json(body)).into_response())
}

fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::connect(StatusCode::BAD_REQUEST, "InvalidRequestException", message)
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::connect(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
}

async fn unknown_operation(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let what = format!("{} {}", req.method(), req.uri().path());
    run_op(
        &shared,
        Service::Connect,
        "UnknownOperation",
        || async move {
            Err(ApiError::connect(
                StatusCode::NOT_FOUND,
                "UnknownOperationException",
                format!("No operation matches {what}"),
            ))
        },
    )
    .await
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Page {
    offset: usize,
    size: usize,
}

/// Reads `maxResults` and `nextToken` for the listing named `listing` (tokens of other listings are
/// refused).
fn page_of(
    max_results: Option<&str>,
    next_token: Option<&str>,
    listing: &str,
    limit: usize,
    default: usize,
) -> Result<Page, ApiError> {
    let size = match max_results {
        None => default,
        Some(raw) => {
            let n: i64 = raw.parse().map_err(|_| {
                invalid_request(format!(
                    "Value '{raw}' at 'maxResults' is not a valid integer"
                ))
            })?;
            if n < 1 {
                return Err(invalid_request(format!(
                    "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
                )));
            }
            if n > limit as i64 {
                return Err(invalid_request(format!(
                    "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to {limit}"
                )));
            }
            n as usize
        }
    };
    let offset = match next_token {
        None => 0,
        Some(token) => decode_page_token(token, listing)
            .ok_or_else(|| invalid_request("The provided NextToken is not valid"))?,
    };
    Ok(Page { offset, size })
}

/// An opaque token naming where the next page of `listing` starts.
fn page_token(listing: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{listing}\n{offset}"))
}

fn decode_page_token(token: &str, listing: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (name, offset) = text.rsplit_once('\n')?;
    (name == listing).then(|| offset.parse().ok()).flatten()
}

/// The items of one page and the token of the next, if any.
fn take_page<T>(items: Vec<T>, page: &Page, listing: &str) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let end = page.offset.saturating_add(page.size).min(total);
    let chunk: Vec<T> = items
        .into_iter()
        .skip(page.offset)
        .take(page.size)
        .collect();
    let next = (end < total).then(|| page_token(listing, end));
    (chunk, next)
}

fn check_instance_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > INSTANCE_ID_MAX_LEN {
        return Err(invalid_request(format!(
            "1 validation error detected: Value at 'instanceId' failed to satisfy constraint: Member must have length between 1 and {INSTANCE_ID_MAX_LEN}"
        )));
    }
    Ok(())
}

/// The instance, if the caller's account owns it and the caller signed for its region.
fn visible_instance<'a>(
    org: &'a Org,
    caller: &Caller,
    id: &str,
) -> Result<&'a ConnectInstance, ApiError> {
    check_instance_id(id)?;
    org.instance(id)
        .filter(|i| i.account == caller.account && i.region == caller.region)
        .ok_or_else(|| not_found(format!("Instance not found: {id}")))
}

/// The IAM role name behind a role: IdC names permission-set roles `AWSReservedSSO_{set}_{hash}`.
fn iam_role_name(org: &Org, role: &str) -> String {
    if org.permission_set(role).is_some() {
        let hash = crate::ids::stable_uuid(&format!("permission-set/{role}")).replace('-', "");
        format!("AWSReservedSSO_{role}_{}", &hash[..16])
    } else {
        role.to_owned()
    }
}

/// The caller as IAM names it in an access-denied message.
fn assumed_role_arn(org: &Org, caller: &Caller) -> String {
    format!(
        "arn:{}:sts::{}:assumed-role/{}/{}",
        partition_of(&caller.region),
        caller.account,
        iam_role_name(org, &caller.role),
        caller.user
    )
}

/// The instance id a relay state federates into (`…/connect/federate/{id}[?…]`).
pub fn federate_target(relay_state: &str) -> Option<&str> {
    let (_, rest) = relay_state.split_once("/connect/federate/")?;
    let end = rest.find(['?', '/', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|id| !id.is_empty())
}

/// Whether the policy of `role` in `account` allows `connect:GetFederationToken` on `instance_id`: a
/// permission set with `connect_federation` (any instance), or the role of a SAML application in
/// the caller's account whose relay state names the instance.
pub fn may_federate(org: &Org, account: &str, role: &str, instance_id: &str) -> bool {
    org.permission_set(role)
        .is_some_and(|p| p.connect_federation)
        || org.saml_applications.iter().any(|app| {
            app.account == account
                && app.role == role
                && federate_target(&app.relay_state) == Some(instance_id)
        })
}

/// The emulator URL standing for the instance's site root (`https://{alias}.my.connect.aws` or
/// `https://{alias}.awsapps.com/connect`).
fn access_url(shared: &Shared, i: &ConnectInstance) -> String {
    shared.urls.web_url(&i.web_host(), i.web_prefix())
}

fn service_role_arn(i: &ConnectInstance) -> String {
    let suffix = crate::ids::stable_uuid(&format!("service-role/{}", i.id)).replace('-', "");
    format!(
        "arn:{}:iam::{}:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect_{}",
        partition_of(&i.region),
        i.account,
        &suffix[..20]
    )
}

/// The `InstanceSummary` fields (§4.2).
fn instance_summary(shared: &Shared, i: &ConnectInstance) -> serde_json::Map<String, Value> {
    let v = json!({
        "Id": i.id,
        "Arn": i.arn(),
        "IdentityManagementType": i.identity_management,
        "InstanceAlias": i.alias,
        "CreatedTime": i.created as f64,
        "ServiceRole": service_role_arn(i),
        "InstanceStatus": "ACTIVE",
        "InboundCallsEnabled": true,
        "OutboundCallsEnabled": true,
        "InstanceAccessUrl": access_url(shared, i),
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn user_arn(i: &ConnectInstance, user_id: &str) -> String {
    format!("{}/agent/{user_id}", i.arn())
}

async fn list_instances(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let received = Received::read(req).await;
    let s = shared.clone();
    run_op(&shared, Service::Connect, "ListInstances", || async move {
        let caller = received.caller(&s)?;
        let listing = format!("ListInstances/{}/{}", caller.account, caller.region);
        let page = page_of(
            received.query("maxResults").as_deref(),
            received.query("nextToken").as_deref(),
            &listing,
            LIST_INSTANCES_MAX_RESULTS,
            LIST_INSTANCES_MAX_RESULTS,
        )?;
        let mine: Vec<&ConnectInstance> = s
            .org
            .connect_instances
            .iter()
            .filter(|i| i.account == caller.account && i.region == caller.region)
            .collect();
        let (chunk, next) = take_page(mine, &page, &listing);
        let list: Vec<Value> = chunk
            .into_iter()
            .map(|i| Value::Object(instance_summary(&s, i)))
            .collect();
        let mut body = json!({ "InstanceSummaryList": list });
        if let Some(t) = next {
            body["NextToken"] = json!(t);
        }
        json_ok(body)
    })
    .await
}

async fn describe_instance(
    State(shared): State<Arc<Shared>>,
    Path(instance_id): Path<String>,
    req: Request,
) -> Response {
    let received = Received::read(req).await;
    let s = shared.clone();
    run_op(
        &shared,
        Service::Connect,
        "DescribeInstance",
        || async move {
            let caller = received.caller(&s)?;
            let instance = visible_instance(&s.org, &caller, &instance_id)?;
            let mut fields = instance_summary(&s, instance);
            fields.insert("Tags".to_owned(), json!({}));
            json_ok(json!({ "Instance": Value::Object(fields) }))
        },
    )
    .await
}

async fn get_federation_token(
    State(shared): State<Arc<Shared>>,
    Path(instance_id): Path<String>,
    req: Request,
) -> Response {
    let received = Received::read(req).await;
    let s = shared.clone();
    run_op(&shared, Service::Connect, "GetFederationToken", || async move {
        let caller = received.caller(&s)?;
        check_instance_id(&instance_id)?;
        // IAM decides before the service looks at the instance.
        if !may_federate(&s.org, &caller.account, &caller.role, &instance_id) {
            return Err(ApiError::connect(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                format!(
                    "User: {} is not authorized to perform: connect:GetFederationToken on resource: arn:{}:connect:{}:{}:instance/{instance_id}/user/{}",
                    assumed_role_arn(&s.org, &caller),
                    partition_of(&caller.region),
                    caller.region,
                    caller.account,
                    caller.user
                ),
            ));
        }
        let instance = visible_instance(&s.org, &caller, &instance_id)?;
        if !instance.users.contains(&caller.user) {
            return Err(ApiError::connect(
                StatusCode::NOT_FOUND,
                "UserNotFoundException",
                format!("No user found in instance {instance_id} for the calling identity {}", caller.user),
            ));
        }
        let now = s.clock.epoch_secs();
        let access_token = crate::ids::random_b64(FEDERATION_TOKEN_BYTES);
        let token = FederationToken {
            instance_id: instance.id.clone(),
            user: caller.user.clone(),
            refresh_token: crate::ids::random_b64(FEDERATION_TOKEN_BYTES),
            access_expires_at: now + FEDERATION_ACCESS_TOKEN_SECS,
            refresh_expires_at: now + FEDERATION_REFRESH_TOKEN_SECS,
        };
        let user_id = instance.user_id(&caller.user);
        let body = json!({
            "Credentials": {
                "AccessToken": access_token,
                "AccessTokenExpiration": token.access_expires_at,
                "RefreshToken": token.refresh_token,
                "RefreshTokenExpiration": token.refresh_expires_at,
            },
            "SignInUrl": s.urls.web_url(&instance.web_host(), &format!("{}/auth/sign-in", instance.web_prefix())),
            "UserArn": user_arn(instance, &user_id),
            "UserId": user_id,
        });
        s.state.lock().unwrap().federation_tokens.insert(access_token, token);
        json_ok(body)
    })
    .await
}

async fn list_users(
    State(shared): State<Arc<Shared>>,
    Path(instance_id): Path<String>,
    req: Request,
) -> Response {
    let received = Received::read(req).await;
    let s = shared.clone();
    run_op(&shared, Service::Connect, "ListUsers", || async move {
        let caller = received.caller(&s)?;
        let instance = visible_instance(&s.org, &caller, &instance_id)?;
        let listing = format!("ListUsers/{}", instance.id);
        let page = page_of(
            received.query("maxResults").as_deref(),
            received.query("nextToken").as_deref(),
            &listing,
            LIST_USERS_MAX_RESULTS,
            LIST_USERS_DEFAULT_RESULTS,
        )?;
        let (chunk, next) = take_page(instance.users.iter().collect(), &page, &listing);
        let list: Vec<Value> = chunk
            .into_iter()
            .map(|u| {
                let id = instance.user_id(u);
                json!({
                    "Id": id,
                    "Arn": user_arn(instance, &id),
                    "Username": u,
                    "LastModifiedTime": instance.created as f64,
                    "LastModifiedRegion": instance.region,
                })
            })
            .collect();
        let mut body = json!({ "UserSummaryList": list });
        if let Some(t) = next {
            body["NextToken"] = json!(t);
        }
        json_ok(body)
    })
    .await
}

/// First and last name from a display name (`Alex Rivera` → `Alex`, `Rivera`).
fn split_name(display_name: &str) -> (&str, &str) {
    let name = display_name.trim();
    name.split_once(' ')
        .map(|(f, l)| (f, l.trim()))
        .unwrap_or((name, ""))
}

async fn describe_user(
    State(shared): State<Arc<Shared>>,
    Path((instance_id, user_id)): Path<(String, String)>,
    req: Request,
) -> Response {
    let received = Received::read(req).await;
    let s = shared.clone();
    run_op(&shared, Service::Connect, "DescribeUser", || async move {
        let caller = received.caller(&s)?;
        let instance = visible_instance(&s.org, &caller, &instance_id)?;
        let username = instance
            .users
            .iter()
            .find(|u| instance.user_id(u) == user_id)
            .ok_or_else(|| not_found(format!("User not found: {user_id}")))?;
        let (first, last, email) = match s.org.user(username) {
            Some(u) => {
                let (f, l) = split_name(&u.display_name);
                (f.to_owned(), l.to_owned(), u.email.clone())
            }
            None => (username.clone(), String::new(), String::new()),
        };
        let mut identity = json!({ "FirstName": first, "LastName": last });
        if !email.is_empty() {
            identity["Email"] = json!(email);
        }
        json_ok(json!({
            "User": {
                "Id": user_id,
                "Arn": user_arn(instance, &user_id),
                "Username": username,
                "IdentityInfo": identity,
                "PhoneConfig": {
                    "PhoneType": "SOFT_PHONE",
                    "AutoAccept": false,
                    "AfterContactWorkTimeLimit": 0,
                },
                "SecurityProfileIds": [crate::ids::stable_uuid(&format!("{}/security-profile/Agent", instance.id))],
                "RoutingProfileId": crate::ids::stable_uuid(&format!("{}/routing-profile/Basic Routing Profile", instance.id)),
                "Tags": {},
                "LastModifiedTime": instance.created as f64,
                "LastModifiedRegion": instance.region,
            }
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(account: &str, role: &str, region: &str) -> Caller {
        Caller {
            access_key_id: "ASIAEXAMPLE".to_owned(),
            user: "jordan.lee@example.com".to_owned(),
            account: account.to_owned(),
            role: role.to_owned(),
            region: region.to_owned(),
        }
    }

    const ACME_PROD: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";
    const ACME_EMEA: &str = "b7f2e9a4-3c1d-4e8f-a6b5-9d0c2e4f6a88";

    #[test]
    fn relay_states_name_their_instance() {
        assert_eq!(
            federate_target("https://us-east-1.console.aws.amazon.com/connect/federate/abc-1?destination=%2Fccp-v2"),
            Some("abc-1")
        );
        assert_eq!(
            federate_target("https://console.amazonaws-us-gov.com/connect/federate/abc-2"),
            Some("abc-2")
        );
        assert_eq!(
            federate_target("https://x/connect/federate/abc-3/extra"),
            Some("abc-3")
        );
        assert_eq!(federate_target("https://x/connect/federate/?x"), None);
        assert_eq!(federate_target("https://x/start"), None);
    }

    #[test]
    fn federation_follows_the_role_policy() {
        let org = Org::demo();
        // A permission set with connect_federation: any instance.
        assert!(may_federate(
            &org,
            "111122223333",
            "ConnectAgent",
            ACME_PROD
        ));
        // The SAML role: the instances its applications' relay states name, in its own account.
        assert!(may_federate(
            &org,
            "111122223333",
            "ConnectSAMLFederation",
            ACME_EMEA
        ));
        assert!(!may_federate(
            &org,
            "444455556666",
            "ConnectSAMLFederation",
            ACME_PROD
        ));
        assert!(!may_federate(
            &org,
            "111122223333",
            "ConnectSAMLFederation",
            "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66"
        ));
        // A permission set without it.
        assert!(!may_federate(
            &org,
            "111122223333",
            "ReadOnlyAccess",
            ACME_PROD
        ));
    }

    #[test]
    fn instances_of_other_accounts_and_regions_are_not_found() {
        let org = Org::demo();
        assert!(
            visible_instance(&org, &caller("111122223333", "X", "us-east-1"), ACME_PROD).is_ok()
        );
        let e = visible_instance(&org, &caller("111122223333", "X", "eu-west-2"), ACME_PROD)
            .unwrap_err();
        assert_eq!(
            (e.status, e.shape),
            (StatusCode::NOT_FOUND, "ResourceNotFoundException")
        );
        assert!(
            visible_instance(&org, &caller("444455556666", "X", "us-east-1"), ACME_PROD).is_err()
        );
        let e = visible_instance(
            &org,
            &caller("111122223333", "X", "us-east-1"),
            &"a".repeat(101),
        )
        .unwrap_err();
        assert_eq!(e.shape, "InvalidRequestException");
    }

    #[test]
    fn pages_cover_everything_once() {
        let items: Vec<u32> = (0..5).collect();
        let mut page = page_of(Some("2"), None, "L", 10, 10).unwrap();
        let mut seen = Vec::new();
        loop {
            let (chunk, next) = take_page(items.clone(), &page, "L");
            seen.extend(chunk);
            let Some(t) = next else { break };
            page = page_of(Some("2"), Some(&t), "L", 10, 10).unwrap();
        }
        assert_eq!(seen, items);
        let (all, next) = take_page(
            items.clone(),
            &page_of(None, None, "L", 10, 10).unwrap(),
            "L",
        );
        assert_eq!((all.len(), next), (5, None));
    }

    #[test]
    fn page_requests_are_checked() {
        for bad in ["0", "11", "-1", "ten"] {
            let e = page_of(Some(bad), None, "L", 10, 10).unwrap_err();
            assert_eq!(
                (e.status, e.shape),
                (StatusCode::BAD_REQUEST, "InvalidRequestException"),
                "{bad}"
            );
        }
        let other = page_token("M", 1);
        assert!(page_of(None, Some(&other), "L", 10, 10).is_err());
        assert!(page_of(None, Some("not a token"), "L", 10, 10).is_err());
        assert_eq!(
            page_of(None, None, "L", 1000, 100).unwrap(),
            Page {
                offset: 0,
                size: 100
            }
        );
    }

    #[test]
    fn names_split_into_first_and_last() {
        assert_eq!(split_name("Alex Rivera"), ("Alex", "Rivera"));
        assert_eq!(split_name("Cher"), ("Cher", ""));
        assert_eq!(split_name("Mary Ann Smith"), ("Mary", "Ann Smith"));
    }

    #[test]
    fn access_denied_names_the_reserved_sso_role() {
        let org = Org::demo();
        let arn = assumed_role_arn(&org, &caller("111122223333", "ReadOnlyAccess", "us-east-1"));
        assert!(
            arn.starts_with(
                "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnlyAccess_"
            ),
            "{arn}"
        );
        assert!(arn.ends_with("/jordan.lee@example.com"), "{arn}");
        let arn = assumed_role_arn(
            &org,
            &caller("111122223333", "ConnectSAMLFederation", "us-east-1"),
        );
        assert_eq!(
            arn,
            "arn:aws:sts::111122223333:assumed-role/ConnectSAMLFederation/jordan.lee@example.com"
        );
    }
}
