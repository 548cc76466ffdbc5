//! The listeners and the path every API request takes through latency, the portal's rate limit and
//! injected faults before its handler runs.
//!
//! Promises: every API response carries `x-amzn-RequestId` and a `Date` from the emulated clock (so a
//! client can measure skew against it); a `reset` fault closes the TCP connection with an RST and no
//! response; listeners stop when the emulator drops. [`Lifecycle`] closes every listener (and every
//! open connection) and opens them again on the same ports with the state kept, as a service
//! restart looks to a client: refused connections while down, dead keep-alive connections after.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::errors::{ApiError, Service};
use crate::faults::FaultKind;
use crate::state::Shared;

/// Marks a response whose connection must be reset instead of answered.
#[derive(Debug, Clone, Copy)]
pub struct ResetConnection;

/// Runs one API operation: latency, rate limit, faults, then the handler.
pub async fn run_op<F, Fut>(
    shared: &Arc<Shared>,
    service: Service,
    operation: &'static str,
    handler: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    tracing::debug!(operation, "request");
    if service == Service::Portal {
        shared.faults.count_portal_request();
    }
    if service == Service::Portal && !shared.faults.admit_portal() {
        return finish(shared, ApiError::throttled(service).into_response());
    }
    let fault = shared.faults.take(operation);
    if let Some(FaultKind::Advance(secs)) = fault {
        shared.clock.advance(Duration::from_secs(secs));
    }
    if let Some(kind @ (FaultKind::Restart | FaultKind::Down)) = fault {
        // Close everything (this connection included); for a restart, open again at once.
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || {
            let life = shared.faults.lifecycle();
            if kind == FaultKind::Restart {
                let _ = life.restart();
            } else {
                life.stop();
            }
        });
        let mut r = Response::new(Body::empty());
        r.extensions_mut().insert(ResetConnection);
        return r;
    }
    let resp = match fault {
        Some(FaultKind::Throttle) => ApiError::throttled(service).into_response(),
        Some(FaultKind::ServerError) => ApiError::internal(service).into_response(),
        Some(FaultKind::Reset) => {
            let mut r = Response::new(Body::empty());
            r.extensions_mut().insert(ResetConnection);
            return r;
        }
        _ => match handler().await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        },
    };
    let resp = match fault {
        Some(FaultKind::Slow(ms)) => slow_body(resp, Duration::from_millis(ms)).await,
        Some(FaultKind::Malformed) => malformed_body(resp).await,
        _ => resp,
    };
    finish(shared, resp)
}

/// Adds the request id and the emulated `Date`.
pub fn finish(shared: &Shared, mut resp: Response) -> Response {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&crate::ids::request_id()) {
        h.insert("x-amzn-RequestId", v);
    }
    if let Ok(v) = HeaderValue::from_str(&crate::clock::http_date(shared.clock.now())) {
        h.insert(http::header::DATE, v);
    }
    resp
}

async fn slow_body(resp: Response, delay: Duration) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let mid = bytes.len() / 2;
    let first = bytes.slice(..mid);
    let second = bytes.slice(mid..);
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let (first, second) = (first.clone(), second.clone());
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(first), 1)),
                1 => {
                    tokio::time::sleep(delay).await;
                    Some((Ok(second), 2))
                }
                _ => None,
            }
        }
    });
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_stream(stream))
}

async fn malformed_body(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

/// Whether the listeners are up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Up,
    Down,
    Shutdown,
}

#[derive(Debug, Default)]
struct Open {
    listeners: usize,
    connections: usize,
    bind_failures: usize,
}

/// The listeners' state: the phase every accept loop and connection watches, and counts of what is
/// open, so that [`Lifecycle::stop`] returns only once every port is closed and every connection
/// dropped, and [`Lifecycle::start`] only once every port accepts again.
#[derive(Debug)]
pub struct Lifecycle {
    phase: watch::Sender<Phase>,
    open: Mutex<Open>,
    changed: Condvar,
    expected: AtomicU64,
    restarts: AtomicU64,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            phase: watch::channel(Phase::Up).0,
            open: Mutex::new(Open::default()),
            changed: Condvar::new(),
            expected: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
        }
    }
}

/// How long a stop or start may take before it is reported as failed.
const LIFECYCLE_TIMEOUT: Duration = Duration::from_secs(10);

impl Lifecycle {
    /// How many listeners a start waits for.
    pub fn set_expected(&self, n: usize) {
        self.expected.store(n as u64, Ordering::SeqCst);
    }

    fn subscribe(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    fn update(&self, f: impl FnOnce(&mut Open)) {
        f(&mut self.open.lock().unwrap());
        self.changed.notify_all();
    }

    fn wait(&self, done: impl Fn(&Open) -> bool) -> bool {
        let guard = self.open.lock().unwrap();
        let (_guard, timeout) = self
            .changed
            .wait_timeout_while(guard, LIFECYCLE_TIMEOUT, |o| !done(o))
            .unwrap();
        !timeout.timed_out()
    }

    /// Closes every listener and connection; returns once they are closed.
    pub fn stop(&self) {
        self.phase.send_if_modified(|p| {
            let up = *p == Phase::Up;
            if up {
                *p = Phase::Down;
            }
            up
        });
        self.wait(|o| o.listeners == 0 && o.connections == 0);
    }

    /// Opens every listener again on its port; returns once they all accept.
    pub fn start(&self) -> std::io::Result<()> {
        self.update(|o| o.bind_failures = 0);
        self.phase.send_if_modified(|p| {
            let down = *p == Phase::Down;
            if down {
                *p = Phase::Up;
            }
            down
        });
        let expected = self.expected.load(Ordering::SeqCst) as usize;
        let ok = self.wait(|o| o.listeners + o.bind_failures >= expected);
        let failures = self.open.lock().unwrap().bind_failures;
        if !ok || failures > 0 {
            return Err(std::io::Error::other(format!(
                "{failures} of {expected} listeners could not bind their port again"
            )));
        }
        Ok(())
    }

    /// [`Lifecycle::stop`] then [`Lifecycle::start`], counted.
    pub fn restart(&self) -> std::io::Result<()> {
        self.stop();
        self.restarts.fetch_add(1, Ordering::SeqCst);
        self.start()
    }

    /// How many restarts there have been.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::SeqCst)
    }

    /// Whether the listeners are up.
    pub fn is_up(&self) -> bool {
        *self.phase.borrow() == Phase::Up
    }

    /// Ends every accept loop and connection for good.
    pub fn shutdown(&self) {
        self.phase.send_replace(Phase::Shutdown);
    }
}

/// Returns once the phase is not `Up`.
async fn until_not_up(rx: &mut watch::Receiver<Phase>) {
    loop {
        if *rx.borrow_and_update() != Phase::Up {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Returns `true` once the phase is `Up`, `false` at shutdown.
async fn until_up(rx: &mut watch::Receiver<Phase>) -> bool {
    loop {
        match *rx.borrow_and_update() {
            Phase::Up => return true,
            Phase::Shutdown => return false,
            Phase::Down => {}
        }
        if rx.changed().await.is_err() {
            return false;
        }
    }
}

/// Binds `addr` again (a port just closed may need a moment before it can be bound).
async fn rebind(addr: std::net::SocketAddr) -> Option<TcpListener> {
    for _ in 0..100 {
        if let Ok(l) = TcpListener::bind(addr).await {
            return Some(l);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Counts a connection open while it lives.
struct ConnectionCount(Arc<Shared>);

impl Drop for ConnectionCount {
    fn drop(&mut self) {
        self.0.faults.lifecycle().update(|o| o.connections -= 1);
    }
}

/// Serves `router` on `first`, and on the same port again after each restart, until shutdown.
pub async fn serve(first: TcpListener, router: Router, shared: Arc<Shared>) {
    let Ok(addr) = first.local_addr() else { return };
    let mut phase = shared.faults.lifecycle().subscribe();
    let mut ready = Some(first);
    loop {
        let listener = match ready.take() {
            Some(l) => l,
            None => {
                if !until_up(&mut phase).await {
                    return;
                }
                match rebind(addr).await {
                    Some(l) => l,
                    None => {
                        tracing::error!(%addr, "cannot bind the port again");
                        shared.faults.lifecycle().update(|o| o.bind_failures += 1);
                        until_not_up(&mut phase).await;
                        continue;
                    }
                }
            }
        };
        shared.faults.lifecycle().update(|o| o.listeners += 1);
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = until_not_up(&mut phase) => break,
            };
            let Ok((stream, _)) = accepted else { continue };
            shared.faults.lifecycle().update(|o| o.connections += 1);
            let count = ConnectionCount(shared.clone());
            tokio::spawn(connection(stream, router.clone(), phase.clone(), count));
        }
        drop(listener);
        shared.faults.lifecycle().update(|o| o.listeners -= 1);
        if *phase.borrow() == Phase::Shutdown {
            return;
        }
    }
}

/// Serves one connection until it ends or the listeners go down.
async fn connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut phase: watch::Receiver<Phase>,
    _count: ConnectionCount,
) {
    let Ok(std_stream) = stream.into_std() else {
        return;
    };
    let Ok(dup) = std_stream.try_clone() else {
        return;
    };
    let Ok(stream) = tokio::net::TcpStream::from_std(std_stream) else {
        return;
    };
    let dup = Arc::new(dup);
    let dup_for_service = dup.clone();
    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let router = router.clone();
        let dup = dup_for_service.clone();
        async move {
            let resp = router
                .oneshot(req.map(Body::new))
                .await
                .unwrap_or_else(|e| match e {});
            if resp.extensions().get::<ResetConnection>().is_some() {
                let _ = socket2::SockRef::from(&*dup).set_linger(Some(Duration::ZERO));
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                ));
            }
            Ok::<_, std::io::Error>(resp)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = until_not_up(&mut phase) => {
            // Going down: the peer sees the connection reset, as when a server process dies.
            let _ = socket2::SockRef::from(&*dup).set_linger(Some(Duration::ZERO));
        }
    }
    // Locals (the connection, its socket) drop before the parameters, so the socket is closed
    // before `_count` says the connection is gone.
}
