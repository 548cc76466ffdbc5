//! IAM Identity Center OIDC and portal, driven through the AWS SDK for Rust (`aws-sdk-ssooidc`,
//! `aws-sdk-sso`) against the emulator: every grant, each modelled error, paging, throttling and
//! the injected faults.

use std::io::{Read, Write};
use std::time::Duration;

use aws_emulator::{Emulator, Options, Org};
use aws_sdk_sso::error::ProvideErrorMetadata;
use aws_sdk_ssooidc::config::{BehaviorVersion, Region};

const ALEX: &str = "alex.rivera@example.com";
const SAM: &str = "sam.chen@example.com";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One emulator and the two SDK clients pointed at it.
struct World {
    emu: Emulator,
    oidc: aws_sdk_ssooidc::Client,
    sso: aws_sdk_sso::Client,
}

impl World {
    fn new() -> World {
        World::with(Options::new(Org::demo()))
    }

    fn with(options: Options) -> World {
        let emu = Emulator::start(options).expect("emulator starts");
        let oidc = aws_sdk_ssooidc::Client::from_conf(
            aws_sdk_ssooidc::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(&emu.urls().oidc)
                .build(),
        );
        let sso = sso_client(&emu, aws_sdk_sso::config::retry::RetryConfig::standard());
        World { emu, oidc, sso }
    }

    async fn register_device_client(&self, scopes: bool) -> (String, String) {
        let mut req = self
            .oidc
            .register_client()
            .client_name("test-device")
            .client_type("public");
        if scopes {
            req = req.scopes("sso:account:access");
        }
        let out = req.send().await.expect("register");
        (
            out.client_id().unwrap().to_owned(),
            out.client_secret().unwrap().to_owned(),
        )
    }

    /// Signs `user` in through the device flow and returns (access token, refresh token).
    async fn sign_in(&self, user: &str) -> (String, Option<String>) {
        let (id, secret) = self.register_device_client(true).await;
        let dev = self
            .oidc
            .start_device_authorization()
            .client_id(&id)
            .client_secret(&secret)
            .start_url(self.emu.start_url())
            .send()
            .await
            .expect("device authorization");
        assert!(self.emu.approve_device(dev.user_code().unwrap(), user));
        let tok = self
            .oidc
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type(DEVICE_GRANT)
            .device_code(dev.device_code().unwrap())
            .send()
            .await
            .expect("token");
        (
            tok.access_token().unwrap().to_owned(),
            tok.refresh_token().map(str::to_owned),
        )
    }
}

fn sso_client(
    emu: &Emulator,
    retry: aws_sdk_sso::config::retry::RetryConfig,
) -> aws_sdk_sso::Client {
    aws_sdk_sso::Client::from_conf(
        aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&emu.urls().portal)
            .retry_config(retry)
            .build(),
    )
}

/// A bare HTTP/1.1 exchange on loopback: (status, headers, body). Follows nothing.
fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let u = url::Url::parse(url).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).unwrap();
    let path = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    };
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        u.authority(),
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn register_client_variants_and_errors() {
    let w = World::new();
    let out = w
        .oidc
        .register_client()
        .client_name("botocore-client-my-sso")
        .client_type("public")
        .grant_types("authorization_code")
        .grant_types("refresh_token")
        .redirect_uris("http://127.0.0.1/oauth/callback")
        .issuer_url(w.emu.start_url())
        .scopes("sso:account:access")
        .send()
        .await
        .unwrap();
    assert!(out.client_secret_expires_at() > out.client_id_issued_at() + 89 * 86_400);

    let err = w
        .oidc
        .register_client()
        .client_name("x")
        .client_type("confidential")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_invalid_client_metadata_exception());

    let err = w
        .oidc
        .register_client()
        .client_name("x")
        .client_type("public")
        .grant_types("authorization_code")
        .redirect_uris("https://evil.example/callback")
        .issuer_url(w.emu.start_url())
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_redirect_uri_exception());

    let err = w
        .oidc
        .register_client()
        .client_name("x")
        .client_type("public")
        .scopes("openid")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_scope_exception());
}

#[tokio::test]
async fn device_flow_pending_slow_down_then_token() {
    let w = World::new();
    let (id, secret) = w.register_device_client(true).await;
    let dev = w
        .oidc
        .start_device_authorization()
        .client_id(&id)
        .client_secret(&secret)
        .start_url(w.emu.start_url())
        .send()
        .await
        .unwrap();
    assert_eq!(dev.expires_in(), 600);
    assert_eq!(dev.interval(), 1);
    let code = dev.user_code().unwrap();
    assert_eq!(
        dev.verification_uri_complete().unwrap(),
        format!("{}?user_code={code}", dev.verification_uri().unwrap())
    );
    let poll = || {
        w.oidc
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type(DEVICE_GRANT)
            .device_code(dev.device_code().unwrap())
            .send()
    };

    let e = poll().await.unwrap_err().into_service_error();
    assert!(e.is_authorization_pending_exception(), "{e:?}");
    if let aws_sdk_ssooidc::operation::create_token::CreateTokenError::AuthorizationPendingException(p) = &e {
        assert_eq!(p.error(), Some("authorization_pending"));
        assert_eq!(p.error_description(), Some("Authorization is still pending"));
    }
    let e = poll().await.unwrap_err().into_service_error();
    assert!(e.is_slow_down_exception(), "{e:?}");

    assert!(w.emu.approve_device(code, ALEX));
    w.emu.clock().advance(Duration::from_secs(2));
    let tok = poll().await.unwrap();
    assert!(tok.access_token().unwrap().starts_with("aoa"));
    assert!(tok.refresh_token().unwrap().starts_with("aor"));
    assert_eq!(tok.token_type(), Some("Bearer"));
    assert_eq!(tok.expires_in(), 3600);

    w.emu.clock().advance(Duration::from_secs(2));
    let e = poll().await.unwrap_err().into_service_error();
    assert!(
        e.is_invalid_grant_exception(),
        "a device code is single-use: {e:?}"
    );
}

#[tokio::test]
async fn device_flow_without_scopes_gets_no_refresh_token() {
    let w = World::new();
    let (id, secret) = w.register_device_client(false).await;
    let dev = w
        .oidc
        .start_device_authorization()
        .client_id(&id)
        .client_secret(&secret)
        .start_url(w.emu.start_url())
        .send()
        .await
        .unwrap();
    assert!(w.emu.approve_device(dev.user_code().unwrap(), SAM));
    let tok = w
        .oidc
        .create_token()
        .client_id(&id)
        .client_secret(&secret)
        .grant_type(DEVICE_GRANT)
        .device_code(dev.device_code().unwrap())
        .send()
        .await
        .unwrap();
    assert!(tok.refresh_token().is_none());
}

#[tokio::test]
async fn device_flow_denied_expired_and_bad_client() {
    let w = World::new();
    let (id, secret) = w.register_device_client(true).await;
    let start = || {
        w.oidc
            .start_device_authorization()
            .client_id(&id)
            .client_secret(&secret)
            .start_url(w.emu.start_url())
            .send()
    };

    let denied = start().await.unwrap();
    assert!(w.emu.deny_device(denied.user_code().unwrap()));
    let e = w
        .oidc
        .create_token()
        .client_id(&id)
        .client_secret(&secret)
        .grant_type(DEVICE_GRANT)
        .device_code(denied.device_code().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_access_denied_exception());

    let expiring = start().await.unwrap();
    w.emu.clock().advance(Duration::from_secs(601));
    let e = w
        .oidc
        .create_token()
        .client_id(&id)
        .client_secret(&secret)
        .grant_type(DEVICE_GRANT)
        .device_code(expiring.device_code().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_expired_token_exception());

    let e = w
        .oidc
        .start_device_authorization()
        .client_id(&id)
        .client_secret("wrong")
        .start_url(w.emu.start_url())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(401));
    assert!(e.into_service_error().is_invalid_client_exception());

    let e = w
        .oidc
        .start_device_authorization()
        .client_id(&id)
        .client_secret(&secret)
        .start_url("https://d-0000000000.awsapps.com/start")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_invalid_request_exception());
}

async fn register_code_client(w: &World) -> (String, String) {
    let out = w
        .oidc
        .register_client()
        .client_name("connect-launcher")
        .client_type("public")
        .grant_types("authorization_code")
        .grant_types("refresh_token")
        .redirect_uris("http://127.0.0.1/oauth/callback")
        .issuer_url(w.emu.start_url())
        .scopes("sso:account:access")
        .send()
        .await
        .unwrap();
    (
        out.client_id().unwrap().to_owned(),
        out.client_secret().unwrap().to_owned(),
    )
}

fn authorize_url(
    w: &World,
    client_id: &str,
    redirect: &str,
    state: &str,
    challenge: &str,
) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={state}&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge={challenge}",
        w.emu.urls().oidc,
        enc(client_id),
        enc(redirect)
    )
}

#[tokio::test]
async fn authorization_code_with_pkce() {
    let w = World::with(Options::new(Org::demo()).auto_approve(ALEX));
    let (id, secret) = register_code_client(&w).await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let redirect = "http://127.0.0.1:53127/oauth/callback";
    let state = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

    let (status, headers, _) = http(
        "GET",
        &authorize_url(&w, &id, redirect, state, challenge),
        &[],
        "",
    );
    assert_eq!(status, 302, "auto-approve redirects straight back");
    let location = url::Url::parse(header(&headers, "location").unwrap()).unwrap();
    assert_eq!(&location[..url::Position::AfterPath], redirect);
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["state"], state);
    let code = q["code"].clone();
    assert!(header(&headers, "set-cookie")
        .unwrap()
        .starts_with("idc_session="));

    let exchange = |code: &str, verifier: &str, redirect: &str| {
        w.oidc
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type("authorization_code")
            .code(code)
            .code_verifier(verifier)
            .redirect_uri(redirect)
            .send()
    };
    let e = exchange(
        &code,
        "wrong-verifier-wrong-verifier-wrong-verifier-wrong",
        redirect,
    )
    .await
    .unwrap_err();
    assert!(e.into_service_error().is_invalid_grant_exception());
    let e = exchange(&code, verifier, "http://127.0.0.1:9/oauth/callback")
        .await
        .unwrap_err();
    assert!(
        e.into_service_error().is_invalid_grant_exception(),
        "the redirect URI must be identical"
    );
    let tok = exchange(&code, verifier, redirect).await.unwrap();
    assert!(tok.refresh_token().is_some());
    let e = exchange(&code, verifier, redirect).await.unwrap_err();
    assert!(
        e.into_service_error().is_invalid_grant_exception(),
        "a code is single-use"
    );

    let accounts = w
        .sso
        .list_accounts()
        .access_token(tok.access_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        accounts.account_list().len(),
        1,
        "alex has one account by permission set"
    );
}

#[tokio::test]
async fn authorize_page_asks_and_deny_redirects_with_error() {
    let w = World::new();
    let (id, _) = register_code_client(&w).await;
    let redirect = "http://127.0.0.1:40000/oauth/callback";
    let (status, _, body) = http(
        "GET",
        &authorize_url(
            &w,
            &id,
            redirect,
            "s1",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        &[],
        "",
    );
    assert_eq!(status, 200);
    assert!(body.contains(r#"id="allow""#) && body.contains(SAM));
    let request = body
        .split(r#"name="request" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let form = format!("request={request}&decision=deny&user=x");
    let (status, headers, _) = http(
        "POST",
        &format!("{}/authorize/decision", w.emu.urls().oidc),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(status, 302);
    let loc = header(&headers, "location").unwrap();
    assert!(
        loc.starts_with(redirect)
            && loc.contains("error=access_denied")
            && loc.contains("state=s1"),
        "{loc}"
    );

    let (status, _, body) = http(
        "GET",
        &authorize_url(&w, &id, "http://evil.example/oauth/callback", "s", "c"),
        &[],
        "",
    );
    assert_eq!(status, 400, "an unregistered redirect is never followed");
    assert!(body.contains("does not match"));
}

#[tokio::test]
async fn refresh_rotates_and_dies_with_revocation_and_session_end() {
    let w = World::new();
    let (id, secret) = w.register_device_client(true).await;
    let dev = w
        .oidc
        .start_device_authorization()
        .client_id(&id)
        .client_secret(&secret)
        .start_url(w.emu.start_url())
        .send()
        .await
        .unwrap();
    w.emu.approve_device(dev.user_code().unwrap(), ALEX);
    let tok = w
        .oidc
        .create_token()
        .client_id(&id)
        .client_secret(&secret)
        .grant_type(DEVICE_GRANT)
        .device_code(dev.device_code().unwrap())
        .send()
        .await
        .unwrap();
    let refresh = |rt: String| {
        w.oidc
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type("refresh_token")
            .refresh_token(rt)
            .send()
    };

    let first = tok.refresh_token().unwrap().to_owned();
    let next = refresh(first.clone()).await.unwrap();
    let second = next.refresh_token().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(
        refresh(first)
            .await
            .unwrap_err()
            .into_service_error()
            .is_invalid_grant_exception(),
        "rotated tokens stop working"
    );

    assert_eq!(w.emu.revoke_refresh_tokens(ALEX), 1);
    assert!(refresh(second)
        .await
        .unwrap_err()
        .into_service_error()
        .is_invalid_grant_exception());
    // The access token outlives its refresh token.
    w.sso
        .list_accounts()
        .access_token(next.access_token().unwrap())
        .send()
        .await
        .unwrap();

    // A fresh session, then the portal session's 8 h run out.
    let (access, rt) = w.sign_in(ALEX).await;
    w.emu.clock().advance(Duration::from_secs(8 * 3600));
    let e = w
        .sso
        .list_accounts()
        .access_token(&access)
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_unauthorized_exception());
    let (id2, secret2) = (id.clone(), secret.clone());
    let _ = (id2, secret2);
    let e = refresh(rt.unwrap()).await.unwrap_err();
    assert!(
        e.into_service_error().is_invalid_grant_exception(),
        "no refresh past the portal session"
    );
}

#[tokio::test]
async fn portal_lists_page_and_credentials() {
    let w = World::new();
    let (token, _) = w.sign_in("taylor.kim@example.com").await;
    let first = w
        .sso
        .list_accounts()
        .access_token(&token)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first.account_list().len(), 1);
    assert!(first.next_token().is_some());
    let all: Vec<String> = w
        .sso
        .list_accounts()
        .access_token(&token)
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.account_id().unwrap().to_owned())
        .collect();
    assert_eq!(all, ["111122223333", "444455556666", "777788889999"]);

    let roles = w
        .sso
        .list_account_roles()
        .access_token(&token)
        .account_id("777788889999")
        .send()
        .await
        .unwrap();
    assert_eq!(
        roles.role_list()[0].role_name(),
        Some("AdministratorAccess")
    );

    let before_ms = w.emu.clock().epoch_millis();
    let creds = w
        .sso
        .get_role_credentials()
        .access_token(&token)
        .account_id("777788889999")
        .role_name("AdministratorAccess")
        .send()
        .await
        .unwrap();
    let c = creds.role_credentials().unwrap();
    assert!(c.access_key_id().unwrap().starts_with("ASIA"));
    let exp = c.expiration();
    assert!(
        exp >= (before_ms / 1000 * 1000) as i64 + 3_599_000 && exp <= before_ms as i64 + 3_601_000,
        "expiration is epoch millis: {exp}"
    );

    let e = w
        .sso
        .get_role_credentials()
        .access_token(&token)
        .account_id("111122223333")
        .role_name("AdministratorAccess")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(403));
    assert_eq!(e.code(), Some("ForbiddenException"));
    assert_eq!(e.message(), Some("No access"));

    let e = w
        .sso
        .list_accounts()
        .access_token("aoa-not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.message(), Some("Session token not found or invalid"));
    assert!(e.into_service_error().is_unauthorized_exception());

    let e = w
        .sso
        .list_accounts()
        .access_token(&token)
        .max_results(101)
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_invalid_request_exception());

    w.sso.logout().access_token(&token).send().await.unwrap();
    let e = w
        .sso
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.into_service_error().is_unauthorized_exception(),
        "logout ends the session"
    );
}

#[tokio::test]
async fn throttling_is_retried_and_decoded() {
    let w = World::new();
    let (token, _) = w.sign_in(SAM).await;
    w.emu
        .faults()
        .add("ListAccounts:throttle:2".parse().unwrap());
    let out = w
        .sso
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.account_list().len(),
        2,
        "standard retries ride out two 429s"
    );

    let no_retry = sso_client(&w.emu, aws_sdk_sso::config::retry::RetryConfig::disabled());
    w.emu
        .faults()
        .add("ListAccounts:throttle:1".parse().unwrap());
    let e = no_retry
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(429));
    assert!(e.into_service_error().is_too_many_requests_exception());

    // The portal's own rate limit: a burst past 20 requests in a second is refused, not queued.
    w.emu.faults().set_rate_limit(Some(3.0));
    let mut throttled = 0;
    for _ in 0..8 {
        if let Err(e) = no_retry.list_accounts().access_token(&token).send().await {
            assert!(e.into_service_error().is_too_many_requests_exception());
            throttled += 1;
        }
    }
    assert!(throttled >= 4, "{throttled}");
}

/// `GET /_emulator/stats` as (portal_requests, throttled).
fn stats(emu: &Emulator) -> (u64, u64) {
    let (status, _, body) = http(
        "GET",
        &format!("{}/_emulator/stats", emu.urls().web),
        &[],
        "",
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    (
        v["portal_requests"].as_u64().unwrap(),
        v["throttled"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn stats_count_portal_requests_and_throttles() {
    let w = World::new();
    let (token, _) = w.sign_in(SAM).await;
    assert_eq!(stats(&w.emu), (0, 0), "sign-in makes no portal request");
    let no_retry = sso_client(&w.emu, aws_sdk_sso::config::retry::RetryConfig::disabled());
    w.emu.faults().set_rate_limit(Some(2.0));
    let mut refused = 0;
    for _ in 0..6 {
        if no_retry
            .list_accounts()
            .access_token(&token)
            .send()
            .await
            .is_err()
        {
            refused += 1;
        }
    }
    assert!(refused >= 3, "{refused}");
    assert_eq!(stats(&w.emu), (6, refused));
}

#[tokio::test]
async fn injected_faults_reach_the_client() {
    let w = World::new();
    let (token, _) = w.sign_in(SAM).await;
    let no_retry = sso_client(&w.emu, aws_sdk_sso::config::retry::RetryConfig::disabled());

    w.emu.faults().add("ListAccounts:5xx".parse().unwrap());
    let e = no_retry
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(500));

    w.emu
        .faults()
        .add("ListAccounts:malformed".parse().unwrap());
    let e = no_retry
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            aws_sdk_sso::error::SdkError::ResponseError(_)
                | aws_sdk_sso::error::SdkError::ServiceError(_)
        ),
        "{e:?}"
    );

    w.emu.faults().add("ListAccounts:reset".parse().unwrap());
    let e = no_retry
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, aws_sdk_sso::error::SdkError::DispatchFailure(_)),
        "{e:?}"
    );

    let impatient = aws_sdk_sso::Client::from_conf(
        no_retry
            .config()
            .to_builder()
            .timeout_config(
                aws_sdk_sso::config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_millis(300))
                    .build(),
            )
            .build(),
    );
    w.emu
        .faults()
        .add("ListAccounts:slow=3000".parse().unwrap());
    let e = impatient
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, aws_sdk_sso::error::SdkError::TimeoutError(_)),
        "{e:?}"
    );

    // And after the faults, the same call works.
    no_retry
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn undocumented_portal_calls() {
    let w = World::new();
    let (token, _) = w.sign_in(SAM).await;
    let get = |path: &str, tok: &str| {
        let (status, _, body) = http(
            "GET",
            &format!("{}{path}", w.emu.urls().portal),
            &[("x-amz-sso_bearer_token", tok)],
            "",
        );
        (
            status,
            serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default(),
        )
    };
    let (status, user) = get("/user", &token);
    assert_eq!(status, 200);
    assert_eq!(user["email"], SAM);
    assert_eq!(user["managedActiveDirectoryId"], "d-9067c2d5a1");

    let (_, apps) = get("/instance/appinstances", &token);
    let result = apps["result"].as_array().unwrap();
    let saml: Vec<_> = result
        .iter()
        .filter(|a| a["searchMetadata"].is_null())
        .collect();
    assert_eq!(saml.len(), 2, "sam has both Connect SAML applications");
    let accounts: Vec<_> = result
        .iter()
        .filter(|a| a["applicationName"] == "AWS Account")
        .collect();
    assert_eq!(accounts.len(), 2);
    assert!(apps["paginationToken"].is_null());

    let app = saml
        .iter()
        .find(|a| a["name"] == "Amazon Connect - acme-prod")
        .unwrap();
    let (_, profiles) = get(
        &format!(
            "/instance/appinstance/{}/profiles",
            app["id"].as_str().unwrap()
        ),
        &token,
    );
    let p = &profiles["result"][0];
    assert_eq!(p["name"], "Default");
    assert_eq!(p["protocol"], "SAML");
    assert!(p["relayState"]
        .as_str()
        .unwrap()
        .starts_with("https://us-east-1.console.aws.amazon.com/connect/federate/5a0c1c6e-"));
    let (status, assertion) = get(
        p["url"]
            .as_str()
            .unwrap()
            .strip_prefix(&w.emu.urls().portal)
            .unwrap(),
        &token,
    );
    assert_eq!(status, 200);
    assert!(!assertion["encodedResponse"].as_str().unwrap().is_empty());
    assert_eq!(
        assertion["destination"],
        format!("{}/signin.aws.amazon.com/saml", w.emu.urls().web)
    );

    let acct = accounts
        .iter()
        .find(|a| a["searchMetadata"]["AccountId"] == "444455556666")
        .unwrap();
    let (_, profiles) = get(
        &format!(
            "/instance/appinstance/{}/profiles",
            acct["id"].as_str().unwrap()
        ),
        &token,
    );
    assert_eq!(profiles["result"][0]["name"], "ConnectSupervisor");

    let (status, fed) = get(
        "/federation/console?account_id=444455556666&role_name=ConnectSupervisor",
        &token,
    );
    assert_eq!(status, 200);
    assert_eq!(
        fed["signInFederationLocation"],
        format!("{}/signin.aws.amazon.com/federation", w.emu.urls().web)
    );
    let (status, _) = get(
        "/federation/console?account_id=777788889999&role_name=AdministratorAccess",
        &token,
    );
    assert_eq!(status, 403);

    let (status, _, _) = http(
        "GET",
        &format!("{}/user", w.emu.urls().portal),
        &[("x-amz-sso-bearer-token", &token)],
        "",
    );
    assert_eq!(
        status, 200,
        "browsers' hyphenated header spelling is accepted"
    );
    let (status, body) = get("/user", "nope");
    assert_eq!(status, 401);
    assert_eq!(body["message"], "Session token not found or invalid");
}

#[test]
fn handle_drop_stops_listeners() {
    let emu = Emulator::start(Options::new(Org::demo())).unwrap();
    let addr = emu.urls().oidc.trim_start_matches("http://").to_owned();
    assert!(std::net::TcpStream::connect(&addr).is_ok());
    drop(emu);
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "the port is closed once the handle drops"
    );
}

#[test]
fn announcement_names_every_endpoint() {
    let emu = Emulator::start(Options::new(Org::demo())).unwrap();
    let a = emu.announcement();
    assert_eq!(a["start_url"], "https://d-9067c2d5a1.awsapps.com/start");
    assert_eq!(a["region"], "us-east-1");
    for k in [
        "AWS_ENDPOINT_URL_SSO_OIDC",
        "AWS_ENDPOINT_URL_SSO",
        "AWS_ENDPOINT_URL_CONNECT",
        "CONNECT_LAUNCHER_WEB_ENDPOINT_URL",
    ] {
        assert!(
            a["env"][k]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:"),
            "{k}"
        );
    }
}
