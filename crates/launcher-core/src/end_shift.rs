//! End of shift on a shared PC: log out of every Connect instance launched in the last 12 hours,
//! end the IAM Identity Center session, and remove everything this user left on the machine.
//!
//! Promises: after [`end_shift`] the keychain holds no entry of this sign-in (session, client
//! registration, role credentials), the state folder holds no session facts, catalog, launch
//! history or favourites, and an exported AWS CLI cache file is gone; each Connect logout page is opened only
//! through the URL gate; an instance's address is its alias as the launch recorded it, else as
//! the saved catalog has it (from Connect, or from IT's pin in the policy: `alias` and `domain`);
//! an instance whose web address is unknown is reported, never guessed.

use url::Url;

use crate::catalog::{self, CacheRead};
use crate::clocks::CONNECT_SESSION;
use crate::connect::DomainForm;
use crate::deps::Deps;
use crate::endpoints::Endpoints;
use crate::launches::{self, Launch};
use crate::session::{epoch, remove_if_present};
use crate::signin::{sign_out, SignInError};
use crate::url_policy::UrlPolicy;

/// What end of shift did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EndShiftReport {
    /// Instances whose Connect logout page was opened.
    pub logged_out: Vec<String>,
    /// Instances launched this shift whose address is unknown (launched through a SAML
    /// application, whose alias Connect never told us, and not given one by IT's pin): their CCP
    /// tabs must be logged out by hand.
    pub not_logged_out: Vec<String>,
    /// Whether there was an IAM Identity Center session to end.
    pub signed_out: bool,
}

/// Connect's logout page for an instance (`https://{alias}.my.connect.aws/logout`, or the legacy
/// `https://{alias}.awsapps.com/connect/logout`). `None` when the alias is not a host name label
/// (letters, digits and inner hyphens, at most 63): an alias such as `evil.example#` from a
/// hostile answer or a corrupt file would otherwise make a URL on another host.
pub fn connect_logout_url(alias: &str, domain: DomainForm) -> Option<Url> {
    let label = (1..=63).contains(&alias.len())
        && alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !alias.starts_with('-')
        && !alias.ends_with('-');
    if !label {
        return None;
    }
    let url = match domain {
        DomainForm::Legacy => format!("https://{alias}.awsapps.com/connect/logout"),
        DomainForm::New | DomainForm::Unknown => format!("https://{alias}.my.connect.aws/logout"),
    };
    Url::parse(&url).ok()
}

/// The launches whose Connect session may still be open at `now`, the latest per instance.
pub fn open_sessions(launches: &[Launch], now: u64) -> Vec<&Launch> {
    let mut latest: Vec<&Launch> = Vec::new();
    for l in launches
        .iter()
        .filter(|l| l.launched_at + CONNECT_SESSION.as_secs() > now)
    {
        match latest.iter_mut().find(|x| x.instance_id == l.instance_id) {
            Some(x) if x.launched_at < l.launched_at => *x = l,
            Some(_) => {}
            None => latest.push(l),
        }
    }
    latest
}

/// Logs out of Connect everywhere it was opened, signs out of IdC and forgets the user.
pub async fn end_shift(deps: &Deps, endpoints: &Endpoints) -> Result<EndShiftReport, SignInError> {
    let mut report = EndShiftReport::default();
    let now = epoch(deps.clock.now());
    // What the saved catalog knows of each instance's address: Connect's word, or IT's pin.
    let known: Vec<(String, Option<String>, DomainForm)> =
        match catalog::read_cache(&catalog::cache_path(&deps.dirs.state)) {
            CacheRead::Loaded(c) => c
                .entries
                .into_iter()
                .map(|e| (e.instance_id, e.alias, e.domain))
                .collect(),
            _ => Vec::new(),
        };
    let policy = UrlPolicy::new(endpoints);
    let launched = launches::load(&deps.dirs.state);
    for l in open_sessions(&launched, now) {
        let entry = known
            .iter()
            .find(|(id, _, _)| id.eq_ignore_ascii_case(&l.instance_id));
        let domain = entry.map(|(_, _, d)| *d).unwrap_or_default();
        let alias = l
            .alias
            .clone()
            .or_else(|| entry.and_then(|(_, a, _)| a.clone()));
        let name = alias.clone().unwrap_or_else(|| l.instance_id.clone());
        let Some(url) = alias.as_deref().and_then(|a| connect_logout_url(a, domain)) else {
            report.not_logged_out.push(name);
            continue;
        };
        match policy.check_url(url) {
            Ok(approved) => match deps.opener.open(&endpoints.reachable(approved.as_url())) {
                Ok(()) => report.logged_out.push(name),
                Err(e) => {
                    tracing::warn!(error = %e, instance = %name, "cannot open Connect's logout page");
                    report.not_logged_out.push(name);
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, instance = %name, "refusing Connect's logout address");
                report.not_logged_out.push(name);
            }
        }
    }
    report.signed_out = sign_out(deps, endpoints, true).await?.is_some();
    launches::forget_all(&deps.dirs.state)?;
    crate::favourites::forget_all(&deps.dirs.state)?;
    remove_if_present(&catalog::cache_path(&deps.dirs.state))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(id: &str, at: u64) -> Launch {
        Launch {
            instance_id: id.into(),
            alias: Some(id.into()),
            region: "us-east-1".into(),
            destination: "ccp".into(),
            launched_at: at,
        }
    }

    #[test]
    fn only_this_shifts_latest_launches() {
        let twelve = CONNECT_SESSION.as_secs();
        let all = vec![
            launch("a", 0),
            launch("a", 100),
            launch("b", 50),
            launch("old", 0),
        ];
        let now = twelve + 10;
        let open: Vec<(&str, u64)> = open_sessions(&all, now)
            .iter()
            .map(|l| (l.instance_id.as_str(), l.launched_at))
            .collect();
        assert_eq!(open, [("a", 100), ("b", 50)]);
    }

    #[test]
    fn logout_urls() {
        assert_eq!(
            connect_logout_url("acme", DomainForm::New)
                .unwrap()
                .as_str(),
            "https://acme.my.connect.aws/logout"
        );
        assert_eq!(
            connect_logout_url("acme", DomainForm::Legacy)
                .unwrap()
                .as_str(),
            "https://acme.awsapps.com/connect/logout"
        );
    }
}
