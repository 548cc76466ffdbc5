//! The organisation the emulator serves: users, accounts, permission sets, assignments, IdC SAML
//! applications and Connect instances, read from a TOML fixture.
//!
//! Promises: a loaded [`Org`] is consistent (every reference resolves, ids are unique, aliases are
//! valid Connect aliases), so request handlers never meet a dangling name. Errors name the fixture
//! entry at fault.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

/// The built-in demo organisation (`aws-emulator serve --demo`).
pub const DEMO_TOML: &str = include_str!("../fixtures/demo.toml");

/// A whole organisation as the fixture describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    pub directory: Directory,
    #[serde(default)]
    pub sessions: SessionLengths,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub permission_sets: Vec<PermissionSet>,
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    #[serde(default)]
    pub saml_applications: Vec<SamlApplication>,
    #[serde(default)]
    pub connect_instances: Vec<ConnectInstance>,
}

/// The IAM Identity Center instance: its directory id (the `d-…` in the start URL) and home region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    /// e.g. `d-9067c2d5a1`; the start URL is `https://{id}.awsapps.com/start`.
    pub id: String,
    /// The IdC region (oidc and portal).
    pub region: String,
    /// The IdC instance id shown by `/user` (`ssoins-…`).
    #[serde(default = "default_sso_instance")]
    pub sso_instance_id: String,
}

fn default_sso_instance() -> String {
    "ssoins-72232c0e6e5e1d0a".to_owned()
}

/// Session lengths, as an IdC administrator would set them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionLengths {
    /// The access-portal (user interactive) session; AWS's default is 8 h.
    pub portal_session_minutes: u64,
    /// The OIDC access token's lifetime (`expiresIn`).
    pub access_token_minutes: u64,
    /// Role credentials from GetRoleCredentials (the permission set's session duration).
    pub role_credentials_minutes: u64,
    /// How long an OIDC client registration lasts (`clientSecretExpiresAt`).
    pub client_registration_days: u64,
    /// Device authorization lifetime (`expiresIn`), seconds.
    pub device_code_seconds: u64,
    /// Device polling interval (`interval`), seconds.
    pub device_poll_interval_seconds: u64,
}

impl Default for SessionLengths {
    fn default() -> Self {
        SessionLengths {
            portal_session_minutes: 8 * 60,
            access_token_minutes: 60,
            role_credentials_minutes: 60,
            client_registration_days: 90,
            device_code_seconds: 600,
            device_poll_interval_seconds: 1,
        }
    }
}

/// A workforce user in the IdC directory (synchronised from Entra ID in real life).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The sign-in name; also the role session name, and so the Connect username.
    pub user_name: String,
    pub display_name: String,
    pub email: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSet {
    pub name: String,
    /// Whether the role's policy allows `connect:GetFederationToken` (and the Connect listing).
    #[serde(default)]
    pub connect_federation: bool,
}

/// A user is given a permission set in an account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub user: String,
    pub account: String,
    pub permission_set: String,
}

/// An IdC custom SAML application, e.g. the "Amazon Connect" catalog app for one instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlApplication {
    /// The app instance id, `ins-` + 16 hex digits.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The relay state, usually `https://{region}.console.aws.amazon.com/connect/federate/{id}[?…]`.
    pub relay_state: String,
    /// The account that holds the IAM SAML provider and the federation role.
    pub account: String,
    /// The IAM role the assertion maps to (its policy allows GetFederationToken).
    pub role: String,
    /// Users assigned to the application.
    pub users: Vec<String>,
}

/// Which domain an instance's web pages live on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DomainForm {
    /// `https://{alias}.my.connect.aws/…`
    #[default]
    New,
    /// `https://{alias}.awsapps.com/connect/…`
    Legacy,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectInstance {
    /// A UUID.
    pub id: String,
    pub alias: String,
    pub account: String,
    pub region: String,
    #[serde(default)]
    pub domain: DomainForm,
    #[serde(default = "default_identity")]
    pub identity_management: String,
    /// Connect users (usernames; for SAML instances they equal the role session name).
    #[serde(default)]
    pub users: Vec<String>,
    /// Creation time, epoch seconds.
    #[serde(default = "default_created")]
    pub created: u64,
}

fn default_identity() -> String {
    "SAML".to_owned()
}

fn default_created() -> u64 {
    1_700_000_000
}

/// The partition an instance's region belongs to.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    }
}

impl ConnectInstance {
    /// The instance ARN.
    pub fn arn(&self) -> String {
        format!(
            "arn:{}:connect:{}:{}:instance/{}",
            partition_of(&self.region),
            self.region,
            self.account,
            self.id
        )
    }

    /// The host of the instance's web pages.
    pub fn web_host(&self) -> String {
        match self.domain {
            DomainForm::New => format!("{}.my.connect.aws", self.alias),
            DomainForm::Legacy => format!("{}.awsapps.com", self.alias),
        }
    }

    /// The path prefix of the instance's pages on its host (`/connect` on the legacy domain).
    pub fn web_prefix(&self) -> &'static str {
        match self.domain {
            DomainForm::New => "",
            DomainForm::Legacy => "/connect",
        }
    }

    /// A stable user id for a Connect username in this instance.
    pub fn user_id(&self, username: &str) -> String {
        crate::ids::stable_uuid(&format!("{}/{}", self.id, username))
    }
}

/// Why a fixture was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("cannot read the organisation file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the organisation file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    #[error("the organisation is inconsistent: {0}")]
    Invalid(String),
}

impl Org {
    /// The built-in demo organisation.
    pub fn demo() -> Org {
        Org::from_toml(DEMO_TOML, "<built-in demo>")
            .expect("the built-in demo organisation is valid")
    }

    /// Reads and checks a fixture file.
    pub fn from_file(path: &Path) -> Result<Org, OrgError> {
        let text = std::fs::read_to_string(path).map_err(|source| OrgError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Org::from_toml(&text, &path.display().to_string())
    }

    /// Parses and checks fixture text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Org, OrgError> {
        let org: Org = toml::from_str(text).map_err(|e| OrgError::Parse {
            path: origin.to_owned(),
            message: e.to_string(),
        })?;
        org.check()?;
        Ok(org)
    }

    /// The start URL users type: `https://{directory}.awsapps.com/start`.
    pub fn start_url(&self) -> String {
        format!("https://{}.awsapps.com/start", self.directory.id)
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.user_name == name)
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn permission_set(&self, name: &str) -> Option<&PermissionSet> {
        self.permission_sets.iter().find(|p| p.name == name)
    }

    pub fn instance(&self, id: &str) -> Option<&ConnectInstance> {
        self.connect_instances.iter().find(|i| i.id == id)
    }

    pub fn instance_by_alias(&self, alias: &str) -> Option<&ConnectInstance> {
        self.connect_instances.iter().find(|i| i.alias == alias)
    }

    /// Accounts the user has at least one assignment in, in fixture order.
    pub fn accounts_of(&self, user: &str) -> Vec<&Account> {
        let ids: BTreeSet<&str> = self
            .assignments
            .iter()
            .filter(|a| a.user == user)
            .map(|a| a.account.as_str())
            .collect();
        self.accounts
            .iter()
            .filter(|a| ids.contains(a.id.as_str()))
            .collect()
    }

    /// Permission sets assigned to the user in an account, in fixture order, without repeats.
    pub fn roles_of(&self, user: &str, account: &str) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.assignments
            .iter()
            .filter(|a| a.user == user && a.account == account)
            .filter(|a| seen.insert(a.permission_set.as_str()))
            .map(|a| a.permission_set.as_str())
            .collect()
    }

    pub fn is_assigned(&self, user: &str, account: &str, role: &str) -> bool {
        self.assignments
            .iter()
            .any(|a| a.user == user && a.account == account && a.permission_set == role)
    }

    /// SAML applications assigned to the user.
    pub fn applications_of(&self, user: &str) -> Vec<&SamlApplication> {
        self.saml_applications
            .iter()
            .filter(|a| a.users.iter().any(|u| u == user))
            .collect()
    }

    /// Checks that every reference resolves and every id is well formed.
    pub fn check(&self) -> Result<(), OrgError> {
        let bad = |m: String| Err(OrgError::Invalid(m));
        if !self.directory.id.starts_with("d-")
            && !self
                .directory
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return bad(format!(
                "directory id `{}` should look like `d-1234567890`",
                self.directory.id
            ));
        }
        unique(self.users.iter().map(|u| u.user_name.as_str()), "user")?;
        unique(self.accounts.iter().map(|a| a.id.as_str()), "account")?;
        unique(
            self.permission_sets.iter().map(|p| p.name.as_str()),
            "permission set",
        )?;
        unique(
            self.saml_applications.iter().map(|a| a.id.as_str()),
            "SAML application",
        )?;
        unique(
            self.connect_instances.iter().map(|i| i.id.as_str()),
            "Connect instance",
        )?;
        unique(
            self.connect_instances.iter().map(|i| i.alias.as_str()),
            "Connect instance alias",
        )?;
        for a in &self.accounts {
            if a.id.len() != 12 || !a.id.bytes().all(|b| b.is_ascii_digit()) {
                return bad(format!("account id `{}` must be 12 digits", a.id));
            }
        }
        for a in &self.assignments {
            if self.user(&a.user).is_none() {
                return bad(format!("an assignment names the unknown user `{}`", a.user));
            }
            if self.account(&a.account).is_none() {
                return bad(format!(
                    "an assignment names the unknown account `{}`",
                    a.account
                ));
            }
            if self.permission_set(&a.permission_set).is_none() {
                return bad(format!(
                    "an assignment names the unknown permission set `{}`",
                    a.permission_set
                ));
            }
        }
        for app in &self.saml_applications {
            if self.account(&app.account).is_none() {
                return bad(format!(
                    "SAML application `{}` names the unknown account `{}`",
                    app.name, app.account
                ));
            }
            for u in &app.users {
                if self.user(u).is_none() {
                    return bad(format!(
                        "SAML application `{}` is assigned to the unknown user `{u}`",
                        app.name
                    ));
                }
            }
        }
        for i in &self.connect_instances {
            if self.account(&i.account).is_none() {
                return bad(format!(
                    "Connect instance `{}` names the unknown account `{}`",
                    i.alias, i.account
                ));
            }
            if !valid_alias(&i.alias) {
                return bad(format!(
                    "Connect instance alias `{}` is not valid (1-45 letters, digits and inner hyphens, not starting with `d-`)",
                    i.alias
                ));
            }
            if uuid::Uuid::parse_str(&i.id).is_err() {
                return bad(format!(
                    "Connect instance `{}` has id `{}`, which is not a UUID",
                    i.alias, i.id
                ));
            }
        }
        Ok(())
    }
}

fn unique<'a>(names: impl Iterator<Item = &'a str>, what: &str) -> Result<(), OrgError> {
    let mut seen = BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(OrgError::Invalid(format!("the {what} `{n}` appears twice")));
        }
    }
    Ok(())
}

/// Connect's alias rule: `^(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*$`, 1-45 characters.
pub fn valid_alias(alias: &str) -> bool {
    !alias.is_empty()
        && alias.len() <= 45
        && !alias.starts_with("d-")
        && alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && alias.as_bytes()[0].is_ascii_alphanumeric()
        && alias.as_bytes()[alias.len() - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_valid() {
        let org = Org::demo();
        assert!(!org.users.is_empty());
        assert!(org.start_url().starts_with("https://d-"));
    }

    #[test]
    fn dangling_reference_is_named() {
        let text = r#"
            [directory]
            id = "d-1234567890"
            region = "us-east-1"
            [[assignments]]
            user = "ghost"
            account = "111111111111"
            permission_set = "X"
        "#;
        let err = Org::from_toml(text, "t.toml").unwrap_err().to_string();
        assert!(err.contains("unknown user `ghost`"), "{err}");
    }

    #[test]
    fn alias_rule() {
        assert!(valid_alias("acme-cc"));
        assert!(!valid_alias("d-acme"));
        assert!(!valid_alias("-acme"));
        assert!(!valid_alias("acme-"));
        assert!(!valid_alias(&"a".repeat(46)));
    }
}
