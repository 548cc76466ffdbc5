//! Fault injection, latency and the portal's rate limit.
//!
//! A fault rule is `OPERATION:KIND[:COUNT]`: `OPERATION` is an operation name (`ListAccounts`,
//! `CreateToken`, `GetFederationToken`, `getSigninToken`, …) or `*`; `KIND` is one of `throttle`,
//! `5xx`, `reset`, `slow=MILLIS`, `malformed`, `advance=SECS` (the emulated clock jumps forward
//! before the request is handled: a token expires mid-flow), `restart` (the request's connection is
//! reset and every listener closes and opens again on the same port, state kept, as a service
//! restart) or `down` (the same, but the listeners stay closed until [`crate::Emulator::start_listening`]);
//! `COUNT` is how many requests it hits (default 1, `*` for every one). Promises: rules are consumed in the order they were added; the rate limiter
//! is a token bucket in real time (a rate limit is about wall-clock load, not emulated time).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a matching rule does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The service's throttling error (429, or SlowDown for sso-oidc).
    Throttle,
    /// The service's internal error (500).
    ServerError,
    /// The connection is reset without a response.
    Reset,
    /// The response body arrives in two halves, the second after this many milliseconds.
    Slow(u64),
    /// The response body is cut short, so it is not valid JSON.
    Malformed,
    /// The emulated clock moves this many seconds forward, then the request is handled.
    Advance(u64),
    /// The connection is reset and the emulator restarts its listeners (same ports, state kept).
    Restart,
    /// The connection is reset and the emulator stops listening until told to start again.
    Down,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub operation: String,
    pub kind: FaultKind,
    /// `None`: every matching request.
    pub remaining: Option<u32>,
}

impl std::str::FromStr for FaultRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "fault `{s}` is not of the form OPERATION:KIND[:COUNT], with KIND one of throttle, 5xx, reset, slow=MILLIS, malformed, advance=SECS, restart, down (e.g. `ListAccounts:throttle:5`)"
            )
        };
        let mut parts = s.split(':');
        let operation = parts
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(usage)?
            .to_owned();
        let kind = match parts.next().ok_or_else(usage)? {
            "throttle" => FaultKind::Throttle,
            "5xx" | "500" => FaultKind::ServerError,
            "reset" => FaultKind::Reset,
            "malformed" => FaultKind::Malformed,
            "restart" => FaultKind::Restart,
            "down" => FaultKind::Down,
            k if k.starts_with("advance=") => {
                FaultKind::Advance(k[8..].parse().map_err(|_| usage())?)
            }
            k if k.starts_with("slow=") => FaultKind::Slow(k[5..].parse().map_err(|_| usage())?),
            _ => return Err(usage()),
        };
        let remaining = match parts.next() {
            None => Some(1),
            Some("*") => None,
            Some(n) => Some(n.parse().map_err(|_| usage())?),
        };
        if parts.next().is_some() {
            return Err(usage());
        }
        Ok(FaultRule {
            operation,
            kind,
            remaining,
        })
    }
}

/// A token bucket: `rate` tokens a second, holding at most `rate` (one second of burst).
#[derive(Debug)]
struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

/// The emulator's fault state, shared by every listener.
#[derive(Debug)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
    latency_ms: AtomicU64,
    bucket: Mutex<Option<Bucket>>,
    throttled: AtomicU64,
    portal_requests: AtomicU64,
    lifecycle: crate::server::Lifecycle,
}

impl Faults {
    pub fn new(latency: Duration, portal_rate_limit: Option<f64>) -> Faults {
        let f = Faults {
            rules: Mutex::new(Vec::new()),
            latency_ms: AtomicU64::new(latency.as_millis() as u64),
            bucket: Mutex::new(None),
            throttled: AtomicU64::new(0),
            portal_requests: AtomicU64::new(0),
            lifecycle: crate::server::Lifecycle::default(),
        };
        f.set_rate_limit(portal_rate_limit);
        f
    }

    /// Whether the listeners are open, and the means to close and reopen them.
    pub(crate) fn lifecycle(&self) -> &crate::server::Lifecycle {
        &self.lifecycle
    }

    pub fn add(&self, rule: FaultRule) {
        self.rules.lock().unwrap().push(rule);
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap().clear();
    }

    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::SeqCst))
    }

    /// Sets (or with `None` or 0, removes) the portal's requests-per-second limit.
    pub fn set_rate_limit(&self, rps: Option<f64>) {
        *self.bucket.lock().unwrap() = rps.filter(|r| *r > 0.0).map(|rate| Bucket {
            rate,
            tokens: rate,
            last: Instant::now(),
        });
    }

    /// Takes the first rule that matches `operation`, if any.
    pub fn take(&self, operation: &str) -> Option<FaultKind> {
        let mut rules = self.rules.lock().unwrap();
        let i = rules
            .iter()
            .position(|r| r.operation == "*" || r.operation == operation)?;
        let kind = rules[i].kind;
        if let Some(n) = rules[i].remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(i);
            }
        }
        Some(kind)
    }

    /// Whether one more portal request fits under the rate limit now.
    pub fn admit_portal(&self) -> bool {
        let mut guard = self.bucket.lock().unwrap();
        let Some(b) = guard.as_mut() else { return true };
        let now = Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * b.rate).min(b.rate);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    /// How many portal requests the rate limit has refused so far.
    pub fn throttled_count(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Counts one portal API request (admitted or not); `server::run_op` calls it.
    pub fn count_portal_request(&self) {
        self.portal_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// How many portal API requests have arrived so far, throttled ones included.
    pub fn portal_request_count(&self) -> u64 {
        self.portal_requests.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        let r: FaultRule = "ListAccounts:throttle:5".parse().unwrap();
        assert_eq!(
            r,
            FaultRule {
                operation: "ListAccounts".into(),
                kind: FaultKind::Throttle,
                remaining: Some(5)
            }
        );
        let r: FaultRule = "*:slow=2000:*".parse().unwrap();
        assert_eq!(r.kind, FaultKind::Slow(2000));
        assert_eq!(r.remaining, None);
        assert!("ListAccounts".parse::<FaultRule>().is_err());
        assert!("X:explode".parse::<FaultRule>().is_err());
        let r: FaultRule = "ListAccountRoles:advance=3700".parse().unwrap();
        assert_eq!(r.kind, FaultKind::Advance(3700));
        assert_eq!(
            "*:restart".parse::<FaultRule>().unwrap().kind,
            FaultKind::Restart
        );
        assert_eq!(
            "ListAccounts:down:1".parse::<FaultRule>().unwrap().kind,
            FaultKind::Down
        );
        assert!("X:advance=soon".parse::<FaultRule>().is_err());
    }

    #[test]
    fn rules_are_consumed() {
        let f = Faults::new(Duration::ZERO, None);
        f.add("A:5xx:2".parse().unwrap());
        assert_eq!(f.take("B"), None);
        assert_eq!(f.take("A"), Some(FaultKind::ServerError));
        assert_eq!(f.take("A"), Some(FaultKind::ServerError));
        assert_eq!(f.take("A"), None);
    }

    #[test]
    fn bucket_refuses_past_burst() {
        let f = Faults::new(Duration::ZERO, Some(5.0));
        let admitted = (0..20).filter(|_| f.admit_portal()).count();
        assert!((5..=6).contains(&admitted), "{admitted}");
        assert!(f.throttled_count() >= 14);
    }

    #[test]
    fn counts_portal_requests() {
        let f = Faults::new(Duration::ZERO, None);
        assert_eq!(f.portal_request_count(), 0);
        f.count_portal_request();
        f.count_portal_request();
        assert_eq!(f.portal_request_count(), 2);
    }
}
