//! A Connect instance's own site: `{alias}.my.connect.aws/…` and, on the legacy domain,
//! `{alias}.awsapps.com/connect/…` (reference `connect-sign-in.md` §1.6–§1.8). It stands in for
//! the CCP, the agent workspace and the admin website, and shows what a launcher needs to check:
//! which instance, which user, which page, and when the session ends.
//!
//! Promises:
//! - pages: `/ccp-v2` (also `/ccp-v2/`, `/ccp-v2/chat`, `/ccp-v2/softphone`), `/agent-app-v2`
//!   (also `/agent-app-v2/`), the admin home `/` and `/home`, and `/logout`; on `{alias}.awsapps.com`
//!   the same under `/connect` (the legacy admin home is `/connect/home`, and `/connect` itself);
//! - with a Connect session for this instance (the cookie [`crate::console::connect_cookie`],
//!   scoped to this host's path) that has not reached its end on the emulated clock, a page shows
//!   `<dl>` entries with ids `instance-id`, `instance-alias`, `connect-user`, `destination` (the
//!   path on this host, e.g. `/ccp-v2/chat` or `/connect/ccp-v2`), `session-ends` (ISO 8601) and,
//!   when given, `vdi-platform`, inside an element with `data-page` (`ccp`, `ccp-chat`,
//!   `ccp-softphone`, `agent-app`, `admin-home`);
//! - without one, or after the 12 hours: Connect's "Session expired" page (id `session-expired`,
//!   401) — there is no reverse federation, so it offers no sign-in;
//! - `/logout` ends the session if there is one, clears the cookie and says so (id `logged-out`),
//!   with or without a session.
//!
//! - `GET /auth/handoff?code=…` finishes a console federation (see [`crate::console`]): the code
//!   works once, for [`HANDOFF_SECS`], on the host it was made for, else 401 (id `sign-in-failed`).
//!   The path is the emulator's own: real Connect finishes federation on the instance's domain too,
//!   but its exact URL is not documented;
//! - a sign-in (a handoff or `/auth/sign-in`) while the browser holds a valid Connect session of
//!   this instance for the same user KEEPS that session: its login time, so its 12 h end does not
//!   move and no new cookie is set. Connect documents only one reset, logging out and signing in
//!   again (`connect-sign-in.md` §0.3, §1.6), so the emulator takes the pessimistic reading; after
//!   `/logout` (or the 12 h, or as another user) a sign-in starts a new 12 h session and sets its
//!   cookie;
//! - `POST /auth/sign-in` (form `credentials`, the JSON `Credentials` of Connect
//!   `GetFederationToken`, and `destination`, a path on this site or an `https` URL of it) starts a
//!   Connect session for the token's user when the access token was issued for this instance and
//!   has not expired, and redirects to the destination (default: the admin home); otherwise 401
//!   (id `sign-in-failed`). This is the form POST AWS's own sample uses; whether Connect accepts
//!   a plain GET of `SignInUrl` is unverified, so a GET gets the "Session expired" page.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use crate::console::{connect_cookie, CONNECT_SESSION_SECS};
use crate::org::{ConnectInstance, DomainForm};
use crate::pages::{self, escape};
use crate::state::{ConnectSession, Shared};
use crate::web;

/// The legacy domain's path prefix.
const LEGACY_PREFIX: &str = "/connect";

/// Where `GetFederationToken` credentials are posted (after the legacy prefix).
const SIGN_IN_PATH: &str = "/auth/sign-in";

/// Where the console's federate link hands a sign-in over (after the legacy prefix).
const HANDOFF_PATH: &str = "/auth/handoff";

/// How long a handoff code works: one redirect's worth, like a sign-in token's short life.
pub const HANDOFF_SECS: u64 = 60;

/// The path and query of the handoff page for `code` on an instance host.
pub fn handoff_path(host: &str, code: &str) -> String {
    let prefix = if host.ends_with(".awsapps.com") {
        LEGACY_PREFIX
    } else {
        ""
    };
    format!("{prefix}{HANDOFF_PATH}?code={code}")
}

/// The `credentials` field of `/auth/sign-in`.
#[derive(Debug, serde::Deserialize)]
struct SignInCredentials {
    #[serde(rename = "AccessToken")]
    access_token: String,
}

/// One kind of page on the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Ccp,
    CcpChat,
    CcpSoftphone,
    AgentApp,
    AdminHome,
    Logout,
    /// `GET /auth/sign-in`: nothing to sign in with.
    SignIn,
}

impl Page {
    /// The page at a path with the legacy prefix already removed.
    fn at(path: &str, domain: DomainForm) -> Option<Page> {
        Some(match path {
            "/ccp-v2" | "/ccp-v2/" => Page::Ccp,
            "/ccp-v2/chat" | "/ccp-v2/chat/" => Page::CcpChat,
            "/ccp-v2/softphone" | "/ccp-v2/softphone/" => Page::CcpSoftphone,
            "/agent-app-v2" | "/agent-app-v2/" => Page::AgentApp,
            "/home" | "/home/" => Page::AdminHome,
            "/" => Page::AdminHome,
            "" if domain == DomainForm::Legacy => Page::AdminHome,
            "/logout" | "/logout/" => Page::Logout,
            SIGN_IN_PATH => Page::SignIn,
            _ => return None,
        })
    }

    fn data_name(self) -> &'static str {
        match self {
            Page::Ccp => "ccp",
            Page::CcpChat => "ccp-chat",
            Page::CcpSoftphone => "ccp-softphone",
            Page::AgentApp => "agent-app",
            Page::AdminHome => "admin-home",
            Page::Logout => "logout",
            Page::SignIn => "sign-in",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Page::Ccp | Page::CcpChat | Page::CcpSoftphone => "Amazon Connect - CCP",
            Page::AgentApp => "Amazon Connect - Agent Workspace",
            Page::AdminHome => "Amazon Connect - Home",
            Page::Logout => "Amazon Connect - Logout",
            Page::SignIn => "Amazon Connect",
        }
    }
}

/// Serves an instance site.
pub async fn handle(
    shared: Arc<Shared>,
    host: &str,
    instance_id: &str,
    domain: DomainForm,
    req: Request,
) -> Response {
    let Some(instance) = shared.org.instance(instance_id) else {
        return web::not_found(host, req.uri().path());
    };
    let full_path = req.uri().path().to_owned();
    let path = match domain {
        DomainForm::New => Some(full_path.as_str()),
        DomainForm::Legacy => full_path
            .strip_prefix(LEGACY_PREFIX)
            .filter(|rest| rest.is_empty() || rest.starts_with('/')),
    };
    if path == Some(SIGN_IN_PATH) && req.method() == Method::POST {
        return sign_in(&shared, host, instance, domain, req).await;
    }
    if path == Some(HANDOFF_PATH) && req.method() == Method::GET {
        return handoff(&shared, host, instance, &req);
    }
    let Some(page) = path.and_then(|p| Page::at(p, domain)) else {
        return web::not_found(host, &full_path);
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return pages::error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "this page is opened with GET",
        );
    }
    let cookie_name = connect_cookie(&instance.alias);
    let cookie_path = web::cookie_path(host);
    let cookie = web::cookie(req.headers(), &cookie_name);
    let now = shared.clock.epoch_secs();

    if page == Page::Logout {
        if let Some(id) = &cookie {
            let mut state = shared.state.lock().unwrap();
            if state
                .connect_sessions
                .get(id)
                .is_some_and(|s| s.instance_id == instance.id)
            {
                state.connect_sessions.remove(id);
            }
        }
        let body = r#"<div data-page="logout"><h1 id="logged-out">You have been logged out</h1><p>Your Amazon Connect session has ended. Close this window, or sign in again through your identity provider.</p></div>"#;
        return web::with_cookies(
            pages::page(StatusCode::OK, page.title(), body),
            &[web::clear_cookie(&cookie_name, &cookie_path)],
        );
    }

    let session: Option<ConnectSession> = cookie.and_then(|id| {
        let state = shared.state.lock().unwrap();
        state
            .connect_sessions
            .get(&id)
            .filter(|s| s.instance_id == instance.id && s.ends_at > now)
            .cloned()
    });
    let Some(session) = session.filter(|_| page != Page::SignIn) else {
        return pages::page(
            StatusCode::UNAUTHORIZED,
            "Amazon Connect - Session expired",
            r#"<h1 id="session-expired">Session expired</h1><p>Your session has expired. Please log in again to continue. Sessions expire after 12 hours.</p>"#,
        );
    };
    let vdi = web::param(&web::query_pairs(req.uri()), "VDIPlatform").map(str::to_owned);
    let ends = crate::clock::iso8601(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(session.ends_at),
    );
    let vdi_row = vdi
        .map(|v| {
            format!(
                r#"<dt>VDI platform</dt><dd id="vdi-platform">{}</dd>"#,
                escape(&v)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<div id="connect-page" data-page="{data}"><h1>{title}</h1><dl>
<dt>Instance</dt><dd id="instance-id">{id}</dd>
<dt>Alias</dt><dd id="instance-alias">{alias}</dd>
<dt>User</dt><dd id="connect-user">{user}</dd>
<dt>Page</dt><dd id="destination">{destination}</dd>
<dt>Session ends</dt><dd id="session-ends">{ends}</dd>
{vdi_row}</dl>
<p><a id="logout-link" href="{logout}">Log out</a></p></div>"#,
        data = page.data_name(),
        title = escape(page.title()),
        id = escape(&instance.id),
        alias = escape(&instance.alias),
        user = escape(&session.user),
        destination = escape(&full_path),
        logout = escape(&format!(
            "{}{}/logout",
            cookie_path,
            if domain == DomainForm::Legacy {
                LEGACY_PREFIX
            } else {
                ""
            }
        )),
    );
    pages::page(StatusCode::OK, page.title(), &body)
}

/// The page path a site's admin home has.
fn home_path(domain: DomainForm) -> &'static str {
    match domain {
        DomainForm::New => "/",
        DomainForm::Legacy => "/connect/home",
    }
}

/// `POST /auth/sign-in` with `GetFederationToken` credentials.
async fn sign_in(
    shared: &Shared,
    host: &str,
    instance: &ConnectInstance,
    domain: DomainForm,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let pairs = match web::form_pairs(req.into_body()).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let failed = |why: &str| {
        pages::page(
            StatusCode::UNAUTHORIZED,
            "Amazon Connect",
            &format!(
                r#"<h1 id="sign-in-failed">Sign-in failed</h1><p class="error">{}</p>"#,
                escape(why)
            ),
        )
    };
    let Some(credentials) = web::param(&pairs, "credentials")
        .and_then(|c| serde_json::from_str::<SignInCredentials>(c).ok())
    else {
        return failed("the form has no valid credentials");
    };
    let destination = web::param(&pairs, "destination").unwrap_or("").trim();
    let path = if destination.is_empty() {
        home_path(domain).to_owned()
    } else if destination.starts_with('/') {
        destination.to_owned()
    } else if web::https_host(destination).as_deref() == Some(host) {
        let after = &destination["https://".len() + host.len()..];
        if after.is_empty() {
            "/".to_owned()
        } else {
            after.to_owned()
        }
    } else {
        return failed("the destination is not a page of this instance");
    };
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return failed("the destination is not a valid page path");
    }
    let now = shared.clock.epoch_secs();
    let user = {
        let state = shared.state.lock().unwrap();
        state
            .federation_tokens
            .get(&credentials.access_token)
            .filter(|t| t.instance_id == instance.id && t.access_expires_at > now)
            .map(|t| t.user.clone())
    };
    let Some(user) = user else {
        return failed("the access token is not valid for this instance");
    };
    let cookies = signed_in(
        shared,
        host,
        instance,
        &user,
        web::cookie(&headers, &connect_cookie(&instance.alias)),
    );
    web::redirect(&shared.urls.web_url(host, &path), &cookies)
}

/// The Connect session a sign-in of `user` lands in (see the module doc): the browser's own
/// (`held`, its cookie value) while it is valid for this instance and user, else a new one of 12 h.
/// Returns the cookies to set: none when the session is kept.
fn signed_in(
    shared: &Shared,
    host: &str,
    instance: &ConnectInstance,
    user: &str,
    held: Option<String>,
) -> Vec<String> {
    let now = shared.clock.epoch_secs();
    let mut state = shared.state.lock().unwrap();
    let kept = held.as_ref().is_some_and(|id| {
        state
            .connect_sessions
            .get(id)
            .is_some_and(|s| s.instance_id == instance.id && s.user == user && s.ends_at > now)
    });
    if kept {
        return Vec::new();
    }
    let id = crate::ids::random_b64(32);
    state.connect_sessions.insert(
        id.clone(),
        ConnectSession {
            instance_id: instance.id.clone(),
            user: user.to_owned(),
            started: now,
            ends_at: now + CONNECT_SESSION_SECS,
        },
    );
    vec![web::set_cookie(
        &connect_cookie(&instance.alias),
        &id,
        &web::cookie_path(host),
    )]
}

/// `GET /auth/handoff?code=…`: finishes a console federation on this site.
fn handoff(shared: &Shared, host: &str, instance: &ConnectInstance, req: &Request) -> Response {
    let code = web::param(&web::query_pairs(req.uri()), "code").map(str::to_owned);
    let now = shared.clock.epoch_secs();
    // One use: the code is gone whatever happens next.
    let handoff = code
        .and_then(|c| shared.state.lock().unwrap().connect_handoffs.remove(&c))
        .filter(|h| h.instance_id == instance.id && h.host == host && h.expires_at > now);
    let Some(handoff) = handoff else {
        return pages::page(
            StatusCode::UNAUTHORIZED,
            "Amazon Connect",
            r#"<h1 id="sign-in-failed">Sign-in failed</h1><p class="error">This sign-in link was already used, has expired or is not for this instance. Sign in again through your identity provider.</p>"#,
        );
    };
    let held = web::cookie(req.headers(), &connect_cookie(&instance.alias));
    let cookies = signed_in(shared, host, instance, &handoff.user, held);
    if handoff.next.starts_with('/') {
        return web::redirect(&shared.urls.web_url(host, &handoff.next), &cookies);
    }
    let url = handoff.next;
    match web::to_emulator_url(&shared.urls, &url)
        .filter(|_| web::https_host(&url).is_some_and(|h| web::classify(&shared.org, &h).is_some()))
    {
        Some(emulated) => web::redirect(&emulated, &cookies),
        None => web::with_cookies(
            pages::page(
                StatusCode::OK,
                "Amazon Connect",
                &format!(
                    r#"<h1 id="external-destination">Opening an approved origin</h1><p>Amazon Connect sends you to <code id="external-url">{}</code>, which must be one of the instance's approved origins. The emulator does not play that site.</p>"#,
                    escape(&url)
                ),
            ),
            &cookies,
        ),
    }
}
