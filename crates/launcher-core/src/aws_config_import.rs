//! Finding IAM Identity Center sign-in settings in `~/.aws/config`, so nobody types the start URL
//! twice.
//!
//! Promises: the file is read by a small, tolerant INI parser of our own (comments with `#` or `;`,
//! inline comments after whitespace, indented continuation lines, lines it does not understand are
//! skipped); `[sso-session NAME]` sections and legacy profiles with `sso_start_url` become
//! [`Candidate`]s by the AWS CLI's rules, and broken configurations (a profile whose values differ
//! from its sso-session, a missing key, an unknown sso-session) become [`ConfigProblem`]s next to
//! the candidates that are fine. Nothing here reads the disk: the caller passes the file's text.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Where the AWS CLI's config file is under a home directory.
pub fn aws_config_path(home: &Path) -> PathBuf {
    home.join(".aws").join("config")
}

/// A section of the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Section {
    kind: SectionKind,
    name: String,
    keys: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    Profile,
    SsoSession,
    Other,
}

impl Section {
    fn get(&self, key: &str) -> Option<&str> {
        self.keys
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the INI text into sections; keys before any section and unparseable lines are skipped.
fn parse_sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue; // a continuation line, e.g. the body of `s3 =`
        }
        let line = strip_comment(line).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(header) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            let header = header.trim();
            let (kind, name) = if header == "default" {
                (SectionKind::Profile, "default")
            } else if let Some(name) = header.strip_prefix("profile ") {
                (SectionKind::Profile, name.trim())
            } else if let Some(name) = header.strip_prefix("sso-session ") {
                (SectionKind::SsoSession, name.trim())
            } else {
                (SectionKind::Other, header)
            };
            sections.push(Section {
                kind,
                name: name.to_owned(),
                keys: Vec::new(),
            });
            continue;
        }
        let (Some(section), Some((key, value))) = (sections.last_mut(), line.split_once('='))
        else {
            continue;
        };
        section
            .keys
            .push((key.trim().to_owned(), value.trim().to_owned()));
    }
    sections
}

/// Drops a comment: a line starting with `#` or `;`, or `#`/`;` after whitespace.
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with(['#', ';']) {
        return "";
    }
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

/// `sso_registration_scopes`: comma-separated, trimmed, empty entries dropped.
fn parse_scopes(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Where a candidate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateSource {
    /// An `[sso-session NAME]` section.
    SsoSession(String),
    /// Legacy profiles that carry `sso_start_url` themselves.
    LegacyProfiles,
}

/// Sign-in settings that can be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Where they come from.
    pub source: CandidateSource,
    /// `sso_start_url`, as written.
    pub start_url: String,
    /// `sso_region`, as written.
    pub region: String,
    /// `sso_registration_scopes`.
    pub registration_scopes: Vec<String>,
    /// The profiles that use these settings.
    pub profiles: Vec<String>,
}

/// What was found: usable candidates and the problems that kept others out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Usable settings, sso-sessions first, in file order.
    pub candidates: Vec<Candidate>,
    /// Sections that break the CLI's rules.
    pub problems: Vec<ConfigProblem>,
}

/// A section of `~/.aws/config` that breaks the AWS CLI's rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigProblem {
    /// A required key is absent.
    #[error("{section} in ~/.aws/config has no `{key}`; add it (e.g. `sso_start_url = https://d-1234567890.awsapps.com/start`, `sso_region = us-east-1`) or run `aws configure sso`")]
    MissingKey {
        /// e.g. `[sso-session my-sso]`.
        section: String,
        /// The missing key.
        key: &'static str,
    },
    /// A profile repeats a key of its sso-session with a different value.
    #[error("[profile {profile}] in ~/.aws/config sets `{key} = {profile_value}` but its [sso-session {session}] says `{session_value}`; remove the key from the profile or make the two equal")]
    Mismatch {
        /// The profile.
        profile: String,
        /// The sso-session it references.
        session: String,
        /// The key.
        key: &'static str,
        /// The profile's value.
        profile_value: String,
        /// The session's value.
        session_value: String,
    },
    /// A profile references an sso-session that does not exist.
    #[error("[profile {profile}] in ~/.aws/config uses `sso_session = {session}`, but there is no [sso-session {session}] section; add it or fix the name")]
    UnknownSession {
        /// The profile.
        profile: String,
        /// The missing session's name.
        session: String,
    },
}

const START_URL_KEY: &str = "sso_start_url";
const REGION_KEY: &str = "sso_region";
const SESSION_KEY: &str = "sso_session";
const SCOPES_KEY: &str = "sso_registration_scopes";

/// Finds the sign-in settings in the text of `~/.aws/config`.
pub fn scan(config_text: &str) -> Scan {
    let sections = parse_sections(config_text);
    let mut result = Scan::default();
    let sessions = sections
        .iter()
        .filter(|s| s.kind == SectionKind::SsoSession);
    let profiles: Vec<&Section> = sections
        .iter()
        .filter(|s| s.kind == SectionKind::Profile)
        .collect();

    for session in sessions {
        let mut missing = false;
        for key in [START_URL_KEY, REGION_KEY] {
            if session.get(key).is_none_or(str::is_empty) {
                let section = format!("[sso-session {}]", session.name);
                result
                    .problems
                    .push(ConfigProblem::MissingKey { section, key });
                missing = true;
            }
        }
        if missing {
            continue;
        }
        let mut candidate = Candidate {
            source: CandidateSource::SsoSession(session.name.clone()),
            start_url: session.get(START_URL_KEY).unwrap_or_default().to_owned(),
            region: session.get(REGION_KEY).unwrap_or_default().to_owned(),
            registration_scopes: parse_scopes(session.get(SCOPES_KEY)),
            profiles: Vec::new(),
        };
        for profile in profiles
            .iter()
            .filter(|p| p.get(SESSION_KEY) == Some(session.name.as_str()))
        {
            let mismatch = [
                (START_URL_KEY, &candidate.start_url),
                (REGION_KEY, &candidate.region),
            ]
            .into_iter()
            .find_map(|(key, session_value)| {
                let profile_value = profile.get(key)?;
                (profile_value != session_value).then(|| ConfigProblem::Mismatch {
                    profile: profile.name.clone(),
                    session: session.name.clone(),
                    key,
                    profile_value: profile_value.to_owned(),
                    session_value: session_value.clone(),
                })
            });
            match mismatch {
                Some(problem) => result.problems.push(problem),
                None => candidate.profiles.push(profile.name.clone()),
            }
        }
        result.candidates.push(candidate);
    }

    for profile in &profiles {
        if let Some(session) = profile.get(SESSION_KEY) {
            let known = sections
                .iter()
                .any(|s| s.kind == SectionKind::SsoSession && s.name == session);
            if !known {
                result.problems.push(ConfigProblem::UnknownSession {
                    profile: profile.name.clone(),
                    session: session.to_owned(),
                });
            }
            continue;
        }
        let Some(start_url) = profile.get(START_URL_KEY) else {
            continue;
        };
        let Some(region) = profile.get(REGION_KEY).filter(|r| !r.is_empty()) else {
            let section = format!("[profile {}]", profile.name);
            result.problems.push(ConfigProblem::MissingKey {
                section,
                key: REGION_KEY,
            });
            continue;
        };
        let scopes = parse_scopes(profile.get(SCOPES_KEY));
        let existing = result.candidates.iter_mut().find(|c| {
            c.source == CandidateSource::LegacyProfiles
                && c.start_url == start_url
                && c.region == region
                && c.registration_scopes == scopes
        });
        match existing {
            Some(candidate) => candidate.profiles.push(profile.name.clone()),
            None => result.candidates.push(Candidate {
                source: CandidateSource::LegacyProfiles,
                start_url: start_url.to_owned(),
                region: region.to_owned(),
                registration_scopes: scopes,
                profiles: vec![profile.name.clone()],
            }),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE_EXAMPLE: &str = "\
[profile connect-agent]
sso_session    = my-sso
sso_account_id = 123456789012
sso_role_name  = ConnectAgent
region         = us-east-1          ; region for Connect/other API calls

[sso-session my-sso]
sso_start_url  = https://my-sso-portal.awsapps.com/start
sso_region     = us-east-1          ; Identity Center (oidc/portal) region
sso_registration_scopes = sso:account:access

[profile legacy-agent]               ; legacy, non-refreshable form
sso_start_url  = https://my-sso-portal.awsapps.com/start
sso_region     = us-east-1
sso_account_id = 123456789012
sso_role_name  = ConnectAgent
";

    #[test]
    fn finds_the_sso_session_and_the_legacy_profile_of_the_reference_example() {
        let scan = scan(REFERENCE_EXAMPLE);
        assert_eq!(scan.problems, []);
        assert_eq!(
            scan.candidates,
            [
                Candidate {
                    source: CandidateSource::SsoSession("my-sso".into()),
                    start_url: "https://my-sso-portal.awsapps.com/start".into(),
                    region: "us-east-1".into(),
                    registration_scopes: vec!["sso:account:access".into()],
                    profiles: vec!["connect-agent".into()],
                },
                Candidate {
                    source: CandidateSource::LegacyProfiles,
                    start_url: "https://my-sso-portal.awsapps.com/start".into(),
                    region: "us-east-1".into(),
                    registration_scopes: vec![],
                    profiles: vec!["legacy-agent".into()],
                },
            ]
        );
    }

    #[test]
    fn tolerates_comments_defaults_nested_values_and_junk() {
        let text = "\
stray = before any section
# a comment
[default]
region = eu-west-1
s3 =
  max_concurrent_requests = 10
  sso_start_url = https://nested.example/start
this line has no equals sign
[services local]
sso_start_url = https://not-a-profile.awsapps.com/start
[profile a]
sso_start_url = https://d-1234567890.awsapps.com/start#not-a-comment
sso_region = eu-west-1
sso_registration_scopes = sso:account:access, , other:scope ,
[profile b]
sso_start_url = https://d-1234567890.awsapps.com/start#not-a-comment
sso_region = eu-west-1
sso_registration_scopes = sso:account:access,other:scope
";
        let scan = scan(text);
        assert_eq!(scan.problems, []);
        assert_eq!(scan.candidates.len(), 1, "{:?}", scan.candidates);
        let candidate = &scan.candidates[0];
        assert_eq!(
            candidate.start_url,
            "https://d-1234567890.awsapps.com/start#not-a-comment"
        );
        assert_eq!(
            candidate.registration_scopes,
            ["sso:account:access", "other:scope"]
        );
        assert_eq!(candidate.profiles, ["a", "b"]);
    }

    #[test]
    fn a_profile_that_disagrees_with_its_session_is_a_problem() {
        let text = "\
[profile agent]
sso_session = corp
sso_region = us-west-2
[profile fine]
sso_session = corp
sso_region = us-east-1
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
";
        let scan = scan(text);
        let problem = ConfigProblem::Mismatch {
            profile: "agent".into(),
            session: "corp".into(),
            key: "sso_region",
            profile_value: "us-west-2".into(),
            session_value: "us-east-1".into(),
        };
        assert_eq!(scan.problems, std::slice::from_ref(&problem));
        assert_eq!(
            problem.to_string(),
            "[profile agent] in ~/.aws/config sets `sso_region = us-west-2` but its [sso-session corp] says `us-east-1`; remove the key from the profile or make the two equal"
        );
        assert_eq!(scan.candidates.len(), 1);
        assert_eq!(scan.candidates[0].profiles, ["fine"]);
    }

    #[test]
    fn missing_keys_and_unknown_sessions_are_problems() {
        let text = "\
[sso-session half]
sso_start_url = https://half.awsapps.com/start
[profile orphan]
sso_session = nowhere
[profile legacy]
sso_start_url = https://legacy.awsapps.com/start
";
        let scan = scan(text);
        assert_eq!(scan.candidates, []);
        assert_eq!(
            scan.problems,
            [
                ConfigProblem::MissingKey {
                    section: "[sso-session half]".into(),
                    key: "sso_region"
                },
                ConfigProblem::UnknownSession {
                    profile: "orphan".into(),
                    session: "nowhere".into()
                },
                ConfigProblem::MissingKey {
                    section: "[profile legacy]".into(),
                    key: "sso_region"
                },
            ]
        );
    }
}
