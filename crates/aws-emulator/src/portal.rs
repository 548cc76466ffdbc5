//! The IAM Identity Center portal (`sso`): ListAccounts, ListAccountRoles, GetRoleCredentials and
//! Logout, plus the undocumented web-portal calls (`/user`, `/instance/appinstances`, profiles, the
//! SAML assertion of a profile, `/federation/console`). Reference: `aws-protocols.md` §3 and §8.
//!
//! Promises: every call needs a live access token in `x-amz-sso_bearer_token` (or the hyphenated
//! spelling browsers send), else 401 `Session token not found or invalid`; lists page with opaque
//! tokens that a client cannot forge into other users' data; GetRoleCredentials for a role the user
//! does not have is the real, unmodelled 403 `ForbiddenException`; `expiration` is epoch millis.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::errors::{ApiError, Service};
use crate::server::run_op;
use crate::state::{Shared, SigninToken};

/// ListAccounts and ListAccountRoles accept `max_result` in this range.
pub const MAX_RESULTS_RANGE: std::ops::RangeInclusive<usize> = 1..=100;
/// The page size when `max_result` is absent.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The application id of IdC's built-in "AWS Account" application.
pub const AWS_ACCOUNT_APPLICATION_ID: &str = "app-03e8643328913682";

/// The portal listener's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/assignment/accounts", get(list_accounts))
        .route("/assignment/roles", get(list_account_roles))
        .route("/federation/credentials", get(get_role_credentials))
        .route("/logout", post(logout))
        .route("/user", get(current_user))
        .route("/instance/appinstances", get(list_app_instances))
        .route("/instance/appinstance/{id}/profiles", get(list_profiles))
        .route("/saml/assertion/idp/{key}", get(saml_assertion))
        .route("/federation/console", get(console_federation))
        .with_state(shared)
}

type Q = Query<HashMap<String, String>>;

/// The user and session behind the request's bearer token.
fn caller(s: &Shared, headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let token = headers
        .get("x-amz-sso_bearer_token")
        .or_else(|| headers.get("x-amz-sso-bearer-token"))
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(ApiError::portal_unauthorized)?;
    s.state
        .lock()
        .unwrap()
        .user_for_token(token, s.clock.epoch_secs())
        .ok_or_else(ApiError::portal_unauthorized)
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::portal(StatusCode::BAD_REQUEST, "InvalidRequestException", message)
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    q.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad_request(format!("{name} is required")))
}

/// One page of `items` after the opaque `token`, at most `max` long, and the next token.
fn paginate<T: Clone>(
    items: &[T],
    q: &HashMap<String, String>,
    scope: &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max = match q.get("max_result") {
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|m| MAX_RESULTS_RANGE.contains(m))
            .ok_or_else(|| bad_request("max_result must be between 1 and 100"))?,
        None => DEFAULT_PAGE_SIZE,
    };
    let start = match q.get("next_token").filter(|t| !t.is_empty()) {
        Some(t) => decode_token(t, scope).ok_or_else(|| bad_request("Invalid next token"))?,
        None => 0,
    };
    let end = (start + max).min(items.len());
    let page = items
        .get(start.min(items.len())..end)
        .unwrap_or_default()
        .to_vec();
    let next = (end < items.len()).then(|| encode_token(end, scope));
    Ok((page, next))
}

fn encode_token(offset: usize, scope: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{offset}:{}", short_hash(scope)))
}

fn decode_token(token: &str, scope: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (offset, tag) = text.split_once(':')?;
    (tag == short_hash(scope))
        .then(|| offset.parse().ok())
        .flatten()
}

fn short_hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..8])
}

async fn list_accounts(State(s): State<Arc<Shared>>, headers: HeaderMap, Query(q): Q) -> Response {
    run_op(&s.clone(), Service::Portal, "ListAccounts", || async move {
        let (user, _) = caller(&s, &headers)?;
        let accounts: Vec<Value> = s
            .org
            .accounts_of(&user)
            .into_iter()
            .map(|a| json!({"accountId": a.id, "accountName": a.name, "emailAddress": a.email}))
            .collect();
        let (page, next) = paginate(&accounts, &q, &format!("accounts/{user}"))?;
        Ok(Json(json!({"nextToken": next, "accountList": page})).into_response())
    })
    .await
}

async fn list_account_roles(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    run_op(
        &s.clone(),
        Service::Portal,
        "ListAccountRoles",
        || async move {
            let (user, _) = caller(&s, &headers)?;
            let account = param(&q, "account_id")?;
            let roles: Vec<Value> = s
                .org
                .roles_of(&user, account)
                .into_iter()
                .map(|r| json!({"roleName": r, "accountId": account}))
                .collect();
            let (page, next) = paginate(&roles, &q, &format!("roles/{user}/{account}"))?;
            Ok(Json(json!({"nextToken": next, "roleList": page})).into_response())
        },
    )
    .await
}

/// The caller, and the account role the query names, which must be assigned to them: else the
/// real, unmodelled 403 `ForbiddenException` ("No access").
fn assigned_role<'a>(
    s: &Shared,
    headers: &HeaderMap,
    q: &'a HashMap<String, String>,
) -> Result<(String, &'a str, &'a str), ApiError> {
    let (user, _) = caller(s, headers)?;
    let account = param(q, "account_id")?;
    let role = param(q, "role_name")?;
    if !s.org.is_assigned(&user, account, role) {
        return Err(ApiError::portal(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "No access",
        ));
    }
    Ok((user, account, role))
}

async fn get_role_credentials(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    run_op(
        &s.clone(),
        Service::Portal,
        "GetRoleCredentials",
        || async move {
            let (user, account, role) = assigned_role(&s, &headers, &q)?;
            let (akid, c) = s.issue_role_credentials(&user, account, role);
            Ok(Json(json!({"roleCredentials": {
                "accessKeyId": akid,
                "secretAccessKey": c.secret_access_key,
                "sessionToken": c.session_token,
                "expiration": c.expires_at * 1000,
            }}))
            .into_response())
        },
    )
    .await
}

async fn logout(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    run_op(&s.clone(), Service::Portal, "Logout", || async move {
        let (_, session) = caller(&s, &headers)?;
        s.state.lock().unwrap().end_session(&session);
        Ok(StatusCode::OK.into_response())
    })
    .await
}

async fn current_user(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    run_op(&s.clone(), Service::Portal, "GetUser", || async move {
        let (name, _) = caller(&s, &headers)?;
        let u = s.org.user(&name).ok_or_else(ApiError::portal_unauthorized)?;
        let (given, family) = u.display_name.split_once(' ').unwrap_or((&u.display_name, ""));
        Ok(Json(json!({
            "userId": crate::ids::stable_uuid(&format!("user/{}", u.user_name)),
            "subject": u.user_name,
            "email": u.email,
            "givenName": given,
            "familyName": family,
            "name": u.display_name,
            "preferredUsername": u.user_name,
            "accountId": null,
            "ssoInstanceId": s.org.directory.sso_instance_id,
            "identityStoreUserId": crate::ids::stable_uuid(&format!("identitystore/{}", u.user_name)),
            "managedActiveDirectoryId": s.org.directory.id,
            "groups": [],
        }))
        .into_response())
    })
    .await
}

/// The app-instance id IdC shows for an account's "AWS Account" application.
fn account_instance_id(account: &str) -> String {
    format!("ins-{}", &short_hash(&format!("account/{account}"))[..16])
}

fn profile_id(key: &str) -> String {
    format!("p-{}", &short_hash(&format!("profile/{key}"))[..16])
}

/// Every app instance the user sees, in a stable order: accounts first, then SAML applications.
fn app_instances(s: &Shared, user: &str) -> Vec<Value> {
    let accounts = s.org.accounts_of(user).into_iter().map(|a| {
        json!({
            "id": account_instance_id(&a.id),
            "name": format!("{} ({})", a.id, a.name),
            "description": "AWS administrative console",
            "applicationId": AWS_ACCOUNT_APPLICATION_ID,
            "applicationName": "AWS Account",
            "icon": format!("https://static.global.sso.amazonaws.com/{AWS_ACCOUNT_APPLICATION_ID}/icons/default.png"),
            "searchMetadata": {"AccountId": a.id, "AccountName": a.name, "AccountEmail": a.email},
        })
    });
    let apps = s.org.applications_of(user).into_iter().map(|app| {
        json!({
            "id": app.id,
            "name": app.name,
            "description": app.description,
            "applicationId": "app-20950d6d247fd7bd",
            "applicationName": "Amazon Connect",
            "icon": "https://static.global.sso.amazonaws.com/app-20950d6d247fd7bd/icons/default.png",
            "searchMetadata": null,
        })
    });
    accounts.chain(apps).collect()
}

/// The undocumented pages answer `{"paginationToken", "result"}`.
fn portal_page(
    items: &[Value],
    q: &HashMap<String, String>,
    scope: &str,
) -> Result<Response, ApiError> {
    let (page, next) = paginate(items, q, scope)?;
    Ok(Json(json!({"paginationToken": next, "result": page})).into_response())
}

async fn list_app_instances(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    run_op(
        &s.clone(),
        Service::Portal,
        "ListAppInstances",
        || async move {
            let (user, _) = caller(&s, &headers)?;
            portal_page(&app_instances(&s, &user), &q, &format!("apps/{user}"))
        },
    )
    .await
}

async fn list_profiles(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    run_op(&s.clone(), Service::Portal, "ListAppInstanceProfiles", || async move {
        let (user, _) = caller(&s, &headers)?;
        let not_found = || ApiError::portal(StatusCode::NOT_FOUND, "ResourceNotFoundException", "Application instance not found");
        let profiles: Vec<Value> = if let Some(app) = s.org.applications_of(&user).into_iter().find(|a| a.id == id) {
            let key = format!("{}_{}_{}", app.account, app.id, profile_id(&app.id));
            let url = format!(
                "{}/saml/assertion/idp/{}",
                s.urls.portal,
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
            );
            vec![json!({
                "id": profile_id(&app.id),
                "name": "Default",
                "description": "",
                "protocol": "SAML",
                "relayState": app.relay_state,
                "url": url,
            })]
        } else if let Some(a) = s.org.accounts_of(&user).into_iter().find(|a| account_instance_id(&a.id) == id) {
            s.org
                .roles_of(&user, &a.id)
                .into_iter()
                .map(|r| {
                    json!({
                        "id": profile_id(&format!("{}/{r}", a.id)),
                        "name": r,
                        "description": "",
                        "protocol": "SAML",
                        "relayState": null,
                        "url": format!("{}/federation/console?account_id={}&role_name={}", s.urls.portal, a.id, r),
                    })
                })
                .collect()
        } else {
            return Err(not_found());
        };
        portal_page(&profiles, &q, &format!("profiles/{user}/{id}"))
    })
    .await
}

async fn saml_assertion(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    run_op(
        &s.clone(),
        Service::Portal,
        "GetSamlAssertion",
        || async move {
            let (user, _) = caller(&s, &headers)?;
            let not_found = || {
                ApiError::portal(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFoundException",
                    "Application profile not found",
                )
            };
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&key)
                .map_err(|_| not_found())?;
            let text = String::from_utf8(raw).map_err(|_| not_found())?;
            let app_id = text.split('_').nth(1).ok_or_else(not_found)?;
            let app = s
                .org
                .applications_of(&user)
                .into_iter()
                .find(|a| a.id == app_id)
                .ok_or_else(|| {
                    ApiError::portal(StatusCode::FORBIDDEN, "ForbiddenException", "No access")
                })?;
            Ok(Json(json!({
                "encodedResponse": crate::saml::assertion(&s, &user, app),
                "destination": s.urls.web_url("signin.aws.amazon.com", "/saml"),
                "relayState": app.relay_state,
                "prettyPrintedXml": "",
            }))
            .into_response())
        },
    )
    .await
}

/// The sign-in host for a region (`signin.aws.amazon.com` in us-east-1, regional elsewhere).
pub fn signin_host(region: &str) -> String {
    match region {
        "us-east-1" => "signin.aws.amazon.com".to_owned(),
        r if r.starts_with("us-gov-") => "signin.amazonaws-us-gov.com".to_owned(),
        r => format!("{r}.signin.aws.amazon.com"),
    }
}

async fn console_federation(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    run_op(
        &s.clone(),
        Service::Portal,
        "GetConsoleFederation",
        || async move {
            let (user, account, role) = assigned_role(&s, &headers, &q)?;
            let (akid, _) = s.issue_role_credentials(&user, account, role);
            let token = crate::ids::random_b64(96);
            s.state.lock().unwrap().signin_tokens.insert(
                token.clone(),
                SigninToken {
                    access_key_id: akid,
                    created: s.clock.epoch_secs(),
                    session_duration: None,
                    used: false,
                },
            );
            let location = s
                .urls
                .web_url(&signin_host(&s.org.directory.region), "/federation");
            Ok(
                Json(json!({"signInToken": token, "signInFederationLocation": location}))
                    .into_response(),
            )
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_scoped() {
        let t = encode_token(20, "accounts/alex");
        assert_eq!(decode_token(&t, "accounts/alex"), Some(20));
        assert_eq!(decode_token(&t, "accounts/sam"), None);
        assert_eq!(decode_token("garbage", "accounts/alex"), None);
    }

    #[test]
    fn signin_hosts() {
        assert_eq!(signin_host("us-east-1"), "signin.aws.amazon.com");
        assert_eq!(signin_host("eu-west-2"), "eu-west-2.signin.aws.amazon.com");
        assert_eq!(signin_host("us-gov-west-1"), "signin.amazonaws-us-gov.com");
    }
}
