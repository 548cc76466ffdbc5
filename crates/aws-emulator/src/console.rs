//! The AWS console hosts (`console.aws.amazon.com`, `{region}.console.aws.amazon.com`,
//! `console.amazonaws-us-gov.com`): a home page that shows who is signed in, and the Amazon
//! Connect federate link `/connect/federate/{instanceId}` (reference `aws-protocols.md` §6.3,
//! `connect-sign-in.md` §1.2–§1.5, §1.8).
//!
//! Promises:
//! - a console session is the cookie [`CONSOLE_COOKIE`] with `Path=/`, so that every console host
//!   sees it (the real console's sign-in cookies are domain-wide); it ends at its `expires_at` on
//!   the emulated clock; without one, a page with id `console-signed-out` (401);
//! - federate checks, in order: the instance exists, is in the session's account and in the console
//!   host's region (the global host is us-east-1; the GovCloud host, any `us-gov-*` region), else
//!   404; the role may federate (a permission set with `connect_federation`, or a SAML
//!   application's role in that account), else 403 `access-denied` with Connect's text; the role
//!   session name is a Connect user of the instance (case-sensitive), else 403 `not-onboarded`;
//! - then the sign-in is handed to the instance's own site (as real Connect finishes sign-in on the
//!   instance's domain): a redirect to its `/auth/handoff?code=…` (`/connect/auth/handoff` on
//!   `{alias}.awsapps.com`) with a one-time code that lives [`crate::instance_site::HANDOFF_SECS`].
//!   The site decides whether the browser keeps its Connect session or starts one of
//!   [`CONNECT_SESSION_SECS`] (12 h, whatever the console session's length), and sends the browser
//!   to the page named by `destination`: absent → the admin home (`/` on `{alias}.my.connect.aws`,
//!   `/connect/home` on `{alias}.awsapps.com`); `new_domain=true` selects `{alias}.my.connect.aws`
//!   whatever domain the instance has and drops a `/connect` prefix from the destination; the
//!   legacy domain gets the `/connect` prefix added when missing. Both documented separators of
//!   `new_domain` are accepted (`&new_domain=true`, and `%26new_domain=true` inside the
//!   destination). A `VDIPlatform` parameter, beside or inside the destination, is kept. An `https`
//!   (or `http`, made `https` as Connect does) destination is followed when the emulator plays its
//!   host; otherwise a page with id `external-destination` names it as an approved origin (both
//!   after the handoff, on the instance's own domain).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use crate::org::{ConnectInstance, DomainForm};
use crate::pages::{self, escape};
use crate::state::{ConnectHandoff, ConsoleSession, Shared};
use crate::web::{self, Partition};

/// The console session cookie (`Path=/`, see the module doc).
pub const CONSOLE_COOKIE: &str = "aws_console_session";

/// How long a Connect session lasts from federation: 12 hours, fixed by Connect.
pub const CONNECT_SESSION_SECS: u64 = 12 * 60 * 60;

/// The region the region-less commercial console host (`console.aws.amazon.com`) opens in.
pub const GLOBAL_CONSOLE_REGION: &str = "us-east-1";

/// The prefix of GovCloud regions, the only ones the GovCloud console host serves.
const GOV_REGION_PREFIX: &str = "us-gov-";

/// The name of the cookie that holds a Connect session on an instance's site (scoped to the
/// site's path, see [`web::cookie_path`]).
pub fn connect_cookie(alias: &str) -> String {
    format!("connect_session_{}", alias.to_ascii_lowercase())
}

/// The real URL of a console host's home page.
pub fn home_url(partition: Partition, region: Option<&str>) -> String {
    match (partition, region) {
        (Partition::Aws, None) => "https://console.aws.amazon.com/console/home".to_owned(),
        (Partition::Aws, Some(r)) => format!("https://{r}.console.aws.amazon.com/console/home"),
        (Partition::AwsUsGov, _) => "https://console.amazonaws-us-gov.com/console/home".to_owned(),
    }
}

/// Whether `url` is an `https` URL on one of the console hosts.
pub fn is_console_url(shared: &Shared, url: &str) -> bool {
    web::https_host(url)
        .and_then(|h| web::classify(&shared.org, &h))
        .is_some_and(|s| matches!(s, web::Site::Console { .. }))
}

/// Starts a console session and returns the `Set-Cookie` value that carries it.
pub fn start_session(
    shared: &Shared,
    user: &str,
    account: &str,
    role: &str,
    expires_at: u64,
) -> String {
    let id = crate::ids::random_b64(32);
    shared.state.lock().unwrap().console_sessions.insert(
        id.clone(),
        ConsoleSession {
            user: user.to_owned(),
            account: account.to_owned(),
            role: role.to_owned(),
            expires_at,
        },
    );
    web::set_cookie(CONSOLE_COOKIE, &id, "/")
}

/// Ends the console session the browser holds, if it holds one.
pub fn end_session(shared: &Shared, headers: &axum::http::HeaderMap) {
    if let Some(id) = web::cookie(headers, CONSOLE_COOKIE) {
        shared.state.lock().unwrap().console_sessions.remove(&id);
    }
}

/// The browser's valid console session, if any.
pub fn session(shared: &Shared, headers: &axum::http::HeaderMap) -> Option<ConsoleSession> {
    let id = web::cookie(headers, CONSOLE_COOKIE)?;
    let now = shared.clock.epoch_secs();
    let state = shared.state.lock().unwrap();
    state
        .console_sessions
        .get(&id)
        .filter(|s| s.expires_at > now)
        .cloned()
}

/// Serves a console host.
pub async fn handle(
    shared: Arc<Shared>,
    host: &str,
    partition: Partition,
    region: Option<String>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_owned();
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return pages::error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "console pages are opened with GET",
        );
    }
    let Some(session) = session(&shared, req.headers()) else {
        return signed_out();
    };
    if path == "/" || path == "/console/home" || path == "/console/home/" {
        return home(&shared, &session);
    }
    if let Some(id) = path.strip_prefix("/connect/federate/") {
        let id = id.trim_end_matches('/');
        let pairs = web::query_pairs(req.uri());
        return federate(&shared, partition, region.as_deref(), &session, id, &pairs);
    }
    web::not_found(host, &path)
}

fn signed_out() -> Response {
    pages::page(
        StatusCode::UNAUTHORIZED,
        "AWS Management Console",
        r#"<h1 id="console-signed-out">You are not signed in to the AWS console</h1><p>Sign in through your organisation's access portal or a federation sign-in link, then open this page again.</p>"#,
    )
}

fn home(shared: &Shared, s: &ConsoleSession) -> Response {
    let ends =
        crate::clock::iso8601(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s.expires_at));
    let account_name = shared
        .org
        .account(&s.account)
        .map(|a| a.name.as_str())
        .unwrap_or("");
    pages::page(
        StatusCode::OK,
        "AWS Management Console",
        &format!(
            r#"<div data-page="console-home"><h1>Console Home</h1><dl>
<dt>Account</dt><dd id="console-account">{account} ({account_name})</dd>
<dt>Role</dt><dd id="console-role">{role}</dd>
<dt>Role session name</dt><dd id="console-user">{user}</dd>
<dt>Session ends</dt><dd id="console-session-ends">{ends}</dd>
</dl></div>"#,
            account = escape(&s.account),
            account_name = escape(account_name),
            role = escape(&s.role),
            user = escape(&s.user),
        ),
    )
}

/// Whether an instance is reachable from a console host.
fn in_console_region(
    instance: &ConnectInstance,
    partition: Partition,
    region: Option<&str>,
) -> bool {
    match partition {
        Partition::AwsUsGov => instance.region.starts_with(GOV_REGION_PREFIX),
        Partition::Aws => instance.region == region.unwrap_or(GLOBAL_CONSOLE_REGION),
    }
}

/// Where a federate request sends the browser, once the session exists.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// A page on the instance site: the host and the path with query.
    Instance { host: String, path: String },
    /// An `https` URL elsewhere.
    External(String),
}

/// Works out the target of `/connect/federate/{id}` from its query (see the module doc).
fn target(instance: &ConnectInstance, pairs: &[(String, String)]) -> Result<Target, String> {
    let mut destination = web::param(pairs, "destination").unwrap_or("").to_owned();
    let mut new_domain =
        web::param(pairs, "new_domain").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if let Some(i) = destination.find("&new_domain=") {
        new_domain |= destination[i + "&new_domain=".len()..].eq_ignore_ascii_case("true");
        destination.truncate(i);
    }
    let vdi = web::param(pairs, "VDIPlatform");
    let lower = destination.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let url = format!(
            "https://{}",
            &destination[destination.find("://").map_or(0, |i| i + 3)..]
        );
        return Ok(Target::External(url));
    }
    let domain = if new_domain {
        DomainForm::New
    } else {
        instance.domain
    };
    let host = web::instance_host(&instance.alias, domain);
    let (path, query) = match destination.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (destination.clone(), None),
    };
    if !path.is_empty() && !path.starts_with('/') {
        return Err(format!(
            "the destination `{destination}` is neither a page of the instance nor an https URL"
        ));
    }
    let bare = strip_connect_prefix(&path);
    let page = match (domain, bare) {
        (DomainForm::New, "") => "/".to_owned(),
        (DomainForm::Legacy, "" | "/") => "/connect/home".to_owned(),
        (DomainForm::New, p) => p.to_owned(),
        (DomainForm::Legacy, p) => format!("/connect{p}"),
    };
    let mut query: Vec<String> = query.into_iter().filter(|q| !q.is_empty()).collect();
    if let Some(v) = vdi {
        query.push(format!(
            "VDIPlatform={}",
            url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
        ));
    }
    let path = if query.is_empty() {
        page
    } else {
        format!("{page}?{}", query.join("&"))
    };
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "the destination `{destination}` is not a valid page path"
        ));
    }
    Ok(Target::Instance { host, path })
}

/// `/connect/ccp-v2` → `/ccp-v2`, `/connect` → ``; other paths unchanged.
fn strip_connect_prefix(path: &str) -> &str {
    match path.strip_prefix("/connect") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    }
}

fn federate(
    shared: &Shared,
    partition: Partition,
    region: Option<&str>,
    session: &ConsoleSession,
    instance_id: &str,
    pairs: &[(String, String)],
) -> Response {
    let instance = shared
        .org
        .instance(instance_id)
        .filter(|i| i.account == session.account && in_console_region(i, partition, region));
    let Some(instance) = instance else {
        return pages::page(
            StatusCode::NOT_FOUND,
            "Amazon Connect",
            &format!(
                r#"<h1 id="instance-not-found">Instance not found</h1><p>No Amazon Connect instance <code>{}</code> exists in account {} in this console region.</p>"#,
                escape(instance_id),
                escape(&session.account)
            ),
        );
    };
    if !crate::connect_api::may_federate(&shared.org, &session.account, &session.role, &instance.id)
    {
        return pages::page(
            StatusCode::FORBIDDEN,
            "Amazon Connect",
            r#"<h1 id="access-denied">Access denied</h1><p>Access denied, Please contact your AWS account administrator for assistance.</p>"#,
        );
    }
    if !instance.users.contains(&session.user) {
        return pages::page(
            StatusCode::FORBIDDEN,
            "Amazon Connect",
            r#"<h1 id="not-onboarded">Access denied</h1><p>Access denied. Your account has been authenticated, but has not been onboarded to this application.</p>"#,
        );
    }
    let target = match target(instance, pairs) {
        Ok(t) => t,
        Err(message) => {
            return pages::error_page(StatusCode::BAD_REQUEST, "Invalid destination", &message)
        }
    };
    // Connect finishes the sign-in on the instance's own site, which alone sees the browser's
    // Connect session cookie: hand the federation over with a one-time code.
    let (host, next) = match target {
        Target::Instance { host, path } => (host, path),
        // The session is made for the instance's own site, as Connect does before handing over.
        Target::External(url) => (web::instance_host(&instance.alias, instance.domain), url),
    };
    let code = crate::ids::random_b64(32);
    let expires_at = shared.clock.epoch_secs() + crate::instance_site::HANDOFF_SECS;
    shared.state.lock().unwrap().connect_handoffs.insert(
        code.clone(),
        ConnectHandoff {
            instance_id: instance.id.clone(),
            user: session.user.clone(),
            host: host.clone(),
            next,
            expires_at,
        },
    );
    web::redirect(
        &shared
            .urls
            .web_url(&host, &crate::instance_site::handoff_path(&host, &code)),
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::Org;

    fn pairs(q: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }

    fn instance(alias: &str) -> ConnectInstance {
        Org::demo().instance_by_alias(alias).unwrap().clone()
    }

    fn page(host: &str, path: &str) -> Result<Target, String> {
        Ok(Target::Instance {
            host: host.into(),
            path: path.into(),
        })
    }

    #[test]
    fn destinations_on_the_new_domain() {
        let i = instance("acme-prod");
        assert_eq!(
            target(&i, &pairs("")),
            page("acme-prod.my.connect.aws", "/")
        );
        assert_eq!(
            target(&i, &pairs("destination=%2Fccp-v2%2Fchat&new_domain=true")),
            page("acme-prod.my.connect.aws", "/ccp-v2/chat")
        );
        assert_eq!(
            target(&i, &pairs("destination=%2Fconnect%2Fccp-v2")),
            page("acme-prod.my.connect.aws", "/ccp-v2")
        );
        assert_eq!(
            target(
                &i,
                &pairs("destination=%2Fagent-app-v2?VDIPlatform=CITRIX_413")
            ),
            page(
                "acme-prod.my.connect.aws",
                "/agent-app-v2?VDIPlatform=CITRIX_413"
            )
        );
        assert_eq!(
            target(
                &i,
                &pairs("destination=%2Fagent-app-v2&VDIPlatform=AWS_WORKSPACE")
            ),
            page(
                "acme-prod.my.connect.aws",
                "/agent-app-v2?VDIPlatform=AWS_WORKSPACE"
            )
        );
        assert!(target(&i, &pairs("destination=ccp-v2")).is_err());
    }

    #[test]
    fn destinations_on_the_legacy_domain() {
        let i = instance("acme-emea");
        assert_eq!(
            target(&i, &pairs("")),
            page("acme-emea.awsapps.com", "/connect/home")
        );
        assert_eq!(
            target(&i, &pairs("destination=%2Fccp-v2")),
            page("acme-emea.awsapps.com", "/connect/ccp-v2")
        );
        assert_eq!(
            target(&i, &pairs("destination=%2Fconnect%2Fccp-v2")),
            page("acme-emea.awsapps.com", "/connect/ccp-v2")
        );
        assert_eq!(
            target(
                &i,
                &pairs("destination=%2Fconnect%2Fccp-v2&new_domain=true")
            ),
            page("acme-emea.my.connect.aws", "/ccp-v2")
        );
        assert_eq!(
            target(
                &i,
                &pairs("destination=%2Fccp-v2%2Fchat%26new_domain%3Dtrue")
            ),
            page("acme-emea.my.connect.aws", "/ccp-v2/chat")
        );
    }

    #[test]
    fn external_destinations() {
        let i = instance("acme-prod");
        assert_eq!(
            target(&i, &pairs("destination=https%3A%2F%2Fsite.example.com%2Fa")),
            Ok(Target::External("https://site.example.com/a".into()))
        );
        assert_eq!(
            target(&i, &pairs("destination=http%3A%2F%2Flocalhost%3A3000")),
            Ok(Target::External("https://localhost:3000".into()))
        );
    }
}
