//! `aws-emulator`: a local, faithful emulator of the endpoints Connect Launcher talks to: IAM
//! Identity Center OIDC and portal (documented and undocumented calls), Amazon Connect, the AWS
//! sign-in federation and SAML endpoints, the console's Connect federate link and the Connect
//! instance pages. Built to `shared/reference/aws-protocols.md`.
//!
//! Start one with [`Emulator::start`]: it binds four listeners on `127.0.0.1:0` on a thread of its
//! own and stops when the handle drops. [`Emulator::restart`] (or [`Emulator::stop_listening`] and
//! [`Emulator::start_listening`], or the fault kinds `restart` and `down`) closes every listener and
//! connection and opens them again on the same ports with every token and session kept, as a
//! service restart looks to its clients. [`Emulator::env`] gives the environment variables that point
//! botocore, the AWS SDK for Rust and `connect-launcher` at it.
//!
//! Browser-facing hosts share one listener, each under a path named for the host: the emulator URL
//! `{web}/signin.aws.amazon.com/federation` stands for `https://signin.aws.amazon.com/federation`.
//! Clients that build AWS URLs themselves map them with `CONNECT_LAUNCHER_WEB_ENDPOINT_URL`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod clock;
pub mod connect_api;
pub mod console;
pub mod control;
pub mod errors;
pub mod faults;
pub mod generate;
pub mod ids;
pub mod instance_site;
pub mod oidc;
pub mod org;
pub mod pages;
pub mod portal;
pub mod saml;
mod server;
pub mod signin;
pub mod sigv4;
pub mod start_page;
pub mod state;
pub mod web;

pub use clock::Clock;
pub use faults::{FaultKind, FaultRule, Faults};
pub use org::Org;
pub use state::Urls;

use state::{Behaviour, Shared, State};

/// The environment variable that maps browser-facing AWS hosts to the emulator's web listener.
pub const WEB_ENDPOINT_ENV: &str = "CONNECT_LAUNCHER_WEB_ENDPOINT_URL";

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct Options {
    pub org: Org,
    /// Approve sign-ins at once: `Some("")` as the first user, `Some(name)` as that user.
    pub auto_approve: Option<String>,
    /// Added to every API request.
    pub latency: Duration,
    /// The portal's requests-per-second limit; `None` for none. AWS's is about 20.
    pub portal_rate_limit: Option<f64>,
    pub faults: Vec<FaultRule>,
}

/// The portal's request rate in requests per second, as AWS enforces it.
pub const PORTAL_RATE_LIMIT: f64 = 20.0;

impl Options {
    /// An organisation with AWS's defaults: no latency, the portal limited to 20 requests/s.
    pub fn new(org: Org) -> Options {
        Options {
            org,
            auto_approve: None,
            latency: Duration::ZERO,
            portal_rate_limit: Some(PORTAL_RATE_LIMIT),
            faults: Vec::new(),
        }
    }

    pub fn auto_approve(mut self, user: impl Into<String>) -> Options {
        self.auto_approve = Some(user.into());
        self
    }
}

/// A running emulator; dropping it stops every listener.
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Emulator {
    /// Binds the listeners on `127.0.0.1:0` and serves on a thread of its own.
    pub fn start(options: Options) -> std::io::Result<Emulator> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("aws-emulator")
            .enable_all()
            .build()?;
        let mut listeners = Vec::new();
        for _ in 0..4 {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.set_nonblocking(true)?;
            listeners.push(l);
        }
        let url = |l: &std::net::TcpListener| l.local_addr().map(|a| format!("http://{a}"));
        let urls = Urls {
            oidc: url(&listeners[0])?,
            portal: url(&listeners[1])?,
            connect: url(&listeners[2])?,
            web: url(&listeners[3])?,
        };
        let faults = Faults::new(options.latency, options.portal_rate_limit);
        for f in options.faults {
            faults.add(f);
        }
        let shared = Arc::new(Shared {
            org: options.org,
            clock: Clock::default(),
            faults,
            urls,
            behaviour: Mutex::new(Behaviour {
                auto_approve: options.auto_approve,
            }),
            state: Mutex::new(State::default()),
        });
        shared.faults.lifecycle().set_expected(listeners.len());
        let routers = [
            oidc::router(shared.clone()),
            portal::router(shared.clone()),
            connect_api::router(shared.clone()),
            web::router(shared.clone()).merge(control::router(shared.clone())),
        ];
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("aws-emulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let mut tasks = Vec::new();
                    for (listener, router) in listeners.into_iter().zip(routers) {
                        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                            continue;
                        };
                        tasks.push(tokio::spawn(server::serve(
                            listener,
                            router,
                            serving.clone(),
                        )));
                    }
                    for t in tasks {
                        let _ = t.await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })?;
        // Every accept loop is running before this returns, so that a stop right away closes
        // every port (else a port bound above but not yet served would take a connection and
        // reset it).
        shared.faults.lifecycle().start()?;
        Ok(Emulator {
            shared,
            thread: Some(thread),
        })
    }

    /// Closes every listener and open connection, as a stopped service: connections are refused
    /// until [`Emulator::start_listening`]. Every token, session and setting is kept. Returns once
    /// every port is closed.
    pub fn stop_listening(&self) {
        self.shared.faults.lifecycle().stop();
    }

    /// Opens every listener again on the port it had; returns once they all accept.
    pub fn start_listening(&self) -> std::io::Result<()> {
        self.shared.faults.lifecycle().start()
    }

    /// A service restart: [`Emulator::stop_listening`] then [`Emulator::start_listening`]. Clients
    /// see their open (keep-alive) connections reset; tokens issued before stay valid.
    pub fn restart(&self) -> std::io::Result<()> {
        self.shared.faults.lifecycle().restart()
    }

    /// How many restarts there have been (by [`Emulator::restart`] or a `restart` fault).
    pub fn restarts(&self) -> u64 {
        self.shared.faults.lifecycle().restarts()
    }

    /// Whether the listeners are open.
    pub fn is_listening(&self) -> bool {
        self.shared.faults.lifecycle().is_up()
    }

    /// The listeners' base URLs.
    pub fn urls(&self) -> &Urls {
        &self.shared.urls
    }

    /// The organisation being served.
    pub fn org(&self) -> &Org {
        &self.shared.org
    }

    /// The start URL users sign in with.
    pub fn start_url(&self) -> String {
        self.shared.org.start_url()
    }

    /// The IdC region.
    pub fn region(&self) -> &str {
        &self.shared.org.directory.region
    }

    /// The emulated clock; move it with [`Clock::advance`].
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Fault injection, latency and the rate limit, changeable while running.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Turns auto-approval on (as `user`, or the first user when empty) or off.
    pub fn set_auto_approve(&self, user: Option<String>) {
        self.shared.behaviour.lock().unwrap().auto_approve = user;
    }

    /// Approves a pending device authorization by its user code, as `user`.
    pub fn approve_device(&self, user_code: &str, user: &str) -> bool {
        oidc::approve_device(&self.shared, user_code, user)
    }

    /// Denies a pending device authorization by its user code.
    pub fn deny_device(&self, user_code: &str) -> bool {
        oidc::deny_device(&self.shared, user_code)
    }

    /// Ends every portal session of `user` (as an administrator revoking it would).
    pub fn revoke_sessions(&self, user: &str) -> usize {
        control::revoke(&self.shared, user, control::Revoke::Session)
    }

    /// Revokes every refresh token of `user`, leaving access tokens valid until they expire.
    pub fn revoke_refresh_tokens(&self, user: &str) -> usize {
        control::revoke(&self.shared, user, control::Revoke::RefreshTokens)
    }

    /// Issues temporary credentials for `role` in `account` to `user`, as GetRoleCredentials (or
    /// AssumeRoleWithSAML) would: `(access_key_id, secret_access_key, session_token)`.
    pub fn issue_role_credentials(
        &self,
        user: &str,
        account: &str,
        role: &str,
    ) -> (String, String, String) {
        let (akid, creds) = self.shared.issue_role_credentials(user, account, role);
        (akid, creds.secret_access_key, creds.session_token)
    }

    /// Environment variables that point botocore, the AWS SDK for Rust and `connect-launcher` here.
    pub fn env(&self) -> BTreeMap<String, String> {
        let u = &self.shared.urls;
        BTreeMap::from([
            ("AWS_ENDPOINT_URL_SSO_OIDC".to_owned(), u.oidc.clone()),
            ("AWS_ENDPOINT_URL_SSO".to_owned(), u.portal.clone()),
            ("AWS_ENDPOINT_URL_CONNECT".to_owned(), u.connect.clone()),
            (WEB_ENDPOINT_ENV.to_owned(), u.web.clone()),
        ])
    }

    /// The one JSON line the binary prints on start.
    pub fn announcement(&self) -> serde_json::Value {
        let u = &self.shared.urls;
        serde_json::json!({
            "start_url": self.start_url(),
            "region": self.region(),
            "env": self.env(),
            "urls": {"oidc": u.oidc, "portal": u.portal, "connect": u.connect, "web": u.web},
            "control": format!("{}/_emulator", u.web),
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.faults.lifecycle().shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
