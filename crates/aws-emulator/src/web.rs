//! The browser-facing hosts: one dispatcher on the `web` listener that serves each emulated AWS
//! host under a path named for it (`{web}/signin.aws.amazon.com/federation` stands for
//! `https://signin.aws.amazon.com/federation`) and hands the request to the module that plays that
//! host: the device verification page ([`crate::oidc::device_page`]), AWS sign-in
//! ([`crate::signin`]), the console ([`crate::console`]), the access portal's start page
//! ([`crate::start_page`]) and the Connect instance sites ([`crate::instance_site`]).
//!
//! Promises:
//! - a handler sees the request as the real host would: its URI is rewritten to the path and query
//!   on that host (`/federation?Action=…`), still percent-encoded as received;
//! - paths whose first segment has no dot (`/_emulator/…`) are never served here, so the control
//!   API merged beside this router keeps them; a host the emulator does not play gets a 404 page;
//! - every cookie a host sets is scoped with `Path=/{host}` (plus `HttpOnly; SameSite=Lax`) and has
//!   a name of its own, because every emulated host shares the browser origin `127.0.0.1`. Two
//!   cookies are deliberately `Path=/`: the console session ([`crate::console::CONSOLE_COOKIE`],
//!   which every console host — regional, global and GovCloud — must see, as the real
//!   `aws-signin` cookies are domain-wide) and the portal's browser sign-in `idc_session`, which the
//!   OIDC listener's pages set too;
//! - cookies are session cookies (no `Max-Age`): expiry is decided on the server by the emulated
//!   clock, which a browser does not know.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use crate::org::{DomainForm, Org};
use crate::pages;
use crate::state::{Shared, Urls};

/// The largest form body a browser-facing page accepts (a SAML response is at most 100,000
/// characters, base64 and URL-encoded).
pub const FORM_LIMIT_BYTES: usize = 512 * 1024;

/// The cookie attributes every emulated host's cookies carry.
const COOKIE_ATTRIBUTES: &str = "HttpOnly; SameSite=Lax";

/// The browser-facing hosts.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{host}", any(dispatch))
        .route("/{host}/", any(dispatch))
        .route("/{host}/{*rest}", any(dispatch))
        .with_state(shared)
}

/// An AWS partition, as far as browser hosts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `aws`: `*.aws.amazon.com`.
    Aws,
    /// `aws-us-gov`: `*.amazonaws-us-gov.com`.
    AwsUsGov,
}

/// Which emulated site a host is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// `device.sso.{region}.amazonaws.com`, the device verification page.
    Device { region: String },
    /// AWS sign-in: `signin.aws.amazon.com` (region `None`), `{region}.signin.aws.amazon.com`,
    /// `signin.amazonaws-us-gov.com`, `{region}.signin.amazonaws-us-gov.com`.
    Signin {
        partition: Partition,
        region: Option<String>,
    },
    /// The console: `console.aws.amazon.com` (region `None`), `{region}.console.aws.amazon.com`,
    /// `console.amazonaws-us-gov.com`.
    Console {
        partition: Partition,
        region: Option<String>,
    },
    /// `{directory id}.awsapps.com`, the IdC access portal.
    StartPage,
    /// A Connect instance's site: `{alias}.my.connect.aws` ([`DomainForm::New`]) or
    /// `{alias}.awsapps.com` ([`DomainForm::Legacy`], pages under `/connect`).
    Instance {
        instance_id: String,
        domain: DomainForm,
    },
}

/// What a host (lower case, no port) is in this organisation, if the emulator plays it.
pub fn classify(org: &Org, host: &str) -> Option<Site> {
    if let Some(region) = host
        .strip_prefix("device.sso.")
        .and_then(|h| h.strip_suffix(".amazonaws.com"))
    {
        return is_region(region).then(|| Site::Device {
            region: region.to_owned(),
        });
    }
    let regional =
        |suffix: &str, partition: Partition, make: fn(Partition, Option<String>) -> Site| {
            let region = host.strip_suffix(suffix)?.strip_suffix('.')?;
            let fits = match partition {
                Partition::Aws => !region.starts_with("us-gov-"),
                Partition::AwsUsGov => region.starts_with("us-gov-"),
            };
            (is_region(region) && fits).then(|| make(partition, Some(region.to_owned())))
        };
    let signin = |partition, region| Site::Signin { partition, region };
    let console = |partition, region| Site::Console { partition, region };
    match host {
        "signin.aws.amazon.com" => return Some(signin(Partition::Aws, None)),
        "signin.amazonaws-us-gov.com" => return Some(signin(Partition::AwsUsGov, None)),
        "console.aws.amazon.com" => return Some(console(Partition::Aws, None)),
        "console.amazonaws-us-gov.com" => return Some(console(Partition::AwsUsGov, None)),
        _ => {}
    }
    if let Some(site) = regional("signin.aws.amazon.com", Partition::Aws, signin)
        .or_else(|| regional("signin.amazonaws-us-gov.com", Partition::AwsUsGov, signin))
        .or_else(|| regional("console.aws.amazon.com", Partition::Aws, console))
    {
        return Some(site);
    }
    if let Some(label) = host.strip_suffix(".awsapps.com") {
        if label.eq_ignore_ascii_case(&org.directory.id) {
            return Some(Site::StartPage);
        }
        return instance_by_alias(org, label).map(|instance_id| Site::Instance {
            instance_id,
            domain: DomainForm::Legacy,
        });
    }
    if let Some(alias) = host.strip_suffix(".my.connect.aws") {
        return instance_by_alias(org, alias).map(|instance_id| Site::Instance {
            instance_id,
            domain: DomainForm::New,
        });
    }
    None
}

fn instance_by_alias(org: &Org, alias: &str) -> Option<String> {
    org.connect_instances
        .iter()
        .find(|i| i.alias.eq_ignore_ascii_case(alias))
        .map(|i| i.id.clone())
}

/// Whether a DNS label looks like a region name (`us-east-1`, `us-gov-west-1`).
fn is_region(label: &str) -> bool {
    label.contains('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && label.bytes().last().is_some_and(|b| b.is_ascii_digit())
}

/// The host of an instance's site for a domain form (`{alias}.my.connect.aws` or
/// `{alias}.awsapps.com`), lower case as browsers send it.
pub fn instance_host(alias: &str, domain: DomainForm) -> String {
    match domain {
        DomainForm::New => format!("{}.my.connect.aws", alias.to_ascii_lowercase()),
        DomainForm::Legacy => format!("{}.awsapps.com", alias.to_ascii_lowercase()),
    }
}

/// Maps a real AWS URL to the emulator: `https://HOST/rest` becomes `{urls.web}/HOST/rest`.
/// `None` for a URL that is not `https`, has no host, names a port or user, or holds characters
/// that cannot stand in a `Location` header.
pub fn to_emulator_url(urls: &Urls, url: &str) -> Option<String> {
    let scheme = url.get(..8)?;
    if !scheme.eq_ignore_ascii_case("https://") {
        return None;
    }
    let after = &url[8..];
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (host, rest) = after.split_at(end);
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !host.starts_with('.')
        && !host.ends_with('.');
    if !host_ok || !rest.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let rest = if rest.starts_with('/') || rest.is_empty() {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    Some(format!(
        "{}/{}{}",
        urls.web,
        host.to_ascii_lowercase(),
        rest
    ))
}

/// The host of an `https` URL, lower case, if it has one.
pub fn https_host(url: &str) -> Option<String> {
    let scheme = url.get(..8)?;
    if !scheme.eq_ignore_ascii_case("https://") {
        return None;
    }
    let after = &url[8..];
    let host = &after[..after.find(['/', '?', '#']).unwrap_or(after.len())];
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The value of cookie `name` the browser sent, if any.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value for a session cookie scoped to `path`.
pub fn set_cookie(name: &str, value: &str, path: &str) -> String {
    format!("{name}={value}; Path={path}; {COOKIE_ATTRIBUTES}")
}

/// A `Set-Cookie` value that removes a cookie set with [`set_cookie`].
pub fn clear_cookie(name: &str, path: &str) -> String {
    format!("{name}=; Path={path}; Max-Age=0; {COOKIE_ATTRIBUTES}")
}

/// The cookie path of an emulated host: `/{host}`.
pub fn cookie_path(host: &str) -> String {
    format!("/{host}")
}

/// A `302 Found` to `location`, setting the given cookies.
pub fn redirect(location: &str, cookies: &[String]) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                "Invalid redirect",
                "the redirect target is not a valid URL",
            )
        }
    }
    with_cookies(resp, cookies)
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(mut resp: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The decoded `name=value` pairs of a query string (`+` is a space).
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The decoded pairs of an `application/x-www-form-urlencoded` body.
pub async fn form_pairs(body: Body) -> Result<Vec<(String, String)>, Response> {
    let bytes = axum::body::to_bytes(body, FORM_LIMIT_BYTES)
        .await
        .map_err(|_| {
            pages::error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                "the form is larger than this page accepts",
            )
        })?;
    Ok(url::form_urlencoded::parse(&bytes).into_owned().collect())
}

/// The first value of `name` among decoded pairs.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The page for a path an emulated host does not serve.
pub fn not_found(host: &str, path: &str) -> Response {
    pages::error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        &format!("https://{host}{path} is not a page the emulator serves"),
    )
}

async fn dispatch(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let trimmed = path.strip_prefix('/').unwrap_or(&path);
    let (host, rest) = match trimmed.find('/') {
        Some(i) => (&trimmed[..i], &trimmed[i..]),
        None => (trimmed, "/"),
    };
    let host = host.to_ascii_lowercase();
    if !host.contains('.') {
        return pages::error_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "the emulator serves nothing at this path",
        );
    }
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    };
    let (mut parts, body) = req.into_parts();
    parts.uri = match path_and_query.parse::<Uri>() {
        Ok(u) => u,
        Err(_) => {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "the request path is not valid",
            )
        }
    };
    let req = Request::from_parts(parts, body);
    match classify(&shared.org, &host) {
        Some(Site::Device { .. }) => crate::oidc::device_page(shared, req).await,
        Some(Site::Signin { partition, region }) => {
            crate::signin::handle(shared, &host, partition, region, req).await
        }
        Some(Site::Console { partition, region }) => {
            crate::console::handle(shared, &host, partition, region, req).await
        }
        Some(Site::StartPage) => crate::start_page::handle(shared, &host, req).await,
        Some(Site::Instance {
            instance_id,
            domain,
        }) => crate::instance_site::handle(shared, &host, &instance_id, domain, req).await,
        None => pages::page(
            StatusCode::NOT_FOUND,
            "Host not emulated",
            &format!(
                r#"<h1 id="host-not-emulated">Host not emulated</h1><p>The emulator does not play <code>{}</code>. It serves AWS sign-in, the console, this organisation's access portal and its Connect instances' sites.</p>"#,
                pages::escape(&host)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> Urls {
        Urls {
            web: "http://127.0.0.1:9".into(),
            ..Urls::default()
        }
    }

    #[test]
    fn maps_https_urls() {
        let u = urls();
        assert_eq!(
            to_emulator_url(&u, "https://us-east-1.console.aws.amazon.com/connect/federate/X?destination=%2Fccp-v2").as_deref(),
            Some("http://127.0.0.1:9/us-east-1.console.aws.amazon.com/connect/federate/X?destination=%2Fccp-v2")
        );
        assert_eq!(
            to_emulator_url(&u, "https://Console.AWS.amazon.com").as_deref(),
            Some("http://127.0.0.1:9/console.aws.amazon.com")
        );
        assert_eq!(
            to_emulator_url(&u, "https://a.example?x=1").as_deref(),
            Some("http://127.0.0.1:9/a.example/?x=1")
        );
        assert_eq!(to_emulator_url(&u, "http://console.aws.amazon.com/"), None);
        assert_eq!(to_emulator_url(&u, "https://"), None);
        assert_eq!(to_emulator_url(&u, "https://user@host/"), None);
        assert_eq!(to_emulator_url(&u, "https://host:443/"), None);
        assert_eq!(to_emulator_url(&u, "https://host/a b"), None);
        assert_eq!(to_emulator_url(&u, "ftp"), None);
    }

    #[test]
    fn classifies_hosts() {
        let org = Org::demo();
        assert_eq!(
            classify(&org, "device.sso.us-east-1.amazonaws.com"),
            Some(Site::Device {
                region: "us-east-1".into()
            })
        );
        assert_eq!(
            classify(&org, "signin.aws.amazon.com"),
            Some(Site::Signin {
                partition: Partition::Aws,
                region: None
            })
        );
        assert_eq!(
            classify(&org, "eu-west-2.signin.aws.amazon.com"),
            Some(Site::Signin {
                partition: Partition::Aws,
                region: Some("eu-west-2".into())
            })
        );
        assert_eq!(
            classify(&org, "us-gov-east-1.signin.amazonaws-us-gov.com"),
            Some(Site::Signin {
                partition: Partition::AwsUsGov,
                region: Some("us-gov-east-1".into())
            })
        );
        assert_eq!(
            classify(&org, "us-east-1.signin.amazonaws-us-gov.com"),
            None
        );
        assert_eq!(
            classify(&org, "console.amazonaws-us-gov.com"),
            Some(Site::Console {
                partition: Partition::AwsUsGov,
                region: None
            })
        );
        assert_eq!(
            classify(&org, "d-9067c2d5a1.awsapps.com"),
            Some(Site::StartPage)
        );
        assert_eq!(
            classify(&org, "acme-emea.awsapps.com"),
            Some(Site::Instance {
                instance_id: "b7f2e9a4-3c1d-4e8f-a6b5-9d0c2e4f6a88".into(),
                domain: DomainForm::Legacy
            })
        );
        assert_eq!(
            classify(&org, "acme-emea.my.connect.aws"),
            Some(Site::Instance {
                instance_id: "b7f2e9a4-3c1d-4e8f-a6b5-9d0c2e4f6a88".into(),
                domain: DomainForm::New
            })
        );
        assert_eq!(classify(&org, "nobody.my.connect.aws"), None);
        assert_eq!(classify(&org, "d-0000000000.awsapps.com"), None);
        assert_eq!(classify(&org, "example.com"), None);
    }

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; aws_console_session=xyz"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("idc_session=s"));
        assert_eq!(cookie(&h, "aws_console_session").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "idc_session").as_deref(), Some("s"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
