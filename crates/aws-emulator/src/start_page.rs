//! The IAM Identity Center access portal's start page, `https://{directory id}.awsapps.com/start`
//! (reference `aws-protocols.md` §8 "Portal deep links"; `connect-federation-article.txt`): the
//! user's accounts, roles and applications, the portal's two deep links, and the launches they
//! lead to.
//!
//! Promises:
//! - the browser is signed in to the portal by the cookie `idc_session` (`Path=/`, value → a portal
//!   session in `State.browser_sessions`), which the OIDC listener's `/authorize` and device pages
//!   set as well; a session that ended or was revoked counts as signed out;
//! - `GET /start` (or `/start/`) signed in: links for every assigned account role and application,
//!   and a script that follows the deep links `#/saml/default/{app name}/{app id}` and
//!   `#/console?account_id=…&role_name=…[&destination=…]` to the launch routes below. Signed out:
//!   "Sign in to continue" (id `portal-sign-in`) with a button per user that `POST`s
//!   `/start/login`, which starts a portal session, sets `idc_session` and returns to `/start`
//!   with the deep link (fragment) kept;
//! - `GET /start/launch/saml?app=ID`: for an assigned application, an auto-submitting form (with a
//!   `<noscript>` button) that POSTs `SAMLResponse` ([`crate::saml::assertion`]) and `RelayState`
//!   (the application's, verbatim) to the emulator's sign-in SAML endpoint; not assigned → 403
//!   (id `no-access`);
//! - `GET /start/launch/console?account_id&role_name[&destination]`: for an assigned role, issues
//!   role credentials, starts a console session for them and redirects to `destination` (an https
//!   console URL, default the console home) on the emulator; not assigned → 403 (id `no-access`);
//! - a launch while signed out redirects to `/start/` with the matching deep link, so signing in
//!   finishes the launch.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use crate::console;
use crate::oidc::BROWSER_SESSION_COOKIE;
use crate::pages::{self, escape};
use crate::state::Shared;
use crate::web::{self, Partition};

/// Serves the access portal host.
pub async fn handle(shared: Arc<Shared>, host: &str, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let get = method == Method::GET || method == Method::HEAD;
    match path.as_str() {
        "/" => web::redirect(&shared.urls.web_url(host, "/start/"), &[]),
        "/start" | "/start/" if get => start(&shared, host, &req),
        "/start/login" if method == Method::POST => {
            let pairs = match web::form_pairs(req.into_body()).await {
                Ok(p) => p,
                Err(resp) => return resp,
            };
            login(&shared, host, &pairs)
        }
        "/start/launch/saml" if get => launch_saml(&shared, host, &req),
        "/start/launch/console" if get => launch_console(&shared, host, &req),
        _ => web::not_found(host, &path),
    }
}

/// The user the browser is signed in to the portal as, if its session is still on.
pub fn portal_user(shared: &Shared, headers: &axum::http::HeaderMap) -> Option<String> {
    let cookie = web::cookie(headers, BROWSER_SESSION_COOKIE)?;
    let now = shared.clock.epoch_secs();
    let state = shared.state.lock().unwrap();
    let session = state.sessions.get(state.browser_sessions.get(&cookie)?)?;
    (!session.revoked && session.ends_at > now).then(|| session.user.clone())
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What JavaScript's `encodeURIComponent` leaves alone: letters, digits and `-_.!~*'()`.
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `encodeURIComponent`-style encoding for a path segment (spaces as `%20`).
fn encode_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URI_COMPONENT).to_string()
}

fn start(shared: &Shared, host: &str, req: &Request) -> Response {
    let Some(user) = portal_user(shared, req.headers()) else {
        return sign_in_page(shared, host);
    };
    let org = &shared.org;
    let launch = format!("/{host}/start/launch/");
    let mut accounts = String::new();
    for account in org.accounts_of(&user) {
        let mut roles = String::new();
        for role in org.roles_of(&user, &account.id) {
            roles.push_str(&format!(
                r#"<li><a class="role-link" data-role="{role}" href="{href}">{role}</a></li>"#,
                role = escape(role),
                href = escape(&format!(
                    "{launch}console?account_id={}&role_name={}",
                    account.id,
                    encode(role)
                )),
            ));
        }
        accounts.push_str(&format!(
            r#"<li class="account" data-account-id="{id}"><strong>{name}</strong> <span class="mono">{id}</span> {email}<ul>{roles}</ul></li>"#,
            id = escape(&account.id),
            name = escape(&account.name),
            email = escape(&account.email),
        ));
    }
    let mut apps = String::new();
    for app in org.applications_of(&user) {
        apps.push_str(&format!(
            r#"<li><a class="app-link" data-app-id="{id}" href="{href}">{name}</a> {description}</li>"#,
            id = escape(&app.id),
            href = escape(&format!("{launch}saml?app={}", encode(&app.id))),
            name = escape(&app.name),
            description = escape(&app.description),
        ));
    }
    let display = org
        .user(&user)
        .map(|u| u.display_name.as_str())
        .unwrap_or(&user);
    let launch_js = serde_json::to_string(&launch).unwrap_or_default();
    let body = format!(
        r##"<div data-page="portal"><h1>AWS access portal</h1>
<p>Signed in as <strong id="portal-user">{user}</strong> ({display})</p>
<h2>AWS accounts</h2><ul id="accounts">{accounts}</ul>
<h2>Applications</h2><ul id="applications">{apps}</ul></div>
<script>
(function () {{
  var base = {launch_js};
  var h = location.hash;
  var saml = /^#\/saml\/default\/[^\/]*\/([^\/?#]+)\/?$/.exec(h);
  if (saml) {{ location.replace(base + "saml?app=" + saml[1]); return; }}
  if (h.indexOf("#/console?") === 0) {{ location.replace(base + "console?" + h.substring(10)); }}
}})();
</script>"##,
        user = escape(&user),
        display = escape(display),
    );
    pages::page(StatusCode::OK, "AWS access portal", &body)
}

fn sign_in_page(shared: &Shared, host: &str) -> Response {
    let action = escape(&format!("/{host}/start/login"));
    let mut users = String::new();
    for u in &shared.org.users {
        users.push_str(&format!(
            r#"<form method="post" action="{action}"><input type="hidden" name="user" value="{name}"><input type="hidden" name="hash" value=""><button type="submit" data-user="{name}">{display}</button> <span class="mono">{name}</span></form>"#,
            name = escape(&u.user_name),
            display = escape(&u.display_name),
        ));
    }
    let body = format!(
        r#"<h1 id="portal-sign-in">Sign in to continue</h1>
<p>Choose who signs in; the emulator stands in for your organisation's identity provider.</p>
{users}
<script>
document.querySelectorAll('input[name="hash"]').forEach(function (e) {{ e.value = location.hash; }});
</script>"#
    );
    pages::page(StatusCode::OK, "AWS access portal - Sign in", &body)
}

fn login(shared: &Shared, host: &str, pairs: &[(String, String)]) -> Response {
    let user = web::param(pairs, "user").unwrap_or("");
    if shared.org.user(user).is_none() {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "Unknown user",
            &format!("`{user}` is not a user of this organisation"),
        );
    }
    let hash = web::param(pairs, "hash")
        .filter(|h| h.starts_with('#') && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("");
    let session = shared.start_session(user);
    let cookie = crate::ids::random_b64(24);
    shared
        .state
        .lock()
        .unwrap()
        .browser_sessions
        .insert(cookie.clone(), session);
    web::redirect(
        &shared.urls.web_url(host, &format!("/start/{hash}")),
        &[web::set_cookie(BROWSER_SESSION_COOKIE, &cookie, "/")],
    )
}

fn no_access(what: &str) -> Response {
    pages::page(
        StatusCode::FORBIDDEN,
        "AWS access portal",
        &format!(
            r#"<h1 id="no-access">No access</h1><p>You do not have access to {}.</p>"#,
            escape(what)
        ),
    )
}

fn launch_saml(shared: &Shared, host: &str, req: &Request) -> Response {
    let pairs = web::query_pairs(req.uri());
    let app_id = web::param(&pairs, "app").unwrap_or("");
    let Some(user) = portal_user(shared, req.headers()) else {
        let name = shared
            .org
            .saml_applications
            .iter()
            .find(|a| a.id == app_id)
            .map_or("", |a| a.name.as_str());
        let deep_link = format!(
            "/start/#/saml/default/{}/{}",
            encode_segment(name),
            encode_segment(app_id)
        );
        return web::redirect(&shared.urls.web_url(host, &deep_link), &[]);
    };
    let Some(app) = shared
        .org
        .applications_of(&user)
        .into_iter()
        .find(|a| a.id == app_id)
    else {
        return no_access(&format!("the application `{app_id}`"));
    };
    let acs = crate::saml::acs_url(app);
    let Some(action) = web::to_emulator_url(&shared.urls, &acs) else {
        return pages::error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot launch",
            "the application's sign-in URL is not valid",
        );
    };
    let assertion = crate::saml::assertion(shared, &user, app);
    let body = format!(
        r#"<div data-page="saml-launch"><h1>Signing in to {name}</h1>
<form id="saml-post" method="post" action="{action}">
<input type="hidden" name="SAMLResponse" value="{assertion}">
<input type="hidden" name="RelayState" value="{relay}">
<noscript><p>JavaScript is turned off; continue by hand.</p><button type="submit">Continue</button></noscript>
</form></div>
<script>document.getElementById("saml-post").submit();</script>"#,
        name = escape(&app.name),
        action = escape(&action),
        assertion = escape(&assertion),
        relay = escape(&app.relay_state),
    );
    pages::page(StatusCode::OK, "AWS access portal", &body)
}

fn launch_console(shared: &Shared, host: &str, req: &Request) -> Response {
    let pairs = web::query_pairs(req.uri());
    let Some(user) = portal_user(shared, req.headers()) else {
        let deep_link = format!("/start/#/console?{}", req.uri().query().unwrap_or(""));
        return web::redirect(&shared.urls.web_url(host, &deep_link), &[]);
    };
    let account = web::param(&pairs, "account_id").unwrap_or("");
    let role = web::param(&pairs, "role_name").unwrap_or("");
    if !shared.org.is_assigned(&user, account, role) {
        return no_access(&format!("the role `{role}` in account `{account}`"));
    }
    let destination = web::param(&pairs, "destination")
        .filter(|d| !d.is_empty())
        .map_or_else(|| console::home_url(Partition::Aws, None), str::to_owned);
    let emulated = web::to_emulator_url(&shared.urls, &destination)
        .filter(|_| console::is_console_url(shared, &destination));
    let Some(emulated) = emulated else {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "Invalid destination",
            &format!("the destination `{destination}` is not an https URL of the AWS console"),
        );
    };
    let (_, creds) = shared.issue_role_credentials(&user, account, role);
    let cookie = console::start_session(shared, &user, account, role, creds.expires_at);
    web::redirect(&emulated, &[cookie])
}
