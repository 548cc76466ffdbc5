//! IAM Identity Center OIDC (`sso-oidc`): RegisterClient, StartDeviceAuthorization, CreateToken
//! (device code, authorization code with PKCE, refresh token), the `/authorize` consent page and the
//! device verification page. Reference: `aws-protocols.md` §2.
//!
//! Promises: a client secret is checked on every call; an authorization code is single-use, bound
//! to its client and its exact port-bearing redirect URI, and needs the S256 verifier; a device code
//! polled faster than its interval gets `SlowDownException`; refresh tokens rotate (the old one stops
//! working) and die with their portal session; refresh tokens are issued only to clients that
//! registered scopes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::errors::{ApiError, Service};
use crate::pages::{error_page, escape, page};
use crate::server::run_op;
use crate::state::{
    AccessToken, AuthCode, AuthRequest, Client, Device, DeviceStatus, RefreshToken, Shared,
};

/// The device-code grant type.
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The authorization-code grant type.
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
/// The refresh-token grant type.
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
/// The one scope a launcher needs; it makes the service issue refresh tokens.
pub const SCOPE_ACCOUNT_ACCESS: &str = "sso:account:access";
/// How long an authorization code may wait before its exchange.
pub const AUTH_CODE_LIFETIME_SECS: u64 = 600;
/// The cookie that marks a browser signed in to the access portal (shared with the start page).
pub const BROWSER_SESSION_COOKIE: &str = "idc_session";

/// The OIDC listener's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/client/register", post(register_client))
        .route("/device_authorization", post(start_device_authorization))
        .route("/token", post(create_token))
        .route("/authorize", get(authorize))
        .route("/authorize/decision", post(authorize_decision))
        .with_state(shared)
}

/// Parses a restJson1 body leniently (any valid JSON object; `null` is absent).
fn body<T: for<'de> Deserialize<'de>>(bytes: &Bytes) -> Result<T, ApiError> {
    let text: &[u8] = if bytes.is_empty() { b"{}" } else { bytes };
    serde_json::from_slice(text).map_err(|e| {
        ApiError::oidc(
            "InvalidRequestException",
            format!("Invalid request body: {e}"),
        )
    })
}

fn required<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::oidc("InvalidRequestException", format!("{name} is required")))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterClientInput {
    client_name: Option<String>,
    client_type: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    issuer_url: Option<String>,
}

async fn register_client(State(s): State<Arc<Shared>>, raw: Bytes) -> Response {
    run_op(&s.clone(), Service::Oidc, "RegisterClient", || async move {
        let input: RegisterClientInput = body(&raw)?;
        let name = required(&input.client_name, "clientName")?.to_owned();
        let client_type = required(&input.client_type, "clientType")?;
        if client_type != "public" {
            return Err(ApiError::oidc("InvalidClientMetadataException", "Invalid client type: only public clients are supported"));
        }
        let scopes = input.scopes.unwrap_or_default();
        if let Some(bad) = scopes.iter().find(|sc| !sc.starts_with("sso:") && !sc.starts_with("codewhisperer:")) {
            return Err(ApiError::oidc("InvalidScopeException", format!("Invalid scope: {bad}")));
        }
        let grant_types = input.grant_types.unwrap_or_default();
        if let Some(bad) = grant_types
            .iter()
            .find(|g| ![GRANT_DEVICE_CODE, GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN].contains(&g.as_str()))
        {
            return Err(ApiError::oidc("UnsupportedGrantTypeException", format!("Unsupported grant type: {bad}")));
        }
        let redirect_uris = input.redirect_uris.unwrap_or_default();
        for uri in &redirect_uris {
            if !is_loopback_redirect(uri) {
                return Err(ApiError::oidc(
                    "InvalidRedirectUriException",
                    format!("Invalid redirect URI {uri}: only http loopback redirect URIs are allowed for public clients"),
                ));
            }
        }
        if grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE) {
            if redirect_uris.is_empty() {
                return Err(ApiError::oidc("InvalidRequestException", "redirectUris is required for the authorization_code grant"));
            }
            let issuer = required(&input.issuer_url, "issuerUrl")?;
            if issuer.trim_end_matches('/') != s.org.start_url() {
                return Err(ApiError::oidc("InvalidRequestException", format!("Invalid issuerUrl: {issuer}")));
            }
        }
        let now = s.clock.epoch_secs();
        let client_id = crate::ids::client_id(&s.org.directory.region);
        let client = Client {
            secret: crate::ids::client_secret(),
            name,
            expires_at: now + s.org.sessions.client_registration_days * 86_400,
            grant_types,
            redirect_uris,
            scopes,
            issuer_url: input.issuer_url,
        };
        let out = json!({
            "clientId": client_id,
            "clientSecret": client.secret,
            "clientIdIssuedAt": now,
            "clientSecretExpiresAt": client.expires_at,
        });
        s.state.lock().unwrap().clients.insert(client_id, client);
        Ok(Json(out).into_response())
    })
    .await
}

/// Whether `uri` is an http URI on a loopback host (any port, as RFC 8252 §7.3 allows).
fn is_loopback_redirect(uri: &str) -> bool {
    match url::Url::parse(uri) {
        Ok(u) => {
            u.scheme() == "http"
                && matches!(
                    u.host_str(),
                    Some("127.0.0.1") | Some("localhost") | Some("[::1]")
                )
                && u.username().is_empty()
                && u.fragment().is_none()
        }
        Err(_) => false,
    }
}

/// Whether a redirect URI used at `/authorize` matches one registered, ignoring the loopback port.
fn redirect_matches(registered: &[String], used: &str) -> bool {
    let Ok(u) = url::Url::parse(used) else {
        return false;
    };
    if !is_loopback_redirect(used) {
        return false;
    }
    registered.iter().any(|r| {
        url::Url::parse(r).is_ok_and(|r| {
            r.scheme() == u.scheme() && r.host_str() == u.host_str() && r.path() == u.path()
        })
    })
}

/// Checks a client id and secret; an unknown, wrong or expired one is `InvalidClientException`.
fn check_client(s: &Shared, client_id: &str, secret: &str) -> Result<Client, ApiError> {
    let st = s.state.lock().unwrap();
    let c = st
        .clients
        .get(client_id)
        .ok_or_else(|| ApiError::oidc("InvalidClientException", "Invalid client provided"))?;
    if c.secret != secret {
        return Err(ApiError::oidc(
            "InvalidClientException",
            "Invalid client secret provided",
        ));
    }
    if c.expires_at <= s.clock.epoch_secs() {
        return Err(ApiError::oidc(
            "InvalidClientException",
            "Client registration has expired",
        ));
    }
    Ok(c.clone())
}

fn allows_grant(c: &Client, grant: &str) -> bool {
    if c.grant_types.is_empty() {
        // A client registered without grant types is a device-flow client (as the AWS CLI's).
        grant == GRANT_DEVICE_CODE || grant == GRANT_REFRESH_TOKEN
    } else {
        c.grant_types.iter().any(|g| g == grant)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartDeviceInput {
    client_id: Option<String>,
    client_secret: Option<String>,
    start_url: Option<String>,
}

async fn start_device_authorization(State(s): State<Arc<Shared>>, raw: Bytes) -> Response {
    run_op(
        &s.clone(),
        Service::Oidc,
        "StartDeviceAuthorization",
        || async move {
            let input: StartDeviceInput = body(&raw)?;
            let client = check_client(
                &s,
                required(&input.client_id, "clientId")?,
                required(&input.client_secret, "clientSecret")?,
            )?;
            let start_url = required(&input.start_url, "startUrl")?;
            if start_url.trim_end_matches('/') != s.org.start_url() {
                return Err(ApiError::oidc(
                    "InvalidRequestException",
                    format!("Invalid start url: {start_url}"),
                ));
            }
            if !allows_grant(&client, GRANT_DEVICE_CODE) {
                return Err(ApiError::oidc(
                    "UnauthorizedClientException",
                    "Client is not authorized to use the device code grant",
                ));
            }
            let device_code = crate::ids::random_b64(64);
            let user_code = crate::ids::user_code();
            let lens = &s.org.sessions;
            let verification_uri = s.urls.web_url(
                &format!("device.sso.{}.amazonaws.com", s.org.directory.region),
                "/",
            );
            let out = json!({
                "deviceCode": device_code,
                "userCode": user_code,
                "verificationUri": verification_uri,
                "verificationUriComplete": format!("{verification_uri}?user_code={user_code}"),
                "expiresIn": lens.device_code_seconds,
                "interval": lens.device_poll_interval_seconds,
            });
            s.state.lock().unwrap().devices.insert(
                device_code,
                Device {
                    client_id: input.client_id.unwrap_or_default(),
                    user_code,
                    start_url: start_url.to_owned(),
                    expires_at: s.clock.epoch_secs() + lens.device_code_seconds,
                    interval: lens.device_poll_interval_seconds,
                    last_poll_ms: None,
                    status: DeviceStatus::Pending,
                },
            );
            Ok(Json(out).into_response())
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTokenInput {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    device_code: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

async fn create_token(State(s): State<Arc<Shared>>, raw: Bytes) -> Response {
    run_op(&s.clone(), Service::Oidc, "CreateToken", || async move {
        let input: CreateTokenInput = body(&raw)?;
        let client_id = required(&input.client_id, "clientId")?.to_owned();
        let client = check_client(
            &s,
            &client_id,
            required(&input.client_secret, "clientSecret")?,
        )?;
        let grant = required(&input.grant_type, "grantType")?;
        if ![
            GRANT_DEVICE_CODE,
            GRANT_AUTHORIZATION_CODE,
            GRANT_REFRESH_TOKEN,
        ]
        .contains(&grant)
        {
            return Err(ApiError::oidc(
                "UnsupportedGrantTypeException",
                format!("Unsupported grant type: {grant}"),
            ));
        }
        if !allows_grant(&client, grant) {
            return Err(ApiError::oidc(
                "UnauthorizedClientException",
                format!("Client is not authorized to use the {grant} grant"),
            ));
        }
        match grant {
            GRANT_DEVICE_CODE => device_token(
                &s,
                &client_id,
                &client,
                required(&input.device_code, "deviceCode")?,
            ),
            GRANT_AUTHORIZATION_CODE => code_token(&s, &client_id, &client, &input),
            _ => refresh(
                &s,
                &client_id,
                required(&input.refresh_token, "refreshToken")?,
            ),
        }
    })
    .await
}

fn device_token(
    s: &Shared,
    client_id: &str,
    client: &Client,
    device_code: &str,
) -> Result<Response, ApiError> {
    let now_ms = s.clock.epoch_millis();
    let now = now_ms / 1000;
    let user = {
        let mut st = s.state.lock().unwrap();
        let d = st
            .devices
            .get_mut(device_code)
            .filter(|d| d.client_id == client_id)
            .ok_or_else(|| {
                ApiError::oidc("InvalidGrantException", "Invalid device code provided")
            })?;
        if d.expires_at <= now {
            return Err(ApiError::oidc(
                "ExpiredTokenException",
                "Device code has expired",
            ));
        }
        let too_fast = d
            .last_poll_ms
            .is_some_and(|last| now_ms < last + d.interval * 1000);
        d.last_poll_ms = Some(now_ms);
        match &d.status {
            DeviceStatus::Used => {
                return Err(ApiError::oidc(
                    "InvalidGrantException",
                    "Device code has already been used",
                ))
            }
            DeviceStatus::Denied => {
                return Err(ApiError::oidc(
                    "AccessDeniedException",
                    "The user denied the authorization request",
                ))
            }
            DeviceStatus::Pending if too_fast => {
                return Err(ApiError::oidc(
                    "SlowDownException",
                    "Client is polling too quickly",
                ))
            }
            DeviceStatus::Pending => {
                return Err(ApiError::oidc(
                    "AuthorizationPendingException",
                    "Authorization is still pending",
                ))
            }
            DeviceStatus::Approved { user } => {
                let user = user.clone();
                d.status = DeviceStatus::Used;
                user
            }
        }
    };
    let session = s.start_session(&user);
    Ok(issue_tokens(
        s,
        client_id,
        &session,
        !client.scopes.is_empty(),
    ))
}

fn code_token(
    s: &Shared,
    client_id: &str,
    client: &Client,
    input: &CreateTokenInput,
) -> Result<Response, ApiError> {
    let code = required(&input.code, "code")?;
    let redirect_uri = required(&input.redirect_uri, "redirectUri")?;
    let verifier = required(&input.code_verifier, "codeVerifier")?;
    let now = s.clock.epoch_secs();
    let user = {
        let mut st = s.state.lock().unwrap();
        let c = st
            .codes
            .get_mut(code)
            .filter(|c| c.client_id == client_id)
            .ok_or_else(|| {
                ApiError::oidc(
                    "InvalidGrantException",
                    "Invalid authorization code provided",
                )
            })?;
        if c.used {
            return Err(ApiError::oidc(
                "InvalidGrantException",
                "Authorization code has already been used",
            ));
        }
        if c.expires_at <= now {
            return Err(ApiError::oidc(
                "ExpiredTokenException",
                "Authorization code has expired",
            ));
        }
        if c.redirect_uri != redirect_uri {
            return Err(ApiError::oidc(
                "InvalidGrantException",
                "Redirect URI does not match the authorization request",
            ));
        }
        if pkce_challenge(verifier) != c.code_challenge {
            return Err(ApiError::oidc(
                "InvalidGrantException",
                "Code verifier does not match the code challenge",
            ));
        }
        c.used = true;
        c.user.clone()
    };
    let session = s.start_session(&user);
    // The authorization-code flow always carries `sso:account:access`, registered or not.
    let _ = client;
    Ok(issue_tokens(s, client_id, &session, true))
}

fn refresh(s: &Shared, client_id: &str, token: &str) -> Result<Response, ApiError> {
    let now = s.clock.epoch_secs();
    let session = {
        let mut st = s.state.lock().unwrap();
        let r = st
            .refresh_tokens
            .get(token)
            .filter(|r| r.client_id == client_id && !r.revoked)
            .cloned()
            .ok_or_else(|| {
                ApiError::oidc("InvalidGrantException", "Invalid refresh token provided")
            })?;
        let live = st
            .sessions
            .get(&r.session)
            .is_some_and(|p| !p.revoked && p.ends_at > now);
        if !live {
            return Err(ApiError::oidc(
                "InvalidGrantException",
                "The session has expired; sign in again",
            ));
        }
        if let Some(old) = st.refresh_tokens.get_mut(token) {
            old.revoked = true;
        }
        r.session
    };
    Ok(issue_tokens(s, client_id, &session, true))
}

/// Issues an access token (and a refresh token when `with_refresh`) for a portal session.
fn issue_tokens(s: &Shared, client_id: &str, session: &str, with_refresh: bool) -> Response {
    let lifetime = s.org.sessions.access_token_minutes * 60;
    let access = crate::ids::access_token();
    let refresh = with_refresh.then(crate::ids::refresh_token);
    {
        let mut st = s.state.lock().unwrap();
        st.access_tokens.insert(
            access.clone(),
            AccessToken {
                session: session.to_owned(),
                client_id: client_id.to_owned(),
                expires_at: s.clock.epoch_secs() + lifetime,
            },
        );
        if let Some(r) = &refresh {
            st.refresh_tokens.insert(
                r.clone(),
                RefreshToken {
                    session: session.to_owned(),
                    client_id: client_id.to_owned(),
                    revoked: false,
                },
            );
        }
    }
    Json(json!({
        "accessToken": access,
        "tokenType": "Bearer",
        "expiresIn": lifetime,
        "refreshToken": refresh,
        "idToken": null,
    }))
    .into_response()
}

/// A `302 Found` to `location`, as OAuth servers (and AWS) send.
pub fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

/// base64url(SHA-256(verifier)) without padding (RFC 7636 S256).
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Redirects the browser back to the client with `params` (plus `state`) in the query.
fn redirect_back(redirect_uri: &str, state: Option<&str>, params: &[(&str, &str)]) -> Response {
    let mut u = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid redirect",
                "The redirect URI is not a URL.",
            )
        }
    };
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(st) = state {
            q.append_pair("state", st);
        }
    }
    found(u.as_str())
}

async fn authorize(
    State(s): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "client_id is missing.",
        );
    };
    let client = s.state.lock().unwrap().clients.get(client_id).cloned();
    let Some(client) = client.filter(|c| c.expires_at > s.clock.epoch_secs()) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid client", "This application is not registered or its registration expired. Start the sign-in again from the application.");
    };
    let Some(redirect_uri) =
        get("redirect_uri").filter(|r| redirect_matches(&client.redirect_uris, r))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect",
            "The redirect URI does not match the application's registration.",
        );
    };
    let state = get("state");
    if !allows_grant(&client, GRANT_AUTHORIZATION_CODE) {
        return redirect_back(
            redirect_uri,
            state,
            &[
                ("error", "unauthorized_client"),
                (
                    "error_description",
                    "client is not registered for the authorization_code grant",
                ),
            ],
        );
    }
    if get("response_type") != Some("code") {
        return redirect_back(
            redirect_uri,
            state,
            &[
                ("error", "unsupported_response_type"),
                ("error_description", "response_type must be code"),
            ],
        );
    }
    let (Some("S256"), Some(challenge)) = (get("code_challenge_method"), get("code_challenge"))
    else {
        return redirect_back(
            redirect_uri,
            state,
            &[
                ("error", "invalid_request"),
                (
                    "error_description",
                    "PKCE with code_challenge_method=S256 is required",
                ),
            ],
        );
    };
    let scopes: Vec<String> = get("scopes")
        .or_else(|| get("scope"))
        .unwrap_or(SCOPE_ACCOUNT_ACCESS)
        .split([' ', ','])
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect();
    let request = AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
        code_challenge: challenge.to_owned(),
        scopes,
    };
    if let Some(user) = s.auto_approve_user() {
        return approve_request(&s, request, &user);
    }
    let id = crate::ids::random_b64(18);
    s.state
        .lock()
        .unwrap()
        .auth_requests
        .insert(id.clone(), request);
    consent_page(&s, &id, &client.name)
}

fn user_choices(s: &Shared) -> String {
    s.org
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            format!(
                r#"<label><input type="radio" name="user" value="{v}"{c}> {n} <span class="mono">{v}</span></label>"#,
                v = escape(&u.user_name),
                n = escape(&u.display_name),
                c = if i == 0 { " checked" } else { "" }
            )
        })
        .collect()
}

fn consent_page(s: &Shared, request_id: &str, client_name: &str) -> Response {
    page(
        StatusCode::OK,
        "Allow access",
        &format!(
            r#"<h1>Allow {client} to access your data?</h1>
<p>Sign in to <span class="mono">{start}</span> as:</p>
<form method="post" action="/authorize/decision" id="consent">
<input type="hidden" name="request" value="{req}">
<fieldset><legend>User</legend>{users}</fieldset>
<p><button type="submit" name="decision" value="allow" id="allow">Allow access</button>
<button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button></p>
</form>"#,
            client = escape(client_name),
            start = escape(&s.org.start_url()),
            req = escape(request_id),
            users = user_choices(s),
        ),
    )
}

#[derive(Debug, Deserialize)]
struct Decision {
    request: String,
    decision: String,
    user: Option<String>,
}

async fn authorize_decision(
    State(s): State<Arc<Shared>>,
    axum::Form(d): axum::Form<Decision>,
) -> Response {
    let Some(request) = s.state.lock().unwrap().auth_requests.remove(&d.request) else {
        return error_page(StatusCode::BAD_REQUEST, "Request expired", "This sign-in request is no longer valid. Start the sign-in again from the application.");
    };
    if d.decision != "allow" {
        return redirect_back(
            &request.redirect_uri,
            request.state.as_deref(),
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied the request"),
            ],
        );
    }
    let Some(user) = d.user.filter(|u| s.org.user(u).is_some()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Unknown user",
            "Pick one of the listed users.",
        );
    };
    approve_request(&s, request, &user)
}

/// Issues a code for an approved request, signs the browser in to the portal, and redirects back.
fn approve_request(s: &Shared, request: AuthRequest, user: &str) -> Response {
    let code = crate::ids::random_b64(48);
    s.state.lock().unwrap().codes.insert(
        code.clone(),
        AuthCode {
            client_id: request.client_id,
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge,
            user: user.to_owned(),
            scopes: request.scopes,
            expires_at: s.clock.epoch_secs() + AUTH_CODE_LIFETIME_SECS,
            used: false,
        },
    );
    let mut resp = redirect_back(
        &request.redirect_uri,
        request.state.as_deref(),
        &[("code", &code)],
    );
    sign_in_browser(s, user, resp.headers_mut());
    resp
}

/// Starts a portal session for the browser (the IdP sign-in a real user does) and sets its cookie.
fn sign_in_browser(s: &Shared, user: &str, headers: &mut HeaderMap) {
    let session = s.start_session(user);
    let cookie = crate::ids::random_b64(24);
    s.state
        .lock()
        .unwrap()
        .browser_sessions
        .insert(cookie.clone(), session);
    if let Ok(v) =
        format!("{BROWSER_SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax").parse()
    {
        headers.append(header::SET_COOKIE, v);
    }
}

/// Approves a pending device authorization by user code.
pub fn approve_device(s: &Shared, user_code: &str, user: &str) -> bool {
    if s.org.user(user).is_none() {
        return false;
    }
    set_device_status(
        s,
        user_code,
        DeviceStatus::Approved {
            user: user.to_owned(),
        },
    )
}

/// Denies a pending device authorization by user code.
pub fn deny_device(s: &Shared, user_code: &str) -> bool {
    set_device_status(s, user_code, DeviceStatus::Denied)
}

fn set_device_status(s: &Shared, user_code: &str, status: DeviceStatus) -> bool {
    let now = s.clock.epoch_secs();
    let mut st = s.state.lock().unwrap();
    let code = user_code.trim().to_ascii_uppercase();
    match st
        .devices
        .values_mut()
        .find(|d| d.user_code == code && d.status == DeviceStatus::Pending && d.expires_at > now)
    {
        Some(d) => {
            d.status = status;
            true
        }
        None => false,
    }
}

/// The device verification page (`https://device.sso.{region}.amazonaws.com/`), served on the web
/// listener: GET shows the code form (or, with auto-approve, approves at once); POST decides.
pub async fn device_page(shared: Arc<Shared>, req: Request) -> Response {
    let method = req.method().clone();
    let query: HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let form: HashMap<String, String> = if method == axum::http::Method::POST {
        let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        url::form_urlencoded::parse(&bytes).into_owned().collect()
    } else {
        HashMap::new()
    };
    let code = form
        .get("user_code")
        .or_else(|| query.get("user_code"))
        .cloned()
        .unwrap_or_default();
    let done = |title: &str, id: &str, msg: &str| {
        page(
            StatusCode::OK,
            title,
            &format!(
                r#"<h1 id="{id}">{}</h1><p>{}</p>"#,
                escape(title),
                escape(msg)
            ),
        )
    };
    if method == axum::http::Method::POST {
        let decision = form.get("decision").map(String::as_str).unwrap_or("");
        let user = form.get("user").cloned().unwrap_or_default();
        let ok = if decision == "allow" {
            approve_device(&shared, &code, &user)
        } else {
            deny_device(&shared, &code)
        };
        return match (ok, decision) {
            (true, "allow") => {
                let mut r = done("Request approved", "device-approved", "You can close this window and return to the application.");
                sign_in_browser(&shared, &user, r.headers_mut());
                r
            }
            (true, _) => done("Request denied", "device-denied", "The application was not given access."),
            (false, _) => error_page(StatusCode::BAD_REQUEST, "Invalid code", "That code is not valid or has expired. Check the code shown by the application and try again."),
        };
    }
    if let (Some(user), false) = (shared.auto_approve_user(), code.is_empty()) {
        if approve_device(&shared, &code, &user) {
            return done(
                "Request approved",
                "device-approved",
                "You can close this window and return to the application.",
            );
        }
    }
    page(
        StatusCode::OK,
        "Authorize request",
        &format!(
            r#"<h1>Authorize request</h1>
<form method="post" id="device">
<label>Code <input name="user_code" id="user_code" value="{code}" autocomplete="off"></label>
<fieldset><legend>User</legend>{users}</fieldset>
<p><button type="submit" name="decision" value="allow" id="allow">Allow access</button>
<button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button></p>
</form>"#,
            code = escape(&code),
            users = user_choices(&shared),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_vector() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn loopback_redirects() {
        let reg = vec!["http://127.0.0.1/oauth/callback".to_owned()];
        assert!(redirect_matches(
            &reg,
            "http://127.0.0.1:53127/oauth/callback"
        ));
        assert!(redirect_matches(&reg, "http://127.0.0.1/oauth/callback"));
        assert!(!redirect_matches(&reg, "http://127.0.0.1:53127/other"));
        assert!(!redirect_matches(
            &reg,
            "https://127.0.0.1:53127/oauth/callback"
        ));
        assert!(!redirect_matches(
            &reg,
            "http://evil.example/oauth/callback"
        ));
        assert!(!is_loopback_redirect("http://example.com/cb"));
    }
}
