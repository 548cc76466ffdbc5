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
    let id = crate::ids::random_b64(32);
    shared.state.lock().unwrap().connect_sessions.insert(
        id.clone(),
        ConnectSession {
            instance_id: instance.id.clone(),
            user,
            started: now,
            ends_at: now + CONNECT_SESSION_SECS,
        },
    );
    let cookie = web::set_cookie(
        &connect_cookie(&instance.alias),
        &id,
        &web::cookie_path(host),
    );
    web::redirect(&shared.urls.web_url(host, &path), &[cookie])
}
