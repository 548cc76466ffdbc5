//! The listeners and the path every API request takes through latency, the portal's rate limit and
//! injected faults before its handler runs.
//!
//! Promises: every API response carries `x-amzn-RequestId` and a `Date` from the emulated clock (so a
//! client can measure skew against it); a `reset` fault closes the TCP connection with an RST and no
//! response; listeners stop when the shutdown signal fires.

use std::future::Future;
use std::sync::Arc;
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

/// Serves `router` on `listener` until `shutdown` turns true.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let Ok((stream, _)) = accepted else { continue };
        let router = router.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
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
                _ = shutdown.changed() => {}
            }
            drop(dup);
        });
    }
}
