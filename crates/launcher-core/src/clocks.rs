//! The clocks: every deadline the agent's day depends on, and what to say before each runs out.
//!
//! The deadlines are the IAM Identity Center portal session (its length from policy, else
//! estimated from the sign-in time with AWS's default, and confirmed when IdC refuses a refresh),
//! the access token, role credentials, Amazon Connect's fixed 12 hours from each launch, and the
//! OIDC client registration. [`deadlines`] builds them from plain facts; the [`Monitor`] is a
//! state machine fed by time that turns them into [`ClockEvent`]s; [`describe`] and
//! [`describe_event`] put them in words an agent understands.
//!
//! Promises:
//! - nothing here reads the wall clock or knows how events are shown: time comes in as epoch
//!   seconds, events go out as data;
//! - each event is emitted once: one warning per lead time crossed (when several are crossed at
//!   once, after the computer slept, only the smallest), one expiry, one refresh failure per run
//!   of failures; a deadline that moves later (a re-launch, a new sign-in) is warned about afresh;
//! - a deadline that renews itself (the access token while it can be refreshed) is never warned
//!   about; only a failure to renew it is;
//! - [`Monitor::next_wake`] says when the next event can be due, so a caller sleeps until then
//!   instead of polling; after a tick it is always later than the tick's time.

use std::collections::HashMap;
use std::time::Duration;

use crate::launches::Launch;
use crate::session::{Facts, DEFAULT_PORTAL_SESSION};

/// Connect's session: fixed at 12 hours from the launch; it cannot be extended, only restarted.
pub const CONNECT_SESSION: Duration = Duration::from_secs(12 * 3600);
/// A deadline that had already ended this long before the monitor first saw it (when the app
/// starts the next morning) is old news: it is counted as expired without an announcement.
/// The same holds for a refresh failure first seen this long after it happened.
pub const OLD_NEWS: Duration = Duration::from_secs(10 * 60);

const SECS_PER_MINUTE: u64 = 60;
const MINUTES_PER_HOUR: u64 = 60;
const HOURS_PER_DAY: u64 = 24;
/// Up to this many hours, time left is told in hours and minutes; beyond it, in days.
const HOURS_BEFORE_DAYS: u64 = 48;

/// What runs out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// The IAM Identity Center portal session: the limit of silent renewals.
    PortalSession,
    /// The current access token.
    AccessToken,
    /// Role credentials from GetRoleCredentials.
    RoleCredentials { account: String, role: String },
    /// Connect's session in the browser for one instance, from its latest launch.
    ConnectSession {
        instance_id: String,
        alias: Option<String>,
    },
    /// The launcher's OIDC client registration (its refreshes need it).
    ClientRegistration,
}

/// One deadline: what runs out and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// Epoch seconds.
    pub ends_at: u64,
    /// The end is a guess (the portal session's length when IT has not set it).
    pub estimated: bool,
    /// It is renewed without the agent doing anything, so it is not warned about.
    pub renews_itself: bool,
    /// When renewing it last failed, if the last attempt failed (the access token's refresh).
    pub renewal_failed_at: Option<u64>,
}

/// Every deadline, from the session's facts, the client registration's expiry, the role
/// credentials held (`(account, role, expires_at)`), the launches and IT's portal session length.
///
/// Rules: the portal session ends as [`Facts::portal_session_end`] says; the access token renews
/// itself while it can be refreshed; role credentials renew themselves when the sign-in outlasts
/// them (new ones can be fetched), and the latest expiry of each role counts; the registration
/// matters only when a refreshable sign-in would outlast it; each instance's Connect session ends
/// [`CONNECT_SESSION`] after its latest launch.
pub fn deadlines(
    facts: Option<&Facts>,
    registration_expires_at: Option<u64>,
    role_credentials: &[(String, String, u64)],
    launches: &[Launch],
    portal_session_hours: Option<u32>,
) -> Vec<Deadline> {
    let mut out = Vec::new();
    let renewable = facts.is_some_and(|f| f.refreshable && f.portal_session_ended_at.is_none());
    let portal_end = facts.map(|f| f.portal_session_end(portal_session_hours));
    if let (Some(f), Some((portal_ends_at, estimated))) = (facts, portal_end) {
        out.push(Deadline {
            kind: DeadlineKind::PortalSession,
            ends_at: portal_ends_at,
            estimated,
            renews_itself: false,
            renewal_failed_at: None,
        });
        out.push(Deadline {
            kind: DeadlineKind::AccessToken,
            ends_at: f.access_expires_at,
            estimated: false,
            renews_itself: renewable,
            renewal_failed_at: f.refresh_failed_at,
        });
    }
    if let Some(ends_at) = registration_expires_at {
        let binding = renewable && portal_end.is_some_and(|(portal, _)| ends_at < portal);
        out.push(Deadline {
            kind: DeadlineKind::ClientRegistration,
            ends_at,
            estimated: false,
            renews_itself: !binding,
            renewal_failed_at: None,
        });
    }
    let signed_in_until = facts.map(|f| {
        if renewable {
            let (portal, _) = f.portal_session_end(portal_session_hours);
            let renewals_until = registration_expires_at.map_or(portal, |r| r.min(portal));
            renewals_until.max(f.access_expires_at)
        } else {
            f.access_expires_at
        }
    });
    let mut roles: Vec<(&str, &str, u64)> = Vec::new();
    for (account, role, expires_at) in role_credentials {
        match roles.iter_mut().find(|(a, r, _)| a == account && r == role) {
            Some(seen) => seen.2 = seen.2.max(*expires_at),
            None => roles.push((account, role, *expires_at)),
        }
    }
    for (account, role, ends_at) in roles {
        out.push(Deadline {
            kind: DeadlineKind::RoleCredentials {
                account: account.to_owned(),
                role: role.to_owned(),
            },
            ends_at,
            estimated: false,
            renews_itself: signed_in_until.is_some_and(|until| until > ends_at),
            renewal_failed_at: None,
        });
    }
    let mut latest: Vec<&Launch> = Vec::new();
    for launch in launches {
        match latest
            .iter_mut()
            .find(|l| l.instance_id == launch.instance_id)
        {
            Some(seen) if seen.launched_at <= launch.launched_at => *seen = launch,
            Some(_) => {}
            None => latest.push(launch),
        }
    }
    latest.sort_by(|a, b| (a.launched_at, &a.instance_id).cmp(&(b.launched_at, &b.instance_id)));
    for launch in latest {
        out.push(Deadline {
            kind: DeadlineKind::ConnectSession {
                instance_id: launch.instance_id.clone(),
                alias: launch.alias.clone(),
            },
            ends_at: launch.launched_at + CONNECT_SESSION.as_secs(),
            estimated: false,
            renews_itself: false,
            renewal_failed_at: None,
        });
    }
    out
}

/// The soonest deadline still running that the agent has to act on (for the tray's "time left").
pub fn nearest(now: u64, deadlines: &[Deadline]) -> Option<&Deadline> {
    deadlines
        .iter()
        .filter(|d| !d.renews_itself && d.ends_at > now)
        .min_by_key(|d| d.ends_at)
}

/// Something the agent should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockEvent {
    /// `lead_minutes` (one of the configured lead times) or less is left: `left_secs` exactly.
    ExpiringSoon {
        deadline: Deadline,
        lead_minutes: u32,
        left_secs: u64,
    },
    /// The deadline has passed.
    Expired { deadline: Deadline },
    /// Renewing the deadline (the access token's refresh) failed at `failed_at`.
    RefreshFailed { deadline: Deadline, failed_at: u64 },
}

/// What has been said about one deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Said {
    /// The end the warnings below were about.
    ends_at: u64,
    /// The smallest lead time announced, if any.
    smallest_lead: Option<u32>,
    expired: bool,
    /// The last failure announced, and where the deadline stood then.
    failure: Option<Failure>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Failure {
    at: u64,
    ends_at: u64,
}

/// The state machine that watches the deadlines: feed it the time and the current deadlines;
/// it answers with what to announce now, and when to ask again.
///
/// A deadline is recognised across ticks by its kind; one missing from a tick is forgotten.
/// Refresh failures arrive with the facts, not with time: tick again whenever the facts change.
#[derive(Debug, Clone)]
pub struct Monitor {
    /// Lead times in minutes, largest first, without zero or repeats.
    leads: Vec<u32>,
    said: HashMap<DeadlineKind, Said>,
}

impl Monitor {
    /// A monitor warning at these lead times (minutes; zeros and repeats are dropped).
    pub fn new(lead_minutes: Vec<u32>) -> Monitor {
        let mut leads = lead_minutes;
        leads.retain(|&l| l > 0);
        leads.sort_unstable_by(|a, b| b.cmp(a));
        leads.dedup();
        Monitor {
            leads,
            said: HashMap::new(),
        }
    }

    /// Warns at these lead times from now on (the settings changed). What was already said is
    /// kept, so a warning already given is not given again.
    pub fn set_lead_minutes(&mut self, lead_minutes: Vec<u32>) {
        self.leads = Monitor::new(lead_minutes).leads;
    }

    /// The lead times it warns at, largest first.
    pub fn lead_minutes(&self) -> &[u32] {
        &self.leads
    }

    /// The events due at `now`, each emitted once.
    pub fn tick(&mut self, now: u64, deadlines: &[Deadline]) -> Vec<ClockEvent> {
        let mut events = Vec::new();
        let mut said = HashMap::with_capacity(deadlines.len());
        for deadline in deadlines {
            let before = carried(self.said.get(&deadline.kind).copied(), deadline, now);
            let (after, due) = step(&self.leads, before, deadline, now);
            events.extend(due);
            said.insert(deadline.kind.clone(), after);
        }
        self.said = said;
        events
    }

    /// When the next event based on time can be due: `now` if one is due already, `None` when
    /// nothing is left to announce.
    pub fn next_wake(&self, now: u64, deadlines: &[Deadline]) -> Option<u64> {
        deadlines
            .iter()
            .filter_map(|deadline| {
                let before = carried(self.said.get(&deadline.kind).copied(), deadline, now);
                let (_, due) = step(&self.leads, before, deadline, now);
                if !due.is_empty() {
                    return Some(now);
                }
                next_boundary(&self.leads, &before, deadline, now)
            })
            .min()
    }
}

/// What was said about a deadline, carried over to its current form at `now`.
fn carried(before: Option<Said>, deadline: &Deadline, now: u64) -> Said {
    let fresh = Said {
        ends_at: deadline.ends_at,
        smallest_lead: None,
        expired: false,
        failure: None,
    };
    let Some(before) = before else {
        let old_news = |at: u64| now >= at.saturating_add(OLD_NEWS.as_secs());
        return Said {
            expired: !deadline.renews_itself && old_news(deadline.ends_at),
            failure: deadline
                .renewal_failed_at
                .filter(|&at| old_news(at))
                .map(|at| Failure {
                    at,
                    ends_at: deadline.ends_at,
                }),
            ..fresh
        };
    };
    let rearmed =
        deadline.renews_itself || (deadline.ends_at > before.ends_at && deadline.ends_at > now);
    if rearmed {
        Said {
            failure: before.failure,
            ..fresh
        }
    } else {
        Said {
            ends_at: deadline.ends_at,
            ..before
        }
    }
}

/// The smallest lead time whose warning window `now` is in, if any.
fn smallest_crossed(leads: &[u32], left_secs: u64) -> Option<u32> {
    leads
        .iter()
        .rev()
        .copied()
        .find(|&lead| left_secs <= u64::from(lead) * SECS_PER_MINUTE)
}

/// The events due at `now`, and what will have been said after them.
fn step(leads: &[u32], mut said: Said, deadline: &Deadline, now: u64) -> (Said, Vec<ClockEvent>) {
    let mut events = Vec::new();
    if let Some(failed_at) = deadline.renewal_failed_at {
        // One announcement per run of failures: a run ends when a renewal succeeds, which moves
        // the deadline.
        let new_run = said
            .failure
            .is_none_or(|last| failed_at > last.at && deadline.ends_at != last.ends_at);
        if new_run {
            said.failure = Some(Failure {
                at: failed_at,
                ends_at: deadline.ends_at,
            });
            events.push(ClockEvent::RefreshFailed {
                deadline: deadline.clone(),
                failed_at,
            });
        }
    }
    if deadline.renews_itself {
        return (said, events);
    }
    if now >= deadline.ends_at {
        if !said.expired {
            said.expired = true;
            events.push(ClockEvent::Expired {
                deadline: deadline.clone(),
            });
        }
        return (said, events);
    }
    let left_secs = deadline.ends_at - now;
    if let Some(lead) = smallest_crossed(leads, left_secs) {
        if said.smallest_lead.is_none_or(|smallest| lead < smallest) {
            said.smallest_lead = Some(lead);
            events.push(ClockEvent::ExpiringSoon {
                deadline: deadline.clone(),
                lead_minutes: lead,
                left_secs,
            });
        }
    }
    (said, events)
}

/// The first moment after `now` at which a warning or the expiry becomes due.
fn next_boundary(leads: &[u32], said: &Said, deadline: &Deadline, now: u64) -> Option<u64> {
    if deadline.renews_itself || said.expired {
        return None;
    }
    let warnings = leads
        .iter()
        .filter(|&&lead| said.smallest_lead.is_none_or(|smallest| lead < smallest))
        .map(|&lead| {
            deadline
                .ends_at
                .saturating_sub(u64::from(lead) * SECS_PER_MINUTE)
        });
    warnings
        .chain([deadline.ends_at])
        .filter(|&at| at > now)
        .min()
}

/// A duration in words: "less than a minute", "15 minutes", "1 hour 5 minutes", "3 days".
fn in_words(secs: u64) -> String {
    let minutes = (secs + SECS_PER_MINUTE / 2) / SECS_PER_MINUTE;
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if minutes == 0 {
        return "less than a minute".to_owned();
    }
    if minutes < MINUTES_PER_HOUR {
        return plural(minutes, "minute");
    }
    let hours = minutes / MINUTES_PER_HOUR;
    if hours < HOURS_BEFORE_DAYS {
        let rest = minutes % MINUTES_PER_HOUR;
        return match rest {
            0 => plural(hours, "hour"),
            _ => format!("{} {}", plural(hours, "hour"), plural(rest, "minute")),
        };
    }
    plural(hours / HOURS_PER_DAY, "day")
}

fn hours(d: Duration) -> u64 {
    d.as_secs() / (SECS_PER_MINUTE * MINUTES_PER_HOUR)
}

/// Where a deadline stands at `now`, in plain English, with what to do about it.
pub fn describe(deadline: &Deadline, now: u64) -> String {
    let left = deadline.ends_at.checked_sub(now).filter(|&s| s > 0);
    match (&deadline.kind, left) {
        (DeadlineKind::ConnectSession { instance_id, alias }, left) => {
            let name = alias.as_deref().unwrap_or(instance_id);
            let fixed = hours(CONNECT_SESSION);
            match left {
                Some(s) => format!(
                    "Your Amazon Connect session on {name} ends in {}. Re-launch between \
                     contacts to start a fresh {fixed} hours.",
                    in_words(s)
                ),
                None => format!(
                    "Your Amazon Connect session on {name} has ended (Connect signs everyone out \
                     {fixed} hours after they launch it). Launch it again to carry on."
                ),
            }
        }
        (DeadlineKind::PortalSession, Some(s)) if deadline.estimated => format!(
            "Your AWS sign-in may end in about {} (AWS's usual {} hours from when you signed in). \
             Sign in again between contacts to be safe.",
            in_words(s),
            hours(DEFAULT_PORTAL_SESSION)
        ),
        (DeadlineKind::PortalSession, Some(s)) => format!(
            "Your AWS sign-in ends in {}. Sign in again between contacts to keep launching \
             Amazon Connect.",
            in_words(s)
        ),
        (DeadlineKind::PortalSession, None) if deadline.estimated => format!(
            "Your AWS sign-in has probably ended (AWS's usual {} hours from when you signed in). \
             If the launcher asks, sign in again; Amazon Connect windows already open are not \
             affected.",
            hours(DEFAULT_PORTAL_SESSION)
        ),
        (DeadlineKind::PortalSession, None) => "Your AWS sign-in has ended and can no longer be \
             renewed. Sign in again to keep launching Amazon Connect; windows already open are \
             not affected."
            .to_owned(),
        (DeadlineKind::AccessToken, _) if deadline.renews_itself => {
            "Your access to AWS renews itself while you are signed in.".to_owned()
        }
        (DeadlineKind::AccessToken, Some(s)) => format!(
            "You can launch Amazon Connect for {} more without signing in again. Sign in again \
             between contacts.",
            in_words(s)
        ),
        (DeadlineKind::AccessToken, None) => "You need to sign in again to launch Amazon \
             Connect. Windows already open are not affected."
            .to_owned(),
        (DeadlineKind::RoleCredentials { account, role }, _) if deadline.renews_itself => {
            format!(
                "The AWS credentials for role {role} in account {account} renew themselves \
                 while you are signed in."
            )
        }
        (DeadlineKind::RoleCredentials { account, role }, Some(s)) => format!(
            "The AWS credentials for role {role} in account {account} run out in {}. To launch \
             through this role after that, sign in again.",
            in_words(s)
        ),
        (DeadlineKind::RoleCredentials { account, role }, None) => format!(
            "The AWS credentials for role {role} in account {account} have run out. Sign in \
             again to launch through this role."
        ),
        (DeadlineKind::ClientRegistration, _) if deadline.renews_itself => "The launcher's \
             registration with AWS sign-in is renewed the next time you sign in."
            .to_owned(),
        (DeadlineKind::ClientRegistration, Some(s)) => format!(
            "The launcher's registration with AWS sign-in ends in {}, and your sign-in with it. \
             Sign in again between contacts to renew both.",
            in_words(s)
        ),
        (DeadlineKind::ClientRegistration, None) => "The launcher's registration with AWS \
             sign-in has ended. Sign in again to renew it."
            .to_owned(),
    }
}

/// An event in plain English, with what to do about it.
pub fn describe_event(event: &ClockEvent, now: u64) -> String {
    match event {
        ClockEvent::ExpiringSoon { deadline, .. } | ClockEvent::Expired { deadline } => {
            describe(deadline, now)
        }
        ClockEvent::RefreshFailed { deadline, .. } => match deadline.ends_at.checked_sub(now) {
            Some(s) if s > 0 => format!(
                "Renewing your AWS sign-in failed; the launcher will try again. Your current \
                 access lasts {} more.",
                in_words(s)
            ),
            _ => "Renewing your AWS sign-in failed; the launcher will try again. Until it \
                  succeeds you cannot launch Amazon Connect; windows already open are not \
                  affected."
                .to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Origin;

    const START: u64 = 1_795_000_000;
    const MINUTE: u64 = 60;
    const HOUR: u64 = 3600;
    const LEADS: [u32; 3] = [60, 15, 5];

    fn monitor() -> Monitor {
        Monitor::new(LEADS.to_vec())
    }

    fn facts(signed_in_at: u64) -> Facts {
        Facts {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-2".into(),
            user: None,
            origin: Origin::AuthorizationCode,
            signed_in_at,
            access_expires_at: signed_in_at + HOUR,
            refreshable: true,
            refresh_failed_at: None,
            portal_session_ended_at: None,
            exported_cli_cache: None,
        }
    }

    fn launch(instance_id: &str, alias: Option<&str>, launched_at: u64) -> Launch {
        Launch {
            instance_id: instance_id.into(),
            alias: alias.map(str::to_owned),
            region: "eu-west-2".into(),
            destination: "ccp".into(),
            launched_at,
        }
    }

    fn connect(instance_id: &str, alias: Option<&str>, launched_at: u64) -> Deadline {
        deadlines(
            None,
            None,
            &[],
            &[launch(instance_id, alias, launched_at)],
            None,
        )
        .pop()
        .expect("one deadline")
    }

    /// (kind of event, lead minutes) in the order emitted.
    fn summary(events: &[ClockEvent]) -> Vec<(&'static str, u32)> {
        events
            .iter()
            .map(|e| match e {
                ClockEvent::ExpiringSoon { lead_minutes, .. } => ("soon", *lead_minutes),
                ClockEvent::Expired { .. } => ("expired", 0),
                ClockEvent::RefreshFailed { .. } => ("refresh-failed", 0),
            })
            .collect()
    }

    #[test]
    fn clocks_warn_once_per_lead_time_across_a_shift() {
        let mut m = monitor();
        let session = [connect("i-1", Some("acme-prod"), START)];
        let mut heard = Vec::new();
        let mut now = START;
        while now <= START + CONNECT_SESSION.as_secs() + HOUR {
            for event in m.tick(now, &session) {
                heard.push((now, event));
            }
            now += MINUTE;
        }
        let end = START + CONNECT_SESSION.as_secs();
        let expected: Vec<(u64, ClockEvent)> = vec![
            (
                end - 60 * MINUTE,
                ClockEvent::ExpiringSoon {
                    deadline: session[0].clone(),
                    lead_minutes: 60,
                    left_secs: 60 * MINUTE,
                },
            ),
            (
                end - 15 * MINUTE,
                ClockEvent::ExpiringSoon {
                    deadline: session[0].clone(),
                    lead_minutes: 15,
                    left_secs: 15 * MINUTE,
                },
            ),
            (
                end - 5 * MINUTE,
                ClockEvent::ExpiringSoon {
                    deadline: session[0].clone(),
                    lead_minutes: 5,
                    left_secs: 5 * MINUTE,
                },
            ),
            (
                end,
                ClockEvent::Expired {
                    deadline: session[0].clone(),
                },
            ),
        ];
        assert_eq!(heard, expected);
    }

    #[test]
    fn clocks_sleep_through_announces_only_the_nearest_lead() {
        let mut m = monitor();
        let session = [connect("i-1", None, START)];
        let end = START + CONNECT_SESSION.as_secs();
        assert_eq!(m.tick(end - 2 * HOUR, &session), []);
        // The laptop sleeps through the 60- and 15-minute marks.
        let events = m.tick(end - 10 * MINUTE, &session);
        assert_eq!(summary(&events), [("soon", 15)]);
        assert_eq!(m.tick(end - 9 * MINUTE, &session), []);
        // And then straight through the 5-minute mark and the end.
        let events = m.tick(end + 3 * MINUTE, &session);
        assert_eq!(summary(&events), [("expired", 0)]);
        assert_eq!(m.tick(end + 4 * MINUTE, &session), [], "expired once");
        assert_eq!(m.next_wake(end + 4 * MINUTE, &session), None);
    }

    #[test]
    fn clocks_relaunch_rearms_the_warnings() {
        let mut m = monitor();
        let first = launch("i-1", Some("acme-prod"), START);
        let end = START + CONNECT_SESSION.as_secs();
        let before = deadlines(None, None, &[], std::slice::from_ref(&first), None);
        assert_eq!(summary(&m.tick(end - 14 * MINUTE, &before)), [("soon", 15)]);

        let relaunched_at = end - 10 * MINUTE;
        let again = launch("i-1", Some("acme-prod"), relaunched_at);
        let after = deadlines(None, None, &[], &[first, again], None);
        assert_eq!(after.len(), 1, "one Connect session per instance");
        assert_eq!(after[0].ends_at, relaunched_at + CONNECT_SESSION.as_secs());
        assert_eq!(m.tick(relaunched_at, &after), []);
        let new_end = after[0].ends_at;
        assert_eq!(m.next_wake(relaunched_at, &after), Some(new_end - HOUR));
        assert_eq!(summary(&m.tick(new_end - HOUR, &after)), [("soon", 60)]);
    }

    #[test]
    fn clocks_expired_is_announced_once_and_old_news_not_at_all() {
        let mut m = monitor();
        let session = [connect("i-1", None, START)];
        let end = START + CONNECT_SESSION.as_secs();
        assert_eq!(summary(&m.tick(end + 1, &session)), [("expired", 0)]);
        assert_eq!(m.tick(end + 2, &session), []);
        assert_eq!(m.tick(end + HOUR, &session), []);

        let mut next_morning = monitor();
        let stale = end + OLD_NEWS.as_secs();
        assert_eq!(next_morning.tick(stale, &session), []);
        assert_eq!(next_morning.next_wake(stale, &session), None);
        assert_eq!(
            summary(&monitor().tick(stale - 1, &session)),
            [("expired", 0)],
            "a session that ended moments before the app started is news"
        );
    }

    #[test]
    fn clocks_first_sight_inside_a_warning_window_warns_at_once() {
        let mut m = monitor();
        let session = [connect("i-1", None, START)];
        let end = START + CONNECT_SESSION.as_secs();
        assert_eq!(
            m.next_wake(end - 30 * MINUTE, &session),
            Some(end - 30 * MINUTE)
        );
        assert_eq!(
            summary(&m.tick(end - 30 * MINUTE, &session)),
            [("soon", 60)]
        );
    }

    #[test]
    fn clocks_portal_session_estimated_or_from_policy_or_confirmed() {
        let f = facts(START);
        let estimated = deadlines(Some(&f), None, &[], &[], None);
        assert_eq!(
            estimated[0],
            Deadline {
                kind: DeadlineKind::PortalSession,
                ends_at: START + DEFAULT_PORTAL_SESSION.as_secs(),
                estimated: true,
                renews_itself: false,
                renewal_failed_at: None,
            }
        );
        assert_eq!(
            estimated[1],
            Deadline {
                kind: DeadlineKind::AccessToken,
                ends_at: START + HOUR,
                estimated: false,
                renews_itself: true,
                renewal_failed_at: None,
            }
        );
        let text = describe(&estimated[0], estimated[0].ends_at - 15 * MINUTE);
        assert!(text.contains("may end in about 15 minutes"), "{text}");

        let from_policy = deadlines(Some(&f), None, &[], &[], Some(10));
        assert_eq!(from_policy[0].ends_at, START + 10 * HOUR);
        assert!(!from_policy[0].estimated);

        let confirmed_at = START + 7 * HOUR;
        let refused = Facts {
            portal_session_ended_at: Some(confirmed_at),
            refreshable: false,
            access_expires_at: confirmed_at + 20 * MINUTE,
            ..f
        };
        let confirmed = deadlines(Some(&refused), None, &[], &[], None);
        assert_eq!(confirmed[0].ends_at, confirmed_at);
        assert!(!confirmed[0].estimated);
        assert!(!confirmed[1].renews_itself, "a refused token cannot renew");
    }

    #[test]
    fn clocks_estimate_confirmed_later_is_not_announced_twice() {
        let mut m = monitor();
        let f = facts(START);
        let estimated_end = START + DEFAULT_PORTAL_SESSION.as_secs();
        let before = deadlines(Some(&f), None, &[], &[], None);
        assert_eq!(summary(&m.tick(estimated_end, &before)), [("expired", 0)]);
        let confirmed_at = estimated_end + 20 * MINUTE;
        let refused = Facts {
            portal_session_ended_at: Some(confirmed_at),
            refreshable: false,
            access_expires_at: confirmed_at + 30 * MINUTE,
            ..f
        };
        let after = deadlines(Some(&refused), None, &[], &[], None);
        let events = m.tick(confirmed_at, &after);
        assert_eq!(
            events,
            [ClockEvent::ExpiringSoon {
                deadline: after[1].clone(),
                lead_minutes: 60,
                left_secs: 30 * MINUTE,
            }],
            "the sign-in's end is not announced again; the access token left is"
        );
    }

    #[test]
    fn clocks_self_renewing_token_is_silent_until_it_cannot_renew() {
        let mut m = monitor();
        let f = facts(START);
        let renewing = deadlines(Some(&f), None, &[], &[], Some(12));
        let token_end = START + HOUR;
        for now in [
            token_end - 30 * MINUTE,
            token_end - MINUTE,
            token_end + HOUR,
        ] {
            assert_eq!(m.tick(now, &renewing[1..]), [], "at {now}");
        }
        assert_eq!(m.next_wake(token_end + HOUR, &renewing[1..]), None);

        let legacy = Facts {
            refreshable: false,
            ..f
        };
        let fixed = deadlines(Some(&legacy), None, &[], &[], Some(12));
        assert_eq!(
            summary(&m.tick(token_end - 10 * MINUTE, &fixed[1..])),
            [("soon", 15)]
        );
    }

    #[test]
    fn clocks_refresh_failure_is_announced_once_per_run() {
        let mut m = monitor();
        let f = facts(START);
        let at = |failed: Option<u64>, expires: u64| {
            deadlines(
                Some(&Facts {
                    refresh_failed_at: failed,
                    access_expires_at: expires,
                    ..f.clone()
                }),
                None,
                &[],
                &[],
                Some(12),
            )
        };
        let token_end = START + HOUR;
        let t1 = token_end - 9 * MINUTE;
        let events = m.tick(t1, &at(Some(t1), token_end));
        assert_eq!(
            events,
            [ClockEvent::RefreshFailed {
                deadline: at(Some(t1), token_end)[1].clone(),
                failed_at: t1,
            }]
        );
        assert_eq!(m.tick(t1 + 1, &at(Some(t1), token_end)), [], "once");
        let t2 = t1 + MINUTE;
        assert_eq!(
            m.tick(t2, &at(Some(t2), token_end)),
            [],
            "a retry failing again is the same outage"
        );
        // A refresh succeeds, then a later one fails: a new outage.
        let renewed_end = t2 + 1 + HOUR;
        assert_eq!(m.tick(t2 + 1, &at(None, renewed_end)), []);
        let t3 = renewed_end - 9 * MINUTE;
        assert_eq!(
            summary(&m.tick(t3, &at(Some(t3), renewed_end))),
            [("refresh-failed", 0)]
        );
        let failure = ClockEvent::RefreshFailed {
            deadline: at(Some(t3), renewed_end)[1].clone(),
            failed_at: t3,
        };
        let text = describe_event(&failure, t3);
        assert!(text.contains("access lasts 9 minutes more"), "{text}");

        let mut next_morning = monitor();
        let old = at(Some(t1), token_end);
        assert_eq!(
            next_morning.tick(t1 + OLD_NEWS.as_secs(), &old),
            [],
            "an old failure found at start-up is not news"
        );
    }

    #[test]
    fn clocks_next_wake_is_the_next_lead_boundary() {
        let mut m = monitor();
        let session = [connect("i-1", None, START)];
        let end = START + CONNECT_SESSION.as_secs();
        assert_eq!(m.tick(START, &session), []);
        assert_eq!(m.next_wake(START, &session), Some(end - 60 * MINUTE));
        assert_eq!(m.tick(end - 60 * MINUTE, &session).len(), 1);
        assert_eq!(
            m.next_wake(end - 60 * MINUTE, &session),
            Some(end - 15 * MINUTE)
        );
        assert_eq!(m.tick(end - 15 * MINUTE, &session).len(), 1);
        assert_eq!(
            m.next_wake(end - 15 * MINUTE, &session),
            Some(end - 5 * MINUTE)
        );
        assert_eq!(m.tick(end - 5 * MINUTE, &session).len(), 1);
        assert_eq!(m.next_wake(end - 5 * MINUTE, &session), Some(end));
        assert_eq!(m.tick(end, &session).len(), 1);
        assert_eq!(m.next_wake(end, &session), None);

        let two = [
            connect("i-1", None, START),
            connect("i-2", None, START + 20 * MINUTE),
        ];
        let mut m = monitor();
        assert_eq!(m.tick(end - 50 * MINUTE, &two).len(), 1);
        assert_eq!(
            m.next_wake(end - 50 * MINUTE, &two),
            Some(end + 20 * MINUTE - 60 * MINUTE),
            "the second instance's 60-minute mark comes before the first's 15"
        );
    }

    #[test]
    fn clocks_nearest_is_the_soonest_that_does_not_renew_itself() {
        let f = facts(START);
        let all = deadlines(
            Some(&f),
            Some(START + 90 * 24 * HOUR),
            &[("111122223333".into(), "ConnectAgent".into(), START + HOUR)],
            &[launch("i-1", Some("acme-prod"), START - 5 * HOUR)],
            Some(12),
        );
        // Access token (1 h, renews) and role credentials (1 h, renew) come first but do not
        // count; the Connect session launched earlier (7 h left) beats the portal (12 h).
        let nearest = nearest(START, &all).expect("a deadline");
        assert_eq!(nearest.ends_at, START + 7 * HOUR);
        assert_eq!(
            describe(nearest, START + 7 * HOUR - 15 * MINUTE),
            "Your Amazon Connect session on acme-prod ends in 15 minutes. Re-launch between \
             contacts to start a fresh 12 hours."
        );
        assert_eq!(
            super::nearest(START + 7 * HOUR, &all).map(|d| &d.kind),
            Some(&DeadlineKind::PortalSession),
            "an ended deadline is not time left"
        );
        assert_eq!(super::nearest(START, &[]), None);
    }

    #[test]
    fn clocks_role_credentials_and_registration_renew_only_when_the_sign_in_outlasts_them() {
        let f = facts(START);
        let roles = [
            (
                "111122223333".to_owned(),
                "ConnectAgent".to_owned(),
                START + HOUR,
            ),
            (
                "111122223333".to_owned(),
                "ConnectAgent".to_owned(),
                START + 2 * HOUR,
            ),
            (
                "444455556666".to_owned(),
                "ConnectAdmin".to_owned(),
                START + 13 * HOUR,
            ),
        ];
        let all = deadlines(Some(&f), Some(START + 3 * HOUR), &roles, &[], Some(12));
        let by_kind = |kind: &DeadlineKind| all.iter().find(|d| &d.kind == kind).cloned();
        let agent = by_kind(&DeadlineKind::RoleCredentials {
            account: "111122223333".into(),
            role: "ConnectAgent".into(),
        })
        .expect("agent role");
        assert_eq!(agent.ends_at, START + 2 * HOUR, "the latest expiry counts");
        assert!(agent.renews_itself);
        let admin = by_kind(&DeadlineKind::RoleCredentials {
            account: "444455556666".into(),
            role: "ConnectAdmin".into(),
        })
        .expect("admin role");
        assert!(
            !admin.renews_itself,
            "the registration ends at 3 h, so no new credentials after that"
        );
        let registration = by_kind(&DeadlineKind::ClientRegistration).expect("registration");
        assert!(
            !registration.renews_itself,
            "it ends before the portal session"
        );

        let signed_out = deadlines(None, Some(START + 3 * HOUR), &roles, &[], Some(12));
        assert!(signed_out.iter().all(|d| match d.kind {
            DeadlineKind::ClientRegistration => d.renews_itself,
            _ => !d.renews_itself,
        }));
    }

    #[test]
    fn clocks_monitor_lead_times_are_cleaned_up() {
        let mut m = Monitor::new(vec![5, 0, 60, 5, 15]);
        let session = [connect("i-1", None, START)];
        let end = START + CONNECT_SESSION.as_secs();
        assert_eq!(m.next_wake(START, &session), Some(end - HOUR));
        assert_eq!(summary(&m.tick(end - 4 * MINUTE, &session)), [("soon", 5)]);
        let mut silent = Monitor::new(Vec::new());
        assert_eq!(silent.tick(end - MINUTE, &session), []);
        assert_eq!(silent.next_wake(end - MINUTE, &session), Some(end));
    }

    #[test]
    fn clocks_new_lead_times_apply_from_the_next_tick_without_repeating_a_warning() {
        let mut m = monitor();
        let session = [connect("i-1", None, START)];
        let end = START + CONNECT_SESSION.as_secs();
        assert_eq!(
            summary(&m.tick(end - 50 * MINUTE, &session)),
            [("soon", 60)]
        );
        m.set_lead_minutes(vec![30, 0, 120]);
        assert_eq!(m.lead_minutes(), [120, 30]);
        assert_eq!(
            m.next_wake(end - 50 * MINUTE, &session),
            Some(end - 30 * MINUTE)
        );
        assert_eq!(summary(&m.tick(end - 40 * MINUTE, &session)), []);
        assert_eq!(
            summary(&m.tick(end - 30 * MINUTE, &session)),
            [("soon", 30)]
        );
    }

    #[test]
    fn clocks_describe_every_kind() {
        let at = START + HOUR;
        let d = |kind: DeadlineKind, estimated: bool, renews_itself: bool| Deadline {
            kind,
            ends_at: at,
            estimated,
            renews_itself,
            renewal_failed_at: None,
        };
        let role = DeadlineKind::RoleCredentials {
            account: "111122223333".into(),
            role: "ConnectAgent".into(),
        };
        let instance = DeadlineKind::ConnectSession {
            instance_id: "0123-abcd".into(),
            alias: None,
        };
        let cases = [
            (d(DeadlineKind::PortalSession, false, false), 5 * MINUTE, "Your AWS sign-in ends in 5 minutes. Sign in again between contacts to keep launching Amazon Connect."),
            (d(DeadlineKind::PortalSession, true, false), 0, "Your AWS sign-in has probably ended (AWS's usual 8 hours from when you signed in). If the launcher asks, sign in again; Amazon Connect windows already open are not affected."),
            (d(DeadlineKind::PortalSession, false, false), 0, "Your AWS sign-in has ended and can no longer be renewed. Sign in again to keep launching Amazon Connect; windows already open are not affected."),
            (d(DeadlineKind::AccessToken, false, false), HOUR + 5 * MINUTE, "You can launch Amazon Connect for 1 hour 5 minutes more without signing in again. Sign in again between contacts."),
            (d(DeadlineKind::AccessToken, false, false), 0, "You need to sign in again to launch Amazon Connect. Windows already open are not affected."),
            (d(DeadlineKind::AccessToken, false, true), 0, "Your access to AWS renews itself while you are signed in."),
            (d(role.clone(), false, false), 30, "The AWS credentials for role ConnectAgent in account 111122223333 run out in 1 minute. To launch through this role after that, sign in again."),
            (d(role.clone(), false, false), 0, "The AWS credentials for role ConnectAgent in account 111122223333 have run out. Sign in again to launch through this role."),
            (d(role, false, true), HOUR, "The AWS credentials for role ConnectAgent in account 111122223333 renew themselves while you are signed in."),
            (d(instance, false, false), 0, "Your Amazon Connect session on 0123-abcd has ended (Connect signs everyone out 12 hours after they launch it). Launch it again to carry on."),
            (d(DeadlineKind::ClientRegistration, false, false), 3 * 24 * HOUR, "The launcher's registration with AWS sign-in ends in 3 days, and your sign-in with it. Sign in again between contacts to renew both."),
            (d(DeadlineKind::ClientRegistration, false, false), 0, "The launcher's registration with AWS sign-in has ended. Sign in again to renew it."),
            (d(DeadlineKind::ClientRegistration, false, true), HOUR, "The launcher's registration with AWS sign-in is renewed the next time you sign in."),
        ];
        for (deadline, left, expected) in cases {
            let mut deadline = deadline;
            deadline.ends_at = at + left;
            assert_eq!(describe(&deadline, at), expected);
        }
        assert_eq!(in_words(29), "less than a minute");
        assert_eq!(in_words(2 * HOUR), "2 hours");
    }

    proptest::proptest! {
        /// Whatever the deadlines and lead times, after a tick the next wake is later than the
        /// tick (so a caller never spins), and no tick before it hears anything.
        #[test]
        fn clocks_next_wake_is_later_and_nothing_is_due_before_it(
            leads in proptest::collection::vec(0u32..120, 0..4),
            ends in proptest::collection::vec(0u64..(4 * HOUR), 1..4),
            first in 0u64..(4 * HOUR),
            gaps in proptest::collection::vec(1u64..(30 * MINUTE), 1..8),
        ) {
            let session: Vec<Deadline> = ends
                .iter()
                .enumerate()
                .map(|(i, &end)| Deadline {
                    kind: DeadlineKind::ConnectSession { instance_id: format!("i-{i}"), alias: None },
                    ends_at: START + end,
                    estimated: false,
                    renews_itself: false,
                    renewal_failed_at: None,
                })
                .collect();
            let mut m = Monitor::new(leads);
            let mut now = START + first;
            m.tick(now, &session);
            for gap in gaps {
                let wake = m.next_wake(now, &session);
                proptest::prop_assert!(wake.is_none_or(|w| w > now));
                let later = now + gap;
                let events = m.tick(later, &session);
                if wake.is_none_or(|w| later < w) {
                    proptest::prop_assert_eq!(events, Vec::<ClockEvent>::new());
                }
                now = later;
            }
        }
    }
}
