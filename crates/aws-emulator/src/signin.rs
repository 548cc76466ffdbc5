//! AWS sign-in (`signin.aws.amazon.com`, `{region}.signin.aws.amazon.com` and the GovCloud
//! `signin.amazonaws-us-gov.com` forms): the console federation endpoint `/federation` with its
//! `getSigninToken` and `login` actions, and the SAML endpoint `/saml` (reference
//! `aws-protocols.md` §6.1, §6.2, §6.4; `connect-sign-in.md` §1.1).
//!
//! Promises:
//! - `/federation` takes its parameters from the query (`GET`) or from the query and a form body
//!   (`POST`), as clients with long session tokens do;
//! - `getSigninToken` answers 200 `{"SigninToken":"…"}` only for a `Session` whose
//!   `sessionId`/`sessionKey`/`sessionToken` are role credentials this emulator issued and that
//!   have not expired on the emulated clock; otherwise HTTP 400 with the plain text
//!   `Invalid credentials parameter`. `SessionDuration` must be a number from
//!   [`MIN_SESSION_DURATION_SECS`] to [`MAX_SESSION_DURATION_SECS`] (else 400). The emulator's
//!   choice on `SessionDuration` with Identity Center role credentials: **accepted**. AWS documents
//!   it for `AssumeRole*` credentials only and refuses it for `GetFederationToken` and role-chained
//!   credentials; the reference recommends clients omit it and retry without it after a 400. Every
//!   credential the emulator issues comes from GetRoleCredentials (or stands for
//!   AssumeRoleWithSAML), so the refusal cases are not modelled;
//! - `getSigninToken` goes through the API path (`run_op`, operation name `getSigninToken`), so
//!   latency and injected faults reach it; the federation endpoint's errors are not JSON, so an
//!   injected throttle or server error is sent as plain text (`Rate exceeded`, `Internal Failure`)
//!   with its status;
//! - `login` needs a sign-in token that exists, was not used, and is less than
//!   [`SIGNIN_TOKEN_LIFETIME_SECS`] (15 minutes) old on the emulated clock, else a 400 page with id
//!   `signin-link-expired`; the token is then used up. `Destination` must be an `https` URL on a
//!   console host (else a 400 page); the console session (see [`crate::console`]) lasts
//!   `SessionDuration` if one was given, else until the credentials expire; the answer is a 302 to
//!   the destination on the emulator;
//! - `POST /saml` (form `SAMLResponse`, `RelayState`) accepts an assertion that
//!   [`crate::saml::verify`] accepts, made for a sign-in host of this partition, with a
//!   `SessionDuration` in range; it starts a console session for the assertion's user, account and
//!   role for `SessionDuration`, and redirects to the relay state (an `https` console URL, mapped to
//!   the emulator) or, when it is empty, to the home page of this sign-in host's console. Anything
//!   else gets AWS's "invalid SAML response" page (400, id `invalid-saml-response`);
//! - `GET /oauth?Action=logout&redirect_uri=…` is the console sign-out that a launcher puts in
//!   front of a login URL when switching instances: it ends the browser's console session (the
//!   session is removed on the server, and the [`console::CONSOLE_COOKIE`] cookie is cleared with
//!   `Path=/`) and answers 302 to `redirect_uri` mapped to the emulator. It is not an open
//!   redirect: `redirect_uri` must be an `https` URL of this partition's sign-in federation
//!   endpoint (`https://{sign-in host}/federation…`), else a 400 page with id `invalid-redirect`
//!   and nothing is signed out; another `Action` gets a 400 page with id `unsupported-action`.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::console;
use crate::errors::Service;
use crate::pages::{self, escape};
use crate::state::{Shared, SigninToken};
use crate::web::{self, Partition};

/// How long a sign-in token (and so a login URL) stays usable: 15 minutes.
pub const SIGNIN_TOKEN_LIFETIME_SECS: u64 = 15 * 60;
/// The shortest console session `SessionDuration` may ask for.
pub const MIN_SESSION_DURATION_SECS: u64 = 900;
/// The longest console session `SessionDuration` may ask for (12 hours).
pub const MAX_SESSION_DURATION_SECS: u64 = 43_200;
/// Random bytes in a sign-in token (real ones are several hundred characters long).
const SIGNIN_TOKEN_BYTES: usize = 384;

/// The body of a 400 for credentials the endpoint does not accept.
pub const INVALID_CREDENTIALS: &str = "Invalid credentials parameter";

/// Serves a sign-in host.
pub async fn handle(
    shared: Arc<Shared>,
    host: &str,
    partition: Partition,
    region: Option<String>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/federation" | "/federation/" => federation(shared, req).await,
        "/saml" | "/saml/" if req.method() == Method::POST => {
            saml(shared, partition, region.as_deref(), req).await
        }
        "/saml" | "/saml/" => pages::error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "the SAML endpoint takes a form POST from an identity provider",
        ),
        "/oauth" | "/oauth/" if req.method() == Method::GET => oauth(&shared, partition, req),
        "/oauth" | "/oauth/" => pages::error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "the sign-out is opened with GET",
        ),
        _ => web::not_found(host, &path),
    }
}

/// The path of the sign-in federation endpoint, the only place a sign-out may send the browser.
const FEDERATION_PATH: &str = "/federation";

/// Whether `url` is an `https` URL of a sign-in host of `partition`, on its federation endpoint.
fn is_federation_url(shared: &Shared, partition: Partition, url: &str) -> bool {
    let on_signin_host = web::https_host(url)
        .and_then(|h| web::classify(&shared.org, &h))
        .is_some_and(
            |site| matches!(site, web::Site::Signin { partition: p, .. } if p == partition),
        );
    let path = url
        .get("https://".len()..)
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .map(|p| &p[..p.find(['?', '#']).unwrap_or(p.len())]);
    on_signin_host && path == Some(FEDERATION_PATH)
}

/// `GET /oauth?Action=logout&redirect_uri=…`: ends the console session, then goes on.
fn oauth(shared: &Shared, partition: Partition, req: Request) -> Response {
    let pairs = web::query_pairs(req.uri());
    if web::param(&pairs, "Action") != Some("logout") {
        return pages::page(
            StatusCode::BAD_REQUEST,
            "Amazon Web Services Sign-In",
            r#"<h1 id="unsupported-action">Unsupported action</h1><p>This endpoint signs out with Action=logout.</p>"#,
        );
    }
    let redirect_uri = web::param(&pairs, "redirect_uri").unwrap_or("");
    let emulated = web::to_emulator_url(&shared.urls, redirect_uri)
        .filter(|_| is_federation_url(shared, partition, redirect_uri));
    let Some(emulated) = emulated else {
        return pages::page(
            StatusCode::BAD_REQUEST,
            "Amazon Web Services Sign-In",
            &format!(
                r#"<h1 id="invalid-redirect">Invalid redirect</h1><p>After signing out, this page only goes on to AWS sign-in federation, not to <code>{}</code>.</p>"#,
                escape(redirect_uri)
            ),
        );
    };
    console::end_session(shared, req.headers());
    web::redirect(
        &emulated,
        &[web::clear_cookie(console::CONSOLE_COOKIE, "/")],
    )
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_owned(),
    )
        .into_response()
}

async fn federation(shared: Arc<Shared>, req: Request) -> Response {
    let mut pairs = web::query_pairs(req.uri());
    if req.method() == Method::POST {
        match web::form_pairs(req.into_body()).await {
            Ok(form) => pairs.extend(form),
            Err(resp) => return resp,
        }
    }
    match web::param(&pairs, "Action") {
        Some("getSigninToken") => {
            let s = shared.clone();
            let resp =
                crate::server::run_op(&shared, Service::Connect, "getSigninToken", || async move {
                    Ok(signin_token(&s, &pairs))
                })
                .await;
            plain_faults(resp)
        }
        Some("login") => login(&shared, &pairs),
        _ => plain(StatusCode::BAD_REQUEST, "Unsupported Action"),
    }
}

/// Turns an injected fault's JSON error (from `run_op`) into the endpoint's plain-text form.
fn plain_faults(resp: Response) -> Response {
    if !resp.headers().contains_key("x-amzn-ErrorType") {
        return resp;
    }
    let status = resp.status();
    let text = if status == StatusCode::TOO_MANY_REQUESTS {
        "Rate exceeded"
    } else {
        "Internal Failure"
    };
    let mut out = plain(status, text);
    for name in ["x-amzn-RequestId", "date"] {
        if let Some(v) = resp.headers().get(name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// The `Session` parameter's JSON.
#[derive(Debug, Deserialize)]
struct SessionParam {
    #[serde(rename = "sessionId")]
    session_id: String,
    #[serde(rename = "sessionKey")]
    session_key: String,
    #[serde(rename = "sessionToken")]
    session_token: String,
}

fn signin_token(shared: &Shared, pairs: &[(String, String)]) -> Response {
    let invalid = || plain(StatusCode::BAD_REQUEST, INVALID_CREDENTIALS);
    let Some(session) =
        web::param(pairs, "Session").and_then(|s| serde_json::from_str::<SessionParam>(s).ok())
    else {
        return invalid();
    };
    let session_duration = match web::param(pairs, "SessionDuration") {
        None => None,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(d) if (MIN_SESSION_DURATION_SECS..=MAX_SESSION_DURATION_SECS).contains(&d) => Some(d),
            _ => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "Invalid SessionDuration parameter: it must be a number of seconds from 900 to 43200",
                )
            }
        },
    };
    let now = shared.clock.epoch_secs();
    let mut state = shared.state.lock().unwrap();
    let valid = state
        .role_credentials
        .get(&session.session_id)
        .is_some_and(|c| {
            c.secret_access_key == session.session_key
                && c.session_token == session.session_token
                && c.expires_at > now
        });
    if !valid {
        return invalid();
    }
    let token = crate::ids::random_b64(SIGNIN_TOKEN_BYTES);
    state.signin_tokens.insert(
        token.clone(),
        SigninToken {
            access_key_id: session.session_id,
            created: now,
            session_duration,
            used: false,
        },
    );
    drop(state);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        serde_json::json!({ "SigninToken": token }).to_string(),
    )
        .into_response()
}

fn link_expired() -> Response {
    pages::page(
        StatusCode::BAD_REQUEST,
        "Amazon Web Services Sign-In",
        r#"<h1 id="signin-link-expired">This sign-in link has expired</h1><p>Sign-in links work once, within 15 minutes of being made. Ask for a new link and open it at once.</p>"#,
    )
}

fn login(shared: &Shared, pairs: &[(String, String)]) -> Response {
    let destination = web::param(pairs, "Destination").unwrap_or("");
    let emulated = web::to_emulator_url(&shared.urls, destination)
        .filter(|_| console::is_console_url(shared, destination));
    let Some(emulated) = emulated else {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "Invalid destination",
            &format!("the Destination `{destination}` is not an https URL of the AWS console"),
        );
    };
    let token = web::param(pairs, "SigninToken").unwrap_or("");
    let now = shared.clock.epoch_secs();
    let mut state = shared.state.lock().unwrap();
    let Some(t) = state
        .signin_tokens
        .get_mut(token)
        .filter(|t| !t.used && now < t.created + SIGNIN_TOKEN_LIFETIME_SECS)
    else {
        return link_expired();
    };
    t.used = true;
    let (akid, session_duration) = (t.access_key_id.clone(), t.session_duration);
    let creds = state.role_credentials.get(&akid).cloned();
    drop(state);
    let Some(creds) = creds else {
        return link_expired();
    };
    let expires_at = session_duration.map_or(creds.expires_at, |d| now + d);
    if expires_at <= now {
        return link_expired();
    }
    let cookie =
        console::start_session(shared, &creds.user, &creds.account, &creds.role, expires_at);
    web::redirect(&emulated, &[cookie])
}

fn invalid_saml(reason: &str) -> Response {
    pages::page(
        StatusCode::BAD_REQUEST,
        "Amazon Web Services Sign-In",
        &format!(
            r#"<h1 id="invalid-saml-response">Your request included an invalid SAML response.</h1><p>To log out, close your browser.</p><p id="saml-error-reason" class="error">{}</p>"#,
            escape(reason)
        ),
    )
}

async fn saml(
    shared: Arc<Shared>,
    partition: Partition,
    region: Option<&str>,
    req: Request,
) -> Response {
    let pairs = match web::form_pairs(req.into_body()).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let Some(response) = web::param(&pairs, "SAMLResponse") else {
        return invalid_saml("the form has no SAMLResponse");
    };
    let assertion = match crate::saml::verify(&shared, response) {
        Ok(a) => a,
        Err(reason) => return invalid_saml(&reason),
    };
    let for_this_partition = web::https_host(&assertion.destination)
        .and_then(|h| web::classify(&shared.org, &h))
        .is_some_and(
            |site| matches!(site, web::Site::Signin { partition: p, .. } if p == partition),
        );
    if !for_this_partition || !assertion.destination.ends_with("/saml") {
        return invalid_saml("the SAML response was made for another recipient");
    }
    if !(MIN_SESSION_DURATION_SECS..=MAX_SESSION_DURATION_SECS)
        .contains(&assertion.session_duration)
    {
        return invalid_saml("the SAML SessionDuration attribute is out of range");
    }
    let relay_state = web::param(&pairs, "RelayState").unwrap_or("").trim();
    let target = if relay_state.is_empty() {
        console::home_url(partition, region)
    } else {
        relay_state.to_owned()
    };
    let emulated = web::to_emulator_url(&shared.urls, &target)
        .filter(|_| console::is_console_url(&shared, &target));
    let Some(emulated) = emulated else {
        return invalid_saml("the RelayState is not an https URL of the AWS console");
    };
    let now = shared.clock.epoch_secs();
    let cookie = console::start_session(
        &shared,
        &assertion.user,
        &assertion.account,
        &assertion.role,
        now + assertion.session_duration,
    );
    web::redirect(&emulated, &[cookie])
}
