//! Signing in through the start URL: the authorization-code flow with PKCE on a loopback redirect,
//! the device-code flow as the fallback, taking over a valid AWS CLI session, and signing out.
//!
//! Promises: the loopback listener is bound before the browser opens; the browser opens only URLs
//! the [`UrlPolicy`] approves; the client registration is reused until it nearly expires and
//! renewed once if IdC forgets it; the device flow honours `interval` and adds 5 s on `slow_down`;
//! the AWS CLI cache is written only when the user or policy opted in, and removed at sign-out.

use std::time::Duration;

use url::Url;

use crate::aws_cli_cache::{self, CachedToken, TokenCacheKey};
use crate::browser::BrowserError;
use crate::deps::Deps;
use crate::endpoints::Endpoints;
use crate::loopback::{Listener, LoopbackError, DEFAULT_WAIT};
use crate::oidc::{self, ClientKind, OidcClient, OidcError, Registration, Tokens};
use crate::pkce::{CodeVerifier, State};
use crate::region::Region;
use crate::secret::Secret;
use crate::session::{epoch, Facts, Origin, SessionError, Sessions};
use crate::start_url::StartUrl;
use crate::url_policy::{UrlPolicy, UrlRefused};

/// The name this application registers under.
pub const CLIENT_NAME: &str = "connect-launcher";

/// How to sign in.
#[derive(Debug, Clone)]
pub struct SignInOptions {
    pub flow: Flow,
    /// Print URLs instead of opening a browser.
    pub print: bool,
    /// Sign in anew even if the AWS CLI has a valid session for this start URL.
    pub fresh: bool,
    /// How long to wait for the browser.
    pub wait: Duration,
    /// Write the session to `~/.aws/sso/cache` as the AWS CLI does.
    pub export_aws_cli_cache: bool,
}

impl Default for SignInOptions {
    fn default() -> Self {
        SignInOptions {
            flow: Flow::Browser,
            print: false,
            fresh: false,
            wait: DEFAULT_WAIT,
            export_aws_cli_cache: false,
        }
    }
}

/// Which grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Authorization code with PKCE on a loopback redirect.
    Browser,
    /// The device authorization grant.
    DeviceCode,
}

/// What sign-in tells the person, whatever shows it (terminal or window).
pub trait SignInUi: Send + Sync {
    /// The browser should show this page (it was opened, or must be opened by hand when `print`).
    fn visit(&self, url: &Url, opened: bool);
    /// The device code to confirm, and where.
    fn device_code(&self, user_code: &str, verification_uri: &str);
    /// The session was taken over from the AWS CLI's cache.
    fn reused_aws_cli_session(&self, path: &std::path::Path);
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    Oidc(#[from] OidcError),
    #[error(transparent)]
    Loopback(#[from] LoopbackError),
    #[error(transparent)]
    Browser(#[from] BrowserError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("refusing to open the sign-in page: {0}")]
    Refused(#[from] UrlRefused),
    #[error("the device code expired before the sign-in was approved; run `connect-launcher login --device-code` again")]
    DeviceCodeExpired,
    #[error("cannot write the AWS CLI's cache: {0}")]
    AwsCliCache(#[from] aws_cli_cache::CacheError),
}

impl SignInError {
    pub fn is_retryable(&self) -> bool {
        match self {
            SignInError::Oidc(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// Signs in and stores the session; returns its facts.
pub async fn sign_in(
    deps: &Deps,
    endpoints: &Endpoints,
    start_url: &StartUrl,
    region: Region,
    opts: &SignInOptions,
    ui: &dyn SignInUi,
) -> Result<Facts, SignInError> {
    let sessions = Sessions::new(deps);
    let oidc = OidcClient::new(deps.http.clone(), endpoints.oidc().clone());
    if !opts.fresh {
        if let Some(facts) = take_over_aws_cli_session(deps, &sessions, start_url, region, ui)? {
            return Ok(facts);
        }
    }
    let kind = match opts.flow {
        Flow::Browser => ClientKind::AuthorizationCode,
        Flow::DeviceCode => ClientKind::DeviceCode,
    };
    let mut reg = registration(deps, &sessions, &oidc, start_url, region, kind, false).await?;
    let attempt = run_flow(deps, endpoints, &oidc, &reg, start_url, opts, ui).await;
    let tokens = match attempt {
        Err(SignInError::Oidc(OidcError::InvalidClient)) => {
            tracing::info!("the client registration was forgotten by IdC; registering again");
            reg = registration(deps, &sessions, &oidc, start_url, region, kind, true).await?;
            run_flow(deps, endpoints, &oidc, &reg, start_url, opts, ui).await?
        }
        other => other?,
    };
    let now = epoch(deps.clock.now());
    let mut facts = Facts {
        start_url: start_url.as_str().to_owned(),
        region: region.as_str().to_owned(),
        user: who_am_i(deps, endpoints, &tokens.access_token).await,
        origin: match opts.flow {
            Flow::Browser => Origin::AuthorizationCode,
            Flow::DeviceCode => Origin::DeviceCode,
        },
        signed_in_at: now,
        access_expires_at: now + tokens.expires_in,
        refreshable: tokens.refresh_token.is_some(),
        refresh_failed_at: None,
        portal_session_ended_at: None,
        exported_cli_cache: None,
    };
    if opts.export_aws_cli_cache {
        facts.exported_cli_cache = Some(export(deps, start_url, region, &tokens, &reg, now)?);
    }
    sessions.store_new(start_url, &facts, &tokens, Some(&reg))?;
    tracing::info!(start_url = %start_url.as_str(), "signed in");
    Ok(facts)
}

async fn registration(
    deps: &Deps,
    sessions: &Sessions,
    oidc: &OidcClient,
    start_url: &StartUrl,
    region: Region,
    kind: ClientKind,
    force_new: bool,
) -> Result<Registration, SignInError> {
    let now = epoch(deps.clock.now());
    if !force_new {
        if let Some(reg) = sessions.registration(start_url, region.as_str(), kind, now)? {
            return Ok(reg);
        }
    }
    let reg = oidc.register(CLIENT_NAME, kind, start_url.as_str()).await?;
    sessions.save_registration(start_url, region.as_str(), &reg)?;
    Ok(reg)
}

async fn run_flow(
    deps: &Deps,
    endpoints: &Endpoints,
    oidc: &OidcClient,
    reg: &Registration,
    start_url: &StartUrl,
    opts: &SignInOptions,
    ui: &dyn SignInUi,
) -> Result<Tokens, SignInError> {
    let policy = UrlPolicy::new(endpoints);
    match opts.flow {
        Flow::Browser => {
            let listener = Listener::bind().await?;
            let redirect_uri = listener.redirect_uri();
            let verifier = CodeVerifier::generate();
            let state = State::generate();
            let url = crate::pkce::authorize_url(
                oidc.base().as_str().trim_end_matches('/'),
                &reg.client_id,
                listener.port(),
                &state,
                &[oidc::SCOPE_ACCOUNT_ACCESS.to_owned()],
                &verifier.challenge(),
            );
            let approved = policy.check(&url)?;
            show(deps, approved.as_url(), opts.print, ui)?;
            let deadline = tokio::time::Instant::now() + opts.wait;
            let code = listener.wait(&state, deadline).await?;
            Ok(oidc
                .code_token(reg, &code, verifier.secret(), &redirect_uri)
                .await?)
        }
        Flow::DeviceCode => {
            let dev = oidc
                .start_device_authorization(reg, start_url.as_str())
                .await?;
            ui.device_code(&dev.user_code, &dev.verification_uri);
            let page = dev
                .verification_uri_complete
                .as_deref()
                .unwrap_or(&dev.verification_uri);
            let approved = policy.check(page)?;
            show(deps, approved.as_url(), opts.print, ui)?;
            poll_device(
                deps,
                oidc,
                reg,
                &dev.device_code,
                dev.interval,
                dev.expires_in,
            )
            .await
        }
    }
}

/// Opens the page (or, with `print`, only shows it).
fn show(deps: &Deps, url: &Url, print: bool, ui: &dyn SignInUi) -> Result<(), SignInError> {
    if !print {
        deps.opener.open(url)?;
    }
    ui.visit(url, !print);
    Ok(())
}

/// Polls for the device grant until approval, denial or expiry (RFC 8628 §3.4–3.5).
async fn poll_device(
    deps: &Deps,
    oidc: &OidcClient,
    reg: &Registration,
    device_code: &Secret,
    interval: u64,
    expires_in: u64,
) -> Result<Tokens, SignInError> {
    let started = deps.clock.now();
    let mut interval = interval;
    loop {
        deps.clock.sleep(Duration::from_secs(interval)).await;
        if deps.clock.now().duration_since(started).unwrap_or_default()
            > Duration::from_secs(expires_in)
        {
            return Err(SignInError::DeviceCodeExpired);
        }
        match oidc.device_token(reg, device_code).await {
            Ok(tokens) => return Ok(tokens),
            Err(OidcError::AuthorizationPending) => {}
            Err(OidcError::SlowDown) => {
                interval = oidc::next_poll_interval(interval, &OidcError::SlowDown)
            }
            Err(OidcError::Expired) => return Err(SignInError::DeviceCodeExpired),
            Err(e) if e.is_retryable() => {
                tracing::warn!(error = %e, "polling for the device sign-in failed; trying again")
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Who the portal says is signed in (its undocumented `/user`); `None` when it will not say.
async fn who_am_i(deps: &Deps, endpoints: &Endpoints, token: &Secret) -> Option<String> {
    let url = endpoints.portal().join("user").ok()?;
    let req = deps
        .http
        .request(reqwest::Method::GET, url)
        .header("x-amz-sso_bearer_token", token.expose());
    let resp = deps.http.send(req).await.ok().filter(|r| r.is_success())?;
    let v: serde_json::Value = serde_json::from_slice(&resp.body).ok()?;
    let text = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    text("preferredUsername")
        .or_else(|| text("email"))
        .or_else(|| text("name"))
}

fn take_over_aws_cli_session(
    deps: &Deps,
    sessions: &Sessions,
    start_url: &StartUrl,
    region: Region,
    ui: &dyn SignInUi,
) -> Result<Option<Facts>, SignInError> {
    let found = match aws_cli_cache::find_token(
        &deps.dirs.aws_sso_cache(),
        start_url.as_str(),
        deps.clock.as_ref(),
    ) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the AWS CLI's cache; signing in instead");
            None
        }
    };
    let Some(found) = found else { return Ok(None) };
    let t = &found.token;
    let now = epoch(deps.clock.now());
    let expires = epoch(t.expires_at);
    let tokens = Tokens {
        access_token: t.access_token.clone(),
        refresh_token: t.refresh_token.clone(),
        expires_in: expires.saturating_sub(now),
    };
    let reg = match (&t.client_id, &t.client_secret, t.registration_expires_at) {
        (Some(id), Some(secret), Some(exp)) => Some(Registration {
            client_id: id.clone(),
            client_secret: secret.clone(),
            expires_at: epoch(exp),
            kind: ClientKind::AuthorizationCode,
        }),
        _ => None,
    };
    let facts = Facts {
        start_url: start_url.as_str().to_owned(),
        region: t
            .region
            .clone()
            .unwrap_or_else(|| region.as_str().to_owned()),
        user: None,
        origin: Origin::AwsCliCache,
        signed_in_at: now,
        access_expires_at: expires,
        refreshable: tokens.refresh_token.is_some() && reg.is_some(),
        refresh_failed_at: None,
        portal_session_ended_at: None,
        exported_cli_cache: None,
    };
    sessions.store_new(start_url, &facts, &tokens, reg.as_ref())?;
    ui.reused_aws_cli_session(&found.path);
    tracing::info!("took over the AWS CLI's session");
    Ok(Some(facts))
}

fn export(
    deps: &Deps,
    start_url: &StartUrl,
    region: Region,
    tokens: &Tokens,
    reg: &Registration,
    now: u64,
) -> Result<std::path::PathBuf, SignInError> {
    let at = |secs: u64| std::time::UNIX_EPOCH + Duration::from_secs(secs);
    let token = CachedToken {
        start_url: Some(start_url.as_str().to_owned()),
        region: Some(region.as_str().to_owned()),
        access_token: tokens.access_token.clone(),
        expires_at: at(now + tokens.expires_in),
        client_id: Some(reg.client_id.clone()),
        client_secret: Some(reg.client_secret.clone()),
        registration_expires_at: Some(at(reg.expires_at)),
        refresh_token: tokens.refresh_token.clone(),
    };
    Ok(aws_cli_cache::write_token(
        &deps.dirs.aws_sso_cache(),
        TokenCacheKey::StartUrl(start_url.as_str()),
        &token,
    )?)
}

/// Signs out: the portal's Logout (best effort), then the keychain entries, the facts and any
/// exported AWS CLI cache file. With `everything`, the client registration as well.
pub async fn sign_out(
    deps: &Deps,
    endpoints: &Endpoints,
    everything: bool,
) -> Result<Option<Facts>, SignInError> {
    let sessions = Sessions::new(deps);
    let damaged = |sessions: &Sessions| {
        // Signing out must work on a damaged file too (a shared PC at the end of a shift): what
        // it may have named goes, without the portal's Logout (there is no token to send).
        let configured = deps
            .settings(crate::config::Flags::default())
            .ok()
            .and_then(|r| r.settings.start_url);
        sessions
            .forget_damaged(configured.as_ref(), everything)
            .map(|_| None)
            .map_err(SignInError::from)
    };
    let facts = match sessions.facts() {
        Ok(Some(facts)) => facts,
        Ok(None) => return Ok(None),
        Err(SessionError::Corrupt { .. }) => return damaged(&sessions),
        Err(e) => return Err(e.into()),
    };
    let Ok(start_url) = StartUrl::parse(&facts.start_url, true) else {
        return damaged(&sessions);
    };
    match sessions.access_token(&start_url) {
        Ok(token) => {
            if let Ok(url) = endpoints.portal().join("logout") {
                let req = deps
                    .http
                    .request(reqwest::Method::POST, url)
                    .header("x-amz-sso_bearer_token", token.expose())
                    .header("content-length", "0");
                match deps.http.send(req).await {
                    Ok(r) if r.is_success() || r.status == 401 => {}
                    Ok(r) => tracing::warn!(
                        status = r.status,
                        "the portal's Logout failed; forgetting the session anyway"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot reach the portal to log out; forgetting the session anyway")
                    }
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "no access token to log out with"),
    }
    if let Some(path) = &facts.exported_cli_cache {
        crate::session::remove_if_present(path)?;
    }
    sessions.forget(&start_url, everything)?;
    Ok(Some(facts))
}
