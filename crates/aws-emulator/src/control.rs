//! The control API (`{web}/_emulator/…`) with which tests and demos in other processes move the
//! emulated clock, inject faults, approve or deny device codes and revoke sessions, and with which
//! benchmarks read how many portal requests arrived (`/_emulator/stats`).
//!
//! Promises: every call answers JSON; a bad argument is a 400 that says what a good one looks like.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::faults::FaultRule;
use crate::state::Shared;

/// What [`revoke`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoke {
    /// The whole portal session: access and refresh tokens stop working.
    Session,
    /// Only the refresh tokens; access tokens live until they expire.
    RefreshTokens,
}

/// Revokes `what` for every session of `user`; returns how many sessions it touched.
pub fn revoke(s: &Shared, user: &str, what: Revoke) -> usize {
    let mut st = s.state.lock().unwrap();
    let sessions: Vec<String> = st
        .sessions
        .iter()
        .filter(|(_, p)| p.user == user && !p.revoked)
        .map(|(id, _)| id.clone())
        .collect();
    for id in &sessions {
        match what {
            Revoke::Session => st.end_session(id),
            Revoke::RefreshTokens => {
                for r in st.refresh_tokens.values_mut().filter(|r| &r.session == id) {
                    r.revoked = true;
                }
            }
        }
    }
    sessions.len()
}

/// The control routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/_emulator/health",
            get(|| async { Json(json!({"ok": true})) }),
        )
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/clock/advance", post(advance))
        .route("/_emulator/faults", post(add_faults).delete(clear_faults))
        .route("/_emulator/approve", post(approve))
        .route("/_emulator/deny", post(deny))
        .route("/_emulator/revoke", post(revoke_route))
        .route("/_emulator/auto-approve", post(auto_approve))
        .route("/_emulator/rate-limit", post(rate_limit))
        .route("/_emulator/latency", post(latency))
        .with_state(shared)
}

type Q = Query<HashMap<String, String>>;

fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.into()})),
    )
        .into_response()
}

fn ok(v: serde_json::Value) -> Response {
    Json(v).into_response()
}

/// Counters since the emulator started: portal API requests (throttled ones included), how many
/// of them the portal's rate limit refused, and how many times the listeners restarted.
async fn stats(State(s): State<Arc<Shared>>) -> Response {
    ok(json!({
        "portal_requests": s.faults.portal_request_count(),
        "throttled": s.faults.throttled_count(),
        "restarts": s.faults.lifecycle().restarts(),
    }))
}

async fn advance(State(s): State<Arc<Shared>>, Query(q): Q) -> Response {
    let Some(secs) = q.get("seconds").and_then(|v| v.parse::<u64>().ok()) else {
        return bad("give ?seconds=N, a whole number of seconds to move the clock forward");
    };
    s.clock.advance(Duration::from_secs(secs));
    ok(json!({"now": s.clock.epoch_secs(), "offset_seconds": s.clock.offset().as_secs()}))
}

async fn add_faults(State(s): State<Arc<Shared>>, body: String) -> Response {
    let rules: Result<Vec<FaultRule>, String> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::parse)
        .collect();
    match rules {
        Ok(rules) => {
            let n = rules.len();
            rules.into_iter().for_each(|r| s.faults.add(r));
            ok(json!({"added": n}))
        }
        Err(e) => bad(e),
    }
}

async fn clear_faults(State(s): State<Arc<Shared>>) -> Response {
    s.faults.clear();
    ok(json!({"cleared": true}))
}

async fn approve(State(s): State<Arc<Shared>>, Query(q): Q) -> Response {
    let code = q.get("user_code").cloned().unwrap_or_default();
    let user = match q.get("user").filter(|u| !u.is_empty()) {
        Some(u) => u.clone(),
        None => match s.org.users.first() {
            Some(u) => u.user_name.clone(),
            None => return bad("the organisation has no users"),
        },
    };
    if crate::oidc::approve_device(&s, &code, &user) {
        ok(json!({"approved": code, "user": user}))
    } else {
        bad(format!(
            "no pending device authorization with user code `{code}` (or unknown user `{user}`)"
        ))
    }
}

async fn deny(State(s): State<Arc<Shared>>, Query(q): Q) -> Response {
    let code = q.get("user_code").cloned().unwrap_or_default();
    if crate::oidc::deny_device(&s, &code) {
        ok(json!({"denied": code}))
    } else {
        bad(format!(
            "no pending device authorization with user code `{code}`"
        ))
    }
}

async fn revoke_route(State(s): State<Arc<Shared>>, Query(q): Q) -> Response {
    let Some(user) = q.get("user") else {
        return bad("give ?user=NAME&what=session|refresh");
    };
    let what = match q.get("what").map(String::as_str) {
        Some("session") | None => Revoke::Session,
        Some("refresh") => Revoke::RefreshTokens,
        Some(other) => return bad(format!("what=`{other}` is not one of session, refresh")),
    };
    ok(json!({"sessions": revoke(&s, user, what)}))
}

async fn auto_approve(State(s): State<Arc<Shared>>, Query(q): Q) -> Response {
    let user = q.get("user").cloned().unwrap_or_default();
    let value = match user.as_str() {
        "off" => None,
        "" => Some(String::new()),
        u if s.org.user(u).is_some() => Some(u.to_owned()),
        u => return bad(format!("unknown user `{u}`")),
    };
    s.behaviour.lock().unwrap().auto_approve = value.clone();
    ok(json!({"auto_approve": value}))
}

async fn rate_limit(State(s): State<Arc<Shared>>, Query(q): Q) -> Response {
    let Some(rps) = q
        .get("rps")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|r| *r >= 0.0)
    else {
        return bad("give ?rps=N (requests per second; 0 turns the limit off)");
    };
    s.faults.set_rate_limit(Some(rps));
    ok(json!({"rps": rps}))
}

async fn latency(State(s): State<Arc<Shared>>, Query(q): Q) -> Response {
    let Some(ms) = q.get("ms").and_then(|v| v.parse::<u64>().ok()) else {
        return bad("give ?ms=N");
    };
    s.faults.set_latency(Duration::from_millis(ms));
    ok(json!({"latency_ms": ms}))
}
