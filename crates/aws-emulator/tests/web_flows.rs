//! The browser-facing hosts end to end, driven over plain HTTP/1.1 with cookies passed by hand:
//! console federation (getSigninToken → login → the Connect federate link → the instance page),
//! the access portal's SAML and console launches, and Connect's session rules.

use std::io::{Read, Write};
use std::time::Duration;

use aws_emulator::{Emulator, Options, Org};
use base64::Engine;

const STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";
const PROD: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";
const EMEA: &str = "b7f2e9a4-3c1d-4e8f-a6b5-9d0c2e4f6a88";
const GOV: &str = "9c3e5a7b-1d2f-4a6c-8e0b-3f5d7a9c1e22";
const PORTAL_HOST: &str = "d-9067c2d5a1.awsapps.com";
const PROD_APP: &str = "ins-3f6a1b2c4d5e6f70";
const EMEA_APP: &str = "ins-7c9d0e1f2a3b4c5d";

const ALEX: &str = "alex.rivera@example.com";
const SAM: &str = "sam.chen@example.com";
const JORDAN: &str = "jordan.lee@example.com";
const TAYLOR: &str = "taylor.kim@example.com";

const HOUR: u64 = 3600;

fn emulator() -> Emulator {
    Emulator::start(Options::new(Org::demo())).expect("the emulator starts")
}

/// One HTTP response.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn location(&self) -> &str {
        assert_eq!(
            self.status, 302,
            "expected a redirect, got {}: {}",
            self.status, self.body
        );
        self.header("location").expect("a redirect has a Location")
    }

    /// The whole `Set-Cookie` line for cookie `name`.
    fn set_cookie(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}=");
        self.headers
            .iter()
            .find(|(k, v)| k == "set-cookie" && v.starts_with(&prefix))
            .map(|(_, v)| v.as_str())
    }

    /// The value of cookie `name` set by this response.
    fn cookie(&self, name: &str) -> String {
        let line = self
            .set_cookie(name)
            .unwrap_or_else(|| panic!("no cookie {name} in {:?}", self.headers));
        line[name.len() + 1..].split(';').next().unwrap().to_owned()
    }

    /// The text of the element with id `id`.
    fn text_of(&self, id: &str) -> Option<String> {
        let at = self.body.find(&format!("id=\"{id}\""))?;
        let start = at + self.body[at..].find('>')? + 1;
        let end = start + self.body[start..].find('<')?;
        Some(unescape(&self.body[start..end]))
    }

    /// The `value` of the input called `name`.
    fn input(&self, name: &str) -> String {
        let at = self
            .body
            .find(&format!("name=\"{name}\" value=\""))
            .unwrap_or_else(|| panic!("no input {name}"));
        let start = at + format!("name=\"{name}\" value=\"").len();
        let end = start + self.body[start..].find('"').unwrap();
        unescape(&self.body[start..end])
    }

    /// The `action` of the first form.
    fn form_action(&self) -> String {
        let at = self.body.find("action=\"").expect("a form") + "action=\"".len();
        unescape(&self.body[at..at + self.body[at..].find('"').unwrap()])
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A bare HTTP/1.1 exchange on loopback; follows no redirect and keeps no cookie.
fn send(method: &str, url: &str, cookies: &[(&str, &str)], form: Option<&[(&str, &str)]>) -> Resp {
    let rest = url.strip_prefix("http://").expect("an emulator URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let body = form
        .map(|f| {
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(f)
                .finish()
        })
        .unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    if !cookies.is_empty() {
        let c: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        req.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
    }
    if form.is_some() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let mut stream = std::net::TcpStream::connect(authority).expect("the emulator listens");
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

fn get(url: &str, cookies: &[(&str, &str)]) -> Resp {
    send("GET", url, cookies, None)
}

fn post(url: &str, cookies: &[(&str, &str)], form: &[(&str, &str)]) -> Resp {
    send("POST", url, cookies, Some(form))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn web(emu: &Emulator, host: &str, path: &str) -> String {
    emu.urls().web_url(host, path)
}

/// The `Session` parameter for issued credentials.
fn session_json(creds: &(String, String, String)) -> String {
    serde_json::json!({"sessionId": creds.0, "sessionKey": creds.1, "sessionToken": creds.2})
        .to_string()
}

/// `getSigninToken` by GET on `signin_host`, with an optional `SessionDuration`.
fn signin_token_request(
    emu: &Emulator,
    signin_host: &str,
    session: &str,
    duration: Option<&str>,
) -> Resp {
    let mut q = format!("/federation?Action=getSigninToken&Session={}", enc(session));
    if let Some(d) = duration {
        q.push_str(&format!("&SessionDuration={d}"));
    }
    get(&web(emu, signin_host, &q), &[])
}

fn signin_token(
    emu: &Emulator,
    signin_host: &str,
    creds: &(String, String, String),
    duration: Option<&str>,
) -> String {
    let r = signin_token_request(emu, signin_host, &session_json(creds), duration);
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON body");
    v["SigninToken"].as_str().expect("a SigninToken").to_owned()
}

fn login_url(emu: &Emulator, signin_host: &str, token: &str, destination: &str) -> String {
    web(
        emu,
        signin_host,
        &format!(
            "/federation?Action=login&Issuer={}&Destination={}&SigninToken={}",
            enc("https://launcher.example.com"),
            enc(destination),
            enc(token)
        ),
    )
}

fn federate_url(console_host: &str, instance: &str, query: &str) -> String {
    format!("https://{console_host}/connect/federate/{instance}{query}")
}

/// Signs in to the console through the federation endpoint; returns the console cookie and the
/// emulator URL the login redirected to.
fn console_login(
    emu: &Emulator,
    user: &str,
    account: &str,
    role: &str,
    signin_host: &str,
    destination: &str,
) -> (String, String) {
    let creds = emu.issue_role_credentials(user, account, role);
    let token = signin_token(emu, signin_host, &creds, None);
    let r = get(&login_url(emu, signin_host, &token, destination), &[]);
    (r.cookie("aws_console_session"), r.location().to_owned())
}

/// Follows a federate URL with a console cookie; returns the Connect cookie (name, value) and the
/// instance page it leads to.
fn federate(url: &str, console_cookie: &str, alias: &str) -> (String, String, String) {
    let r = get(url, &[("aws_console_session", console_cookie)]);
    let name = format!("connect_session_{alias}");
    assert!(
        r.set_cookie(&name).is_none(),
        "the console cannot set the instance site's cookie"
    );
    let r = handoff(&r, alias);
    (name.clone(), r.cookie(&name), r.location().to_owned())
}

/// Follows a federate response's redirect to the instance site's handoff page with no Connect
/// cookie, checking it is one: returns the handoff page's response.
fn handoff(federated: &Resp, alias: &str) -> Resp {
    let at = federated.location();
    assert!(
        at.contains(&format!("/{alias}."))
            && (at.contains(".my.connect.aws/auth/handoff?code=")
                || at.contains(".awsapps.com/connect/auth/handoff?code=")),
        "federate hands over to the instance's own site: {at}"
    );
    get(at, &[])
}

/// Signs in to the access portal as `user`; returns the `idc_session` cookie.
fn portal_login(emu: &Emulator, user: &str) -> String {
    let r = post(
        &web(emu, PORTAL_HOST, "/start/login"),
        &[],
        &[("user", user), ("hash", "")],
    );
    assert_eq!(r.location(), web(emu, PORTAL_HOST, "/start/"));
    let line = r.set_cookie("idc_session").unwrap().to_owned();
    assert!(line.ends_with("; Path=/; HttpOnly; SameSite=Lax"), "{line}");
    r.cookie("idc_session")
}

/// Launches a SAML application from the portal and posts its assertion; returns the response of
/// the sign-in SAML endpoint.
fn saml_launch(emu: &Emulator, idc: &str, app: &str) -> Resp {
    let page = get(
        &web(emu, PORTAL_HOST, &format!("/start/launch/saml?app={app}")),
        &[("idc_session", idc)],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.form_action(),
        web(emu, "signin.aws.amazon.com", "/saml")
    );
    let (saml, relay) = (page.input("SAMLResponse"), page.input("RelayState"));
    post(
        &page.form_action(),
        &[],
        &[("SAMLResponse", &saml), ("RelayState", &relay)],
    )
}

#[test]
fn federation_login_opens_the_ccp() {
    let emu = emulator();
    let creds = emu.issue_role_credentials(ALEX, "444455556666", "ConnectAgent");
    let token = signin_token(&emu, "signin.aws.amazon.com", &creds, None);
    let destination = federate_url(
        "us-east-1.console.aws.amazon.com",
        STAGING,
        "?destination=%2Fccp-v2",
    );
    let login = login_url(&emu, "signin.aws.amazon.com", &token, &destination);
    assert!(login.contains("destination%3D%252Fccp-v2"), "{login}");

    let r = get(&login, &[]);
    let federate_at = web(
        &emu,
        "us-east-1.console.aws.amazon.com",
        &format!("/connect/federate/{STAGING}?destination=%2Fccp-v2"),
    );
    assert_eq!(r.location(), federate_at);
    let line = r.set_cookie("aws_console_session").unwrap();
    assert!(line.ends_with("; Path=/; HttpOnly; SameSite=Lax"), "{line}");
    let console = r.cookie("aws_console_session");

    let before = emu.clock().epoch_secs();
    let r = get(&federate_at, &[("aws_console_session", &console)]);
    assert!(
        r.location().starts_with(&web(
            &emu,
            "acme-staging.my.connect.aws",
            "/auth/handoff?code="
        )),
        "{}",
        r.location()
    );
    let r = get(r.location(), &[]);
    let after = emu.clock().epoch_secs();
    assert_eq!(
        r.location(),
        web(&emu, "acme-staging.my.connect.aws", "/ccp-v2")
    );
    let line = r.set_cookie("connect_session_acme-staging").unwrap();
    assert!(
        line.ends_with("; Path=/acme-staging.my.connect.aws; HttpOnly; SameSite=Lax"),
        "{line}"
    );
    let connect = r.cookie("connect_session_acme-staging");

    let page = get(r.location(), &[("connect_session_acme-staging", &connect)]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<title>Amazon Connect - CCP</title>"));
    assert!(page.body.contains(r#"data-page="ccp""#));
    assert_eq!(page.text_of("instance-id").as_deref(), Some(STAGING));
    assert_eq!(
        page.text_of("instance-alias").as_deref(),
        Some("acme-staging")
    );
    assert_eq!(page.text_of("connect-user").as_deref(), Some(ALEX));
    assert_eq!(page.text_of("destination").as_deref(), Some("/ccp-v2"));
    let ends = page.text_of("session-ends").unwrap();
    let iso =
        |secs: u64| aws_emulator::clock::iso8601(std::time::UNIX_EPOCH + Duration::from_secs(secs));
    assert!(
        iso(before + 12 * HOUR) <= ends && ends <= iso(after + 12 * HOUR),
        "{ends}"
    );

    // The console home shows who is signed in.
    let home = get(
        &web(&emu, "console.aws.amazon.com", "/console/home"),
        &[("aws_console_session", &console)],
    );
    assert_eq!(
        home.text_of("console-role").as_deref(),
        Some("ConnectAgent")
    );
    assert_eq!(home.text_of("console-user").as_deref(), Some(ALEX));
}

#[test]
fn signin_tokens_work_once_and_for_fifteen_minutes() {
    let emu = emulator();
    let creds = emu.issue_role_credentials(ALEX, "444455556666", "ConnectAgent");
    let destination = "https://console.aws.amazon.com/console/home";

    let token = signin_token(&emu, "signin.aws.amazon.com", &creds, None);
    let url = login_url(&emu, "signin.aws.amazon.com", &token, destination);
    assert_eq!(
        get(&url, &[]).location(),
        web(&emu, "console.aws.amazon.com", "/console/home")
    );
    let again = get(&url, &[]);
    assert_eq!(again.status, 400);
    assert!(
        again.body.contains(r#"id="signin-link-expired""#),
        "{}",
        again.body
    );

    let token = signin_token(&emu, "signin.aws.amazon.com", &creds, None);
    emu.clock().advance(Duration::from_secs(14 * 60));
    assert_eq!(
        get(
            &login_url(&emu, "signin.aws.amazon.com", &token, destination),
            &[]
        )
        .status,
        302
    );

    let token = signin_token(&emu, "signin.aws.amazon.com", &creds, None);
    emu.clock().advance(Duration::from_secs(15 * 60));
    let late = get(
        &login_url(&emu, "signin.aws.amazon.com", &token, destination),
        &[],
    );
    assert_eq!(late.status, 400);
    assert!(late.body.contains("This sign-in link has expired"));

    // A destination off the console is refused without using the token.
    let token = signin_token(&emu, "signin.aws.amazon.com", &creds, None);
    let off = get(
        &login_url(
            &emu,
            "signin.aws.amazon.com",
            &token,
            "https://evil.example.com/",
        ),
        &[],
    );
    assert_eq!(off.status, 400);
    assert_eq!(
        get(
            &login_url(&emu, "signin.aws.amazon.com", &token, destination),
            &[]
        )
        .status,
        302
    );
}

#[test]
fn get_signin_token_checks_credentials_and_session_duration() {
    let emu = emulator();
    let creds = emu.issue_role_credentials(ALEX, "444455556666", "ConnectAgent");
    let session = session_json(&creds);
    for bad in ["899", "43201", "abc", ""] {
        let r = signin_token_request(&emu, "signin.aws.amazon.com", &session, Some(bad));
        assert_eq!(r.status, 400, "SessionDuration={bad}: {}", r.body);
    }
    for good in ["900", "43200"] {
        assert_eq!(
            signin_token_request(&emu, "signin.aws.amazon.com", &session, Some(good)).status,
            200
        );
    }

    let wrong_secret = session_json(&(creds.0.clone(), "x".into(), creds.2.clone()));
    let wrong_token = session_json(&(creds.0.clone(), creds.1.clone(), "x".into()));
    let unknown = session_json(&(
        "ASIAAAAAAAAAAAAAAAAA".into(),
        creds.1.clone(),
        creds.2.clone(),
    ));
    for bad in [
        wrong_secret.as_str(),
        wrong_token.as_str(),
        unknown.as_str(),
        "{}",
        "not json",
    ] {
        let r = signin_token_request(&emu, "signin.aws.amazon.com", bad, None);
        assert_eq!(
            (r.status, r.body.as_str()),
            (400, "Invalid credentials parameter")
        );
    }

    // The same call as a form POST, on a regional sign-in host.
    let r = post(
        &web(&emu, "eu-west-2.signin.aws.amazon.com", "/federation"),
        &[],
        &[("Action", "getSigninToken"), ("Session", &session)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("x-amzn-requestid").is_some());

    // An injected throttle comes back as the endpoint's plain text, not a JSON service error.
    emu.faults().add("getSigninToken:throttle".parse().unwrap());
    let r = signin_token_request(&emu, "signin.aws.amazon.com", &session, None);
    assert_eq!((r.status, r.body.as_str()), (429, "Rate exceeded"));
    assert!(r.header("x-amzn-errortype").is_none());

    // SessionDuration sets the console session's length; without it the credentials' does.
    let short = signin_token(&emu, "signin.aws.amazon.com", &creds, Some("900"));
    let long = signin_token(&emu, "signin.aws.amazon.com", &creds, None);
    let home = "https://console.aws.amazon.com/console/home";
    let short = get(&login_url(&emu, "signin.aws.amazon.com", &short, home), &[])
        .cookie("aws_console_session");
    let long = get(&login_url(&emu, "signin.aws.amazon.com", &long, home), &[])
        .cookie("aws_console_session");
    let home = web(&emu, "console.aws.amazon.com", "/console/home");
    emu.clock().advance(Duration::from_secs(16 * 60));
    let r = get(&home, &[("aws_console_session", &short)]);
    assert_eq!(r.status, 401);
    assert!(r.body.contains(r#"id="console-signed-out""#));
    assert_eq!(get(&home, &[("aws_console_session", &long)]).status, 200);

    // Credentials past their hour are refused.
    emu.clock().advance(Duration::from_secs(45 * 60));
    let r = signin_token_request(&emu, "signin.aws.amazon.com", &session, None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "Invalid credentials parameter")
    );
}

#[test]
fn saml_application_launch_reaches_the_ccp() {
    let emu = emulator();
    let start = web(&emu, PORTAL_HOST, "/start");
    let signed_out = get(&start, &[]);
    assert_eq!(signed_out.status, 200);
    assert!(signed_out.body.contains(r#"id="portal-sign-in""#));
    assert!(signed_out.body.contains("Sign in to continue"));

    let idc = portal_login(&emu, ALEX);
    let portal = get(&start, &[("idc_session", &idc)]);
    assert_eq!(portal.text_of("portal-user").as_deref(), Some(ALEX));
    assert!(portal
        .body
        .contains(&format!(r#"data-app-id="{PROD_APP}""#)));
    assert!(
        !portal.body.contains(EMEA_APP),
        "alex is not assigned to the EMEA app"
    );
    assert!(portal.body.contains(r#"data-account-id="444455556666""#));

    let r = saml_launch(&emu, &idc, PROD_APP);
    let federate_at = web(
        &emu,
        "us-east-1.console.aws.amazon.com",
        &format!("/connect/federate/{PROD}?destination=%2Fccp-v2&new_domain=true"),
    );
    assert_eq!(r.location(), federate_at);
    let console = r.cookie("aws_console_session");
    let home = get(
        &web(&emu, "console.aws.amazon.com", "/"),
        &[("aws_console_session", &console)],
    );
    assert_eq!(
        home.text_of("console-role").as_deref(),
        Some("ConnectSAMLFederation")
    );

    let (name, connect, page_url) = federate(&federate_at, &console, "acme-prod");
    assert_eq!(page_url, web(&emu, "acme-prod.my.connect.aws", "/ccp-v2"));
    let page = get(&page_url, &[(&name, &connect)]);
    assert_eq!(page.text_of("connect-user").as_deref(), Some(ALEX));
    assert_eq!(page.text_of("instance-id").as_deref(), Some(PROD));

    // Not assigned: no assertion.
    let r = get(
        &web(
            &emu,
            PORTAL_HOST,
            &format!("/start/launch/saml?app={EMEA_APP}"),
        ),
        &[("idc_session", &idc)],
    );
    assert_eq!(r.status, 403);
    assert!(r.body.contains(r#"id="no-access""#));
}

#[test]
fn tampered_or_expired_assertions_are_refused() {
    let emu = emulator();
    let idc = portal_login(&emu, JORDAN);
    let page = get(
        &web(
            &emu,
            PORTAL_HOST,
            &format!("/start/launch/saml?app={EMEA_APP}"),
        ),
        &[("idc_session", &idc)],
    );
    let (saml, relay) = (page.input("SAMLResponse"), page.input("RelayState"));
    let b64 = base64::engine::general_purpose::STANDARD;
    let xml = String::from_utf8(b64.decode(&saml).unwrap()).unwrap();
    assert!(xml.contains("<saml:AttributeValue>jordan.lee@example.com</saml:AttributeValue>"));
    let forged = b64.encode(xml.replace(JORDAN, SAM));
    let acs = page.form_action();

    let r = post(
        &acs,
        &[],
        &[("SAMLResponse", &forged), ("RelayState", &relay)],
    );
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains(r#"id="invalid-saml-response""#),
        "{}",
        r.body
    );
    assert!(r.set_cookie("aws_console_session").is_none());

    emu.clock().advance(Duration::from_secs(5 * 60));
    let r = post(
        &acs,
        &[],
        &[("SAMLResponse", &saml), ("RelayState", &relay)],
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text_of("saml-error-reason").as_deref(),
        Some("the SAML assertion has expired")
    );
}

#[test]
fn a_user_never_onboarded_sees_connects_access_denied() {
    let emu = emulator();
    let idc = portal_login(&emu, JORDAN);
    let r = saml_launch(&emu, &idc, EMEA_APP);
    let console = r.cookie("aws_console_session");
    let page = get(r.location(), &[("aws_console_session", &console)]);
    assert_eq!(page.status, 403);
    assert!(page.body.contains(r#"id="not-onboarded""#));
    assert!(page
        .body
        .contains("Access denied. Your account has been authenticated, but has not been onboarded to this application."));
}

#[test]
fn a_role_that_may_not_federate_is_denied() {
    let emu = emulator();
    let destination = federate_url("us-east-1.console.aws.amazon.com", PROD, "");
    let (console, at) = console_login(
        &emu,
        TAYLOR,
        "111122223333",
        "ReadOnlyAccess",
        "signin.aws.amazon.com",
        &destination,
    );
    let r = get(&at, &[("aws_console_session", &console)]);
    assert_eq!(r.status, 403);
    assert!(r
        .body
        .contains("Access denied, Please contact your AWS account administrator for assistance"));
}

#[test]
fn govcloud_federates_through_the_regionless_console_host() {
    let emu = emulator();
    let destination = federate_url(
        "console.amazonaws-us-gov.com",
        GOV,
        "?destination=%2Fccp-v2",
    );
    let (console, at) = console_login(
        &emu,
        SAM,
        "123456789012",
        "ConnectSupervisor",
        "signin.amazonaws-us-gov.com",
        &destination,
    );
    assert_eq!(
        at,
        web(
            &emu,
            "console.amazonaws-us-gov.com",
            &format!("/connect/federate/{GOV}?destination=%2Fccp-v2")
        )
    );
    let (name, connect, page_url) = federate(&at, &console, "acme-gov");
    assert_eq!(page_url, web(&emu, "acme-gov.my.connect.aws", "/ccp-v2"));
    assert_eq!(
        get(&page_url, &[(&name, &connect)])
            .text_of("instance-alias")
            .as_deref(),
        Some("acme-gov")
    );

    // The commercial console does not see a GovCloud instance.
    let commercial = web(
        &emu,
        "us-east-1.console.aws.amazon.com",
        &format!("/connect/federate/{GOV}"),
    );
    let r = get(&commercial, &[("aws_console_session", &console)]);
    assert_eq!(r.status, 404);
    assert!(r.body.contains(r#"id="instance-not-found""#));
}

#[test]
fn legacy_domain_pages_live_under_connect_and_new_domain_moves_them() {
    let emu = emulator();
    let idc = portal_login(&emu, SAM);
    let r = saml_launch(&emu, &idc, EMEA_APP);
    assert_eq!(
        r.location(),
        web(
            &emu,
            "eu-west-2.console.aws.amazon.com",
            &format!("/connect/federate/{EMEA}?destination=%2Fagent-app-v2")
        )
    );
    let console = r.cookie("aws_console_session");
    let (name, connect, page_url) = federate(r.location(), &console, "acme-emea");
    assert_eq!(
        page_url,
        web(&emu, "acme-emea.awsapps.com", "/connect/agent-app-v2")
    );
    let r = get(&page_url, &[]);
    assert_eq!(r.status, 401, "no cookie, no session");
    let page = get(&page_url, &[(&name, &connect)]);
    assert!(page.body.contains(r#"data-page="agent-app""#));
    assert_eq!(
        page.text_of("destination").as_deref(),
        Some("/connect/agent-app-v2")
    );
    let ccp = get(
        &web(&emu, "acme-emea.awsapps.com", "/connect/ccp-v2"),
        &[(&name, &connect)],
    );
    assert_eq!(
        ccp.text_of("destination").as_deref(),
        Some("/connect/ccp-v2")
    );
    assert_eq!(
        get(
            &web(&emu, "acme-emea.awsapps.com", "/ccp-v2"),
            &[(&name, &connect)]
        )
        .status,
        404
    );
    let home = get(
        &web(&emu, "acme-emea.awsapps.com", "/connect/home"),
        &[(&name, &connect)],
    );
    assert!(home.body.contains(r#"data-page="admin-home""#));

    // new_domain=true: the instance's pages on my.connect.aws, without the /connect prefix.
    let moved = web(
        &emu,
        "eu-west-2.console.aws.amazon.com",
        &format!("/connect/federate/{EMEA}?destination=%2Fconnect%2Fccp-v2&new_domain=true"),
    );
    let r = handoff(
        &get(&moved, &[("aws_console_session", &console)]),
        "acme-emea",
    );
    assert_eq!(
        r.location(),
        web(&emu, "acme-emea.my.connect.aws", "/ccp-v2")
    );
    assert!(r
        .set_cookie(&name)
        .unwrap()
        .contains("; Path=/acme-emea.my.connect.aws;"));
    let page = get(r.location(), &[(&name, &r.cookie(&name))]);
    assert_eq!(page.text_of("destination").as_deref(), Some("/ccp-v2"));

    // VDIPlatform is kept.
    let vdi = web(
        &emu,
        "eu-west-2.console.aws.amazon.com",
        &format!("/connect/federate/{EMEA}?destination=%2Fagent-app-v2?VDIPlatform=CITRIX_413"),
    );
    let r = handoff(
        &get(&vdi, &[("aws_console_session", &console)]),
        "acme-emea",
    );
    assert_eq!(
        r.location(),
        web(
            &emu,
            "acme-emea.awsapps.com",
            "/connect/agent-app-v2?VDIPlatform=CITRIX_413"
        )
    );
    let page = get(r.location(), &[(&name, &r.cookie(&name))]);
    assert_eq!(page.text_of("vdi-platform").as_deref(), Some("CITRIX_413"));
}

#[test]
fn connect_sessions_end_after_twelve_hours_and_on_logout() {
    let emu = emulator();
    let idc = portal_login(&emu, ALEX);
    let destination = federate_url(
        "us-east-1.console.aws.amazon.com",
        STAGING,
        "?destination=%2Fccp-v2%2Fchat&new_domain=true",
    );
    let launch = web(
        &emu,
        PORTAL_HOST,
        &format!(
            "/start/launch/console?account_id=444455556666&role_name=ConnectAgent&destination={}",
            enc(&destination)
        ),
    );
    let console_login = |emu: &Emulator, idc: &str| {
        let r = get(&launch, &[("idc_session", idc)]);
        assert_eq!(
            r.location(),
            emu.urls().web_url(
                "us-east-1.console.aws.amazon.com",
                &destination["https://us-east-1.console.aws.amazon.com".len()..]
            )
        );
        r.cookie("aws_console_session")
    };

    // Logout ends the session and clears its cookie.
    let console = console_login(&emu, &idc);
    let federate_at = web(
        &emu,
        "us-east-1.console.aws.amazon.com",
        &destination["https://us-east-1.console.aws.amazon.com".len()..],
    );
    let (name, connect, page_url) = federate(&federate_at, &console, "acme-staging");
    assert_eq!(
        page_url,
        web(&emu, "acme-staging.my.connect.aws", "/ccp-v2/chat")
    );
    assert!(get(&page_url, &[(&name, &connect)])
        .body
        .contains(r#"data-page="ccp-chat""#));
    let out = get(
        &web(&emu, "acme-staging.my.connect.aws", "/logout"),
        &[(&name, &connect)],
    );
    assert_eq!(out.status, 200);
    assert!(out.body.contains(r#"id="logged-out""#));
    assert!(out.set_cookie(&name).unwrap().contains("Max-Age=0"));
    let r = get(&page_url, &[(&name, &connect)]);
    assert_eq!(r.status, 401);
    assert!(r.body.contains(r#"id="session-expired""#));
    assert_eq!(
        get(&web(&emu, "acme-staging.my.connect.aws", "/logout"), &[]).status,
        200
    );

    // Twelve hours, whatever the console session's length.
    let console = console_login(&emu, &idc);
    let (name, connect, page_url) = federate(&federate_at, &console, "acme-staging");
    emu.clock().advance(Duration::from_secs(12 * HOUR - 60));
    assert_eq!(get(&page_url, &[(&name, &connect)]).status, 200);
    emu.clock().advance(Duration::from_secs(61));
    let r = get(&page_url, &[(&name, &connect)]);
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Your session has expired. Please log in again to continue. Sessions expire after 12 hours."));

    // One instance's session does not open another. (The 8-hour portal session has ended too.)
    let r = get(&launch, &[("idc_session", &idc)]);
    assert!(
        r.location().contains("/start/#/console?"),
        "{}",
        r.location()
    );
    let idc = portal_login(&emu, ALEX);
    let console = console_login(&emu, &idc);
    let (_, connect, _) = federate(&federate_at, &console, "acme-staging");
    let r = get(
        &web(&emu, "acme-prod.my.connect.aws", "/ccp-v2"),
        &[("connect_session_acme-prod", &connect)],
    );
    assert_eq!(r.status, 401);
}

/// Connect's 12 h are fixed from login: signing in again while the browser holds the session keeps
/// it (and its end); only after `/logout` does a sign-in start a new 12 h.
#[test]
fn a_new_federation_keeps_the_connect_session_until_logout() {
    let emu = emulator();
    let iso =
        |secs: u64| aws_emulator::clock::iso8601(std::time::UNIX_EPOCH + Duration::from_secs(secs));
    let destination = federate_url(
        "us-east-1.console.aws.amazon.com",
        STAGING,
        "?destination=%2Fccp-v2",
    );
    // A fresh console sign-in each time (its session is shorter than the shift).
    let federated = |emu: &Emulator| {
        let (console, at) = console_login(
            emu,
            ALEX,
            "444455556666",
            "ConnectAgent",
            "signin.aws.amazon.com",
            &destination,
        );
        get(&at, &[("aws_console_session", &console)])
    };
    let name = "connect_session_acme-staging";
    let ccp = web(&emu, "acme-staging.my.connect.aws", "/ccp-v2");

    // The emulated clock follows the wall clock between steps, so a session's end is checked to
    // be 12 h from some second between the two readings around its sign-in.
    let ends_12h_from = |ends: Option<String>, from: u64, to: u64| {
        let ends = ends.expect("the CCP page shows when the session ends");
        assert!(
            (from..=to).any(|t| ends == iso(t + 12 * HOUR)),
            "session ends {ends}, not 12 h after a sign-in between {} and {}",
            iso(from),
            iso(to)
        );
        ends
    };

    let first_at = emu.clock().epoch_secs();
    let r = handoff(&federated(&emu), "acme-staging");
    assert_eq!(r.location(), ccp);
    let first = r.cookie(name);
    let page = get(&ccp, &[(name, &first)]);
    let first_ends = ends_12h_from(
        page.text_of("session-ends"),
        first_at,
        emu.clock().epoch_secs(),
    );

    // Seven hours on, a new federation in the same browser: the session (and its end) is kept.
    emu.clock().advance(Duration::from_secs(7 * HOUR));
    let r = federated(&emu);
    let at = r.location().to_owned();
    let kept = get(&at, &[(name, &first)]);
    assert_eq!(kept.location(), ccp);
    assert_eq!(kept.set_cookie(name), None, "no new session, no new cookie");
    let page = get(&ccp, &[(name, &first)]);
    assert_eq!(
        page.text_of("session-ends"),
        Some(first_ends),
        "signing in again does not move Connect's 12 h"
    );
    // A handoff code works once.
    let again = get(&at, &[(name, &first)]);
    assert_eq!(again.status, 401);
    assert!(again.body.contains(r#"id="sign-in-failed""#));

    // Logout, then a new federation: a new session whose 12 h run from now.
    let out = get(
        &web(&emu, "acme-staging.my.connect.aws", "/logout"),
        &[(name, &first)],
    );
    assert!(out.body.contains(r#"id="logged-out""#));
    let relaunched_at = emu.clock().epoch_secs();
    // (A browser that kept the stale cookie gets a new session too.)
    let r = get(federated(&emu).location(), &[(name, &first)]);
    assert_eq!(r.location(), ccp);
    let second = r.cookie(name);
    assert_ne!(second, first);
    let page = get(&ccp, &[(name, &second)]);
    ends_12h_from(
        page.text_of("session-ends"),
        relaunched_at,
        emu.clock().epoch_secs(),
    );

    // A handoff code is short-lived, and only for the instance it was made for.
    let r = federated(&emu);
    emu.clock().advance(Duration::from_secs(
        aws_emulator::instance_site::HANDOFF_SECS + 1,
    ));
    assert_eq!(get(r.location(), &[]).status, 401, "an expired code");
    let r = federated(&emu);
    let code = &r.location()[r.location().find("code=").unwrap()..];
    let elsewhere = web(
        &emu,
        "acme-prod.my.connect.aws",
        &format!("/auth/handoff?{code}"),
    );
    assert_eq!(get(&elsewhere, &[]).status, 401, "another instance's site");
}

#[test]
fn portal_deep_links_survive_signing_in() {
    let emu = emulator();
    let r = get(
        &web(
            &emu,
            PORTAL_HOST,
            &format!("/start/launch/saml?app={PROD_APP}"),
        ),
        &[],
    );
    assert_eq!(
        r.location(),
        web(
            &emu,
            PORTAL_HOST,
            &format!("/start/#/saml/default/Amazon%20Connect%20-%20acme-prod/{PROD_APP}")
        )
    );
    let r = get(
        &web(
            &emu,
            PORTAL_HOST,
            "/start/launch/console?account_id=444455556666&role_name=ConnectAgent",
        ),
        &[],
    );
    assert_eq!(
        r.location(),
        web(
            &emu,
            PORTAL_HOST,
            "/start/#/console?account_id=444455556666&role_name=ConnectAgent"
        )
    );

    let hash = "#/console?account_id=444455556666&role_name=ConnectAgent";
    let r = post(
        &web(&emu, PORTAL_HOST, "/start/login"),
        &[],
        &[("user", ALEX), ("hash", hash)],
    );
    assert_eq!(
        r.location(),
        web(&emu, PORTAL_HOST, &format!("/start/{hash}"))
    );
    let page = get(
        &web(&emu, PORTAL_HOST, "/start/"),
        &[("idc_session", &r.cookie("idc_session"))],
    );
    assert!(page.body.contains("location.replace(base + \"console?\""));
    assert!(page
        .body
        .contains(&format!("\"/{PORTAL_HOST}/start/launch/\"")));

    // A role the user does not have.
    let idc = r.cookie("idc_session");
    let r = get(
        &web(
            &emu,
            PORTAL_HOST,
            "/start/launch/console?account_id=111122223333&role_name=ConnectAgent",
        ),
        &[("idc_session", &idc)],
    );
    assert_eq!(r.status, 403);
    // A revoked portal session is signed out.
    emu.revoke_sessions(ALEX);
    let r = get(&web(&emu, PORTAL_HOST, "/start"), &[("idc_session", &idc)]);
    assert!(r.body.contains(r#"id="portal-sign-in""#), "{}", r.body);
}

#[test]
fn unknown_hosts_and_signed_out_pages() {
    let emu = emulator();
    let r = get(&web(&emu, "example.com", "/"), &[]);
    assert_eq!(r.status, 404);
    assert!(r.body.contains(r#"id="host-not-emulated""#));
    let r = get(
        &web(
            &emu,
            "us-east-1.console.aws.amazon.com",
            &format!("/connect/federate/{PROD}"),
        ),
        &[],
    );
    assert_eq!(r.status, 401);
    assert!(r.body.contains("You are not signed in to the AWS console"));
    let r = get(&web(&emu, "acme-prod.my.connect.aws", "/ccp-v2"), &[]);
    assert_eq!(r.status, 401);
    assert!(r.body.contains(r#"id="session-expired""#));
    assert_eq!(
        get(&web(&emu, "acme-prod.my.connect.aws", "/nowhere"), &[]).status,
        404
    );

    // The control API merged beside the hosts keeps its paths, and the device page is the OIDC one.
    let r = get(&format!("{}/_emulator/health", emu.urls().web), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = get(&web(&emu, "device.sso.us-east-1.amazonaws.com", "/"), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains("host-not-emulated"));
}

#[tokio::test]
async fn get_federation_token_credentials_sign_in_by_form_post() {
    let emu = tokio::task::spawn_blocking(emulator)
        .await
        .expect("the start task runs");
    let (akid, secret, token) = emu.issue_role_credentials(ALEX, "444455556666", "ConnectAgent");
    let config = aws_sdk_connect::config::Builder::new()
        .behavior_version(aws_sdk_connect::config::BehaviorVersion::latest())
        .region(aws_sdk_connect::config::Region::new("us-east-1"))
        .endpoint_url(&emu.urls().connect)
        .credentials_provider(aws_credential_types::Credentials::new(
            akid,
            secret,
            Some(token),
            None,
            "web-flows",
        ))
        .build();
    let out = aws_sdk_connect::Client::from_conf(config)
        .get_federation_token()
        .instance_id(STAGING)
        .send()
        .await
        .expect("GetFederationToken succeeds");
    let creds = out.credentials().expect("credentials");
    let sign_in = out.sign_in_url().expect("a SignInUrl");
    assert_eq!(
        sign_in,
        web(&emu, "acme-staging.my.connect.aws", "/auth/sign-in")
    );
    let json = serde_json::json!({
        "AccessToken": creds.access_token(),
        "RefreshToken": creds.refresh_token(),
    })
    .to_string();

    let r = post(
        sign_in,
        &[],
        &[("credentials", &json), ("destination", "/ccp-v2")],
    );
    assert_eq!(
        r.location(),
        web(&emu, "acme-staging.my.connect.aws", "/ccp-v2")
    );
    let page = get(
        r.location(),
        &[(
            "connect_session_acme-staging",
            &r.cookie("connect_session_acme-staging"),
        )],
    );
    assert_eq!(page.text_of("connect-user").as_deref(), Some(ALEX));

    let forged = serde_json::json!({"AccessToken": "nope"}).to_string();
    let r = post(
        sign_in,
        &[],
        &[("credentials", &forged), ("destination", "/ccp-v2")],
    );
    assert_eq!(r.status, 401);
    assert!(r.body.contains(r#"id="sign-in-failed""#));
    // Another instance's site does not take this instance's token.
    let other = web(&emu, "acme-prod.my.connect.aws", "/auth/sign-in");
    assert_eq!(post(&other, &[], &[("credentials", &json)]).status, 401);
}

/// The real (not emulator-mapped) login URL for a sign-in token.
fn real_login_url(signin_host: &str, token: &str, destination: &str) -> String {
    format!(
        "https://{signin_host}/federation?Action=login&Issuer={}&Destination={}&SigninToken={}",
        enc("https://launcher.example.com"),
        enc(destination),
        enc(token)
    )
}

/// The console sign-out on `signin_host` in front of `redirect_uri`.
fn logout_url(emu: &Emulator, signin_host: &str, redirect_uri: &str) -> String {
    web(
        emu,
        signin_host,
        &format!("/oauth?Action=logout&redirect_uri={}", enc(redirect_uri)),
    )
}

/// The console home as seen with `console_cookie`.
fn console_home(emu: &Emulator, console_cookie: &str) -> Resp {
    get(
        &web(emu, "console.aws.amazon.com", "/console/home"),
        &[("aws_console_session", console_cookie)],
    )
}

#[test]
fn signing_out_first_ends_the_console_session_and_goes_on_to_the_login() {
    let emu = emulator();
    let staging = federate_url(
        "us-east-1.console.aws.amazon.com",
        STAGING,
        "?destination=%2Fccp-v2",
    );
    let (alex, _) = console_login(
        &emu,
        ALEX,
        "444455556666",
        "ConnectAgent",
        "signin.aws.amazon.com",
        &staging,
    );
    assert_eq!(
        console_home(&emu, &alex).text_of("console-user").as_deref(),
        Some(ALEX)
    );

    // Sam switches to their own role on the same browser: sign out first, then log in.
    let creds = emu.issue_role_credentials(SAM, "444455556666", "ConnectSupervisor");
    let token = signin_token(&emu, "signin.aws.amazon.com", &creds, None);
    let login = real_login_url("signin.aws.amazon.com", &token, &staging);
    let r = get(
        &logout_url(&emu, "signin.aws.amazon.com", &login),
        &[("aws_console_session", &alex)],
    );
    assert_eq!(
        r.location(),
        login_url(&emu, "signin.aws.amazon.com", &token, &staging)
    );
    assert_eq!(
        r.set_cookie("aws_console_session"),
        Some("aws_console_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    );
    let old = console_home(&emu, &alex);
    assert_eq!(old.status, 401, "the old console session has ended");
    assert!(
        old.body.contains(r#"id="console-signed-out""#),
        "{}",
        old.body
    );

    let r = get(r.location(), &[]);
    let sam = r.cookie("aws_console_session");
    assert_ne!(sam, alex);
    assert_eq!(
        r.location(),
        web(
            &emu,
            "us-east-1.console.aws.amazon.com",
            &format!("/connect/federate/{STAGING}?destination=%2Fccp-v2")
        )
    );
    let (_, _, page) = federate(r.location(), &sam, "acme-staging");
    assert_eq!(page, web(&emu, "acme-staging.my.connect.aws", "/ccp-v2"));
    assert_eq!(
        console_home(&emu, &sam).text_of("console-user").as_deref(),
        Some(SAM)
    );

    // GovCloud's sign-in host signs out in front of its own federation endpoint; without a
    // console session there is nothing to end, and the browser still goes on.
    let gov_login = "https://signin.amazonaws-us-gov.com/federation?Action=login&SigninToken=t";
    let r = get(
        &logout_url(&emu, "signin.amazonaws-us-gov.com", gov_login),
        &[],
    );
    assert_eq!(
        r.location(),
        web(
            &emu,
            "signin.amazonaws-us-gov.com",
            "/federation?Action=login&SigninToken=t"
        )
    );
}

#[test]
fn signing_out_sends_the_browser_nowhere_but_sign_in_federation() {
    let emu = emulator();
    let (alex, _) = console_login(
        &emu,
        ALEX,
        "444455556666",
        "ConnectAgent",
        "signin.aws.amazon.com",
        &federate_url("us-east-1.console.aws.amazon.com", STAGING, ""),
    );
    for redirect_uri in [
        "https://evil.example.com/federation?Action=login",
        "https://signin.aws.amazon.com.evil.example.com/federation?Action=login",
        "https://us-east-1.console.aws.amazon.com/console/home",
        "http://signin.aws.amazon.com/federation?Action=login",
        "https://signin.aws.amazon.com/federation/../oauth?Action=logout",
        "https://signin.aws.amazon.com/oauth?Action=logout&redirect_uri=https%3A%2F%2Fevil.example.com%2F",
        "https://signin.amazonaws-us-gov.com/federation?Action=login",
        "//evil.example.com/federation",
        "",
    ] {
        let r = get(
            &logout_url(&emu, "signin.aws.amazon.com", redirect_uri),
            &[("aws_console_session", &alex)],
        );
        assert_eq!(r.status, 400, "{redirect_uri}: {}", r.body);
        assert!(
            r.body.contains(r#"id="invalid-redirect""#),
            "{redirect_uri}: {}",
            r.body
        );
        assert_eq!(r.header("location"), None, "{redirect_uri}");
        assert_eq!(r.set_cookie("aws_console_session"), None, "{redirect_uri}");
    }
    let r = get(
        &web(
            &emu,
            "signin.aws.amazon.com",
            &format!(
                "/oauth?Action=login&redirect_uri={}",
                enc("https://signin.aws.amazon.com/federation")
            ),
        ),
        &[("aws_console_session", &alex)],
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains(r#"id="unsupported-action""#), "{}", r.body);
    let r = post(
        &logout_url(
            &emu,
            "signin.aws.amazon.com",
            "https://signin.aws.amazon.com/federation",
        ),
        &[("aws_console_session", &alex)],
        &[],
    );
    assert_eq!(r.status, 405);
    // None of that signed anybody out.
    let home = console_home(&emu, &alex);
    assert_eq!(home.status, 200, "{}", home.body);
    assert_eq!(home.text_of("console-user").as_deref(), Some(ALEX));
}
