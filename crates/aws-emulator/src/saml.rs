//! The emulator's SAML assertions, as IAM Identity Center issues them for a custom SAML application
//! such as the "Amazon Connect" catalog app (reference `aws-protocols.md` §5, §8;
//! `connect-sign-in.md` §1.1): a base64 `<samlp:Response>` for the sign-in ACS with the AWS role,
//! role session name and session duration attributes.
//!
//! Promises: an assertion is signed with an HMAC-SHA256 keyed by a random key of this emulator
//! ([`SamlKey`], made with the state), in place of an XML-DSig signature; [`verify`] refuses an
//! assertion whose signature does not match (any edit of the signed text), that is missing its
//! signature, or whose `NotOnOrAfter` ([`ASSERTION_LIFETIME_SECS`] after issue, emulated clock) has
//! passed. Replay within the lifetime is not refused. The signed text is everything in the document
//! except the signature element itself.

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::org::{partition_of, SamlApplication};
use crate::pages::escape;
use crate::state::Shared;

/// How long an assertion may be presented after it is issued: 5 minutes.
pub const ASSERTION_LIFETIME_SECS: u64 = 5 * 60;

/// The console session length the assertion asks for (`SessionDuration`): IdC's application
/// session, 1 hour.
pub const SESSION_DURATION_SECS: u64 = 60 * 60;

/// The SAML audience of AWS sign-in.
pub const AUDIENCE: &str = "urn:amazon:webservices";

const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
const ROLE_SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const SIGNATURE_OPEN: &str = r#"<emu:Signature xmlns:emu="urn:aws-emulator:saml-signature" Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256">"#;
const SIGNATURE_CLOSE: &str = "</emu:Signature>";

/// The per-emulator key assertions are signed with; random, never printed.
pub struct SamlKey([u8; 32]);

impl Default for SamlKey {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        SamlKey(key)
    }
}

impl std::fmt::Debug for SamlKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SamlKey(<redacted>)")
    }
}

/// What a verified assertion says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The role session name (the IdC user name, and so the Connect username).
    pub user: String,
    pub account: String,
    /// The role name (the part after `role/`).
    pub role: String,
    /// The SAML provider's ARN.
    pub provider: String,
    /// `SessionDuration`, seconds.
    pub session_duration: u64,
    /// The ACS the assertion was made for.
    pub destination: String,
    /// Epoch seconds after which the assertion is refused.
    pub not_on_or_after: u64,
}

/// The ACS an application's assertions go to: AWS sign-in's global SAML endpoint of the partition
/// its relay state names.
pub fn acs_url(app: &SamlApplication) -> String {
    if app.relay_state.contains("amazonaws-us-gov.com") {
        "https://signin.amazonaws-us-gov.com/saml".to_owned()
    } else {
        "https://signin.aws.amazon.com/saml".to_owned()
    }
}

/// The IAM partition of an application's account.
fn partition(app: &SamlApplication) -> &'static str {
    if app.relay_state.contains("amazonaws-us-gov.com") {
        partition_of("us-gov-west-1")
    } else {
        partition_of("us-east-1")
    }
}

/// The name IdC gives the IAM SAML provider of an application (`AWSSSO_{16 hex}_DO_NOT_DELETE`).
fn provider_name(app: &SamlApplication) -> String {
    format!("AWSSSO_{}_DO_NOT_DELETE", app.id.trim_start_matches("ins-"))
}

fn key(shared: &Shared) -> [u8; 32] {
    shared.state.lock().unwrap().saml_key.0
}

fn mac(key: &[u8; 32], text: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(text.as_bytes());
    m
}

fn iso(secs: u64) -> String {
    crate::clock::iso8601(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// A signed assertion (base64 of the `<samlp:Response>`) for `user` signing in to `app`.
pub fn assertion(shared: &Shared, user: &str, app: &SamlApplication) -> String {
    let now = shared.clock.epoch_secs();
    let issued = iso(now);
    let expires = iso(now + ASSERTION_LIFETIME_SECS);
    let destination = acs_url(app);
    let partition = partition(app);
    let role = format!(
        "arn:{partition}:iam::{account}:role/{role},arn:{partition}:iam::{account}:saml-provider/{provider}",
        account = app.account,
        role = app.role,
        provider = provider_name(app)
    );
    let issuer = shared.org.start_url();
    let response_id = format!("_{}", uuid::Uuid::new_v4());
    let assertion_id = format!("_{}", uuid::Uuid::new_v4());
    let attribute = |name: &str, value: &str| {
        format!(
            r#"<saml:Attribute Name="{}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml:AttributeValue>{}</saml:AttributeValue></saml:Attribute>"#,
            escape(name),
            escape(value)
        )
    };
    let unsigned = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{issued}" Destination="{destination}"><saml:Issuer>{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{issuer}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{user}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{expires}" Recipient="{destination}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{issued}" NotOnOrAfter="{expires}"><saml:AudienceRestriction><saml:Audience>{AUDIENCE}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}" SessionIndex="{assertion_id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{role_attr}{name_attr}{duration_attr}</saml:AttributeStatement></saml:Assertion></samlp:Response>"#,
        issuer = escape(&issuer),
        user = escape(user),
        role_attr = attribute(ROLE_ATTRIBUTE, &role),
        name_attr = attribute(ROLE_SESSION_NAME_ATTRIBUTE, user),
        duration_attr = attribute(
            SESSION_DURATION_ATTRIBUTE,
            &SESSION_DURATION_SECS.to_string()
        ),
    );
    let signature = hex::encode(mac(&key(shared), &unsigned).finalize().into_bytes());
    let close = "</samlp:Response>";
    let body = &unsigned[..unsigned.len() - close.len()];
    let xml = format!("{body}{SIGNATURE_OPEN}{signature}{SIGNATURE_CLOSE}{close}");
    base64::engine::general_purpose::STANDARD.encode(xml)
}

/// Checks an assertion's signature and expiry and reads what it says; the error says why not.
pub fn verify(shared: &Shared, b64: &str) -> Result<Assertion, String> {
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| "the SAML response is not base64".to_owned())?;
    let xml =
        String::from_utf8(bytes).map_err(|_| "the SAML response is not UTF-8 text".to_owned())?;
    let start = xml
        .find(SIGNATURE_OPEN)
        .ok_or("the SAML response is not signed")?;
    let value_start = start + SIGNATURE_OPEN.len();
    let value_len = xml[value_start..]
        .find(SIGNATURE_CLOSE)
        .ok_or("the SAML response's signature is malformed")?;
    let signature = hex::decode(&xml[value_start..value_start + value_len])
        .map_err(|_| "the SAML response's signature is malformed".to_owned())?;
    let unsigned = format!(
        "{}{}",
        &xml[..start],
        &xml[value_start + value_len + SIGNATURE_CLOSE.len()..]
    );
    mac(&key(shared), &unsigned)
        .verify_slice(&signature)
        .map_err(|_| "the SAML response's signature does not match".to_owned())?;

    let destination = unescape(
        attr_after(&unsigned, "<samlp:Response ", "Destination")
            .ok_or("the SAML response names no destination")?,
    );
    let not_on_or_after = attr_after(&unsigned, "<saml:Conditions ", "NotOnOrAfter")
        .and_then(parse_iso)
        .ok_or("the SAML assertion has no valid NotOnOrAfter")?;
    if shared.clock.epoch_secs() >= not_on_or_after {
        return Err("the SAML assertion has expired".to_owned());
    }
    let role_value = attribute_value(&unsigned, ROLE_ATTRIBUTE)
        .ok_or("the SAML assertion has no Role attribute")?;
    let (mut role_arn, mut provider) = (None, None);
    for arn in role_value.split(',').map(str::trim) {
        if arn.contains(":role/") {
            role_arn = Some(arn.to_owned());
        } else if arn.contains(":saml-provider/") {
            provider = Some(arn.to_owned());
        }
    }
    let role_arn = role_arn.ok_or("the SAML Role attribute names no role")?;
    let provider = provider.ok_or("the SAML Role attribute names no SAML provider")?;
    // arn:PARTITION:iam::ACCOUNT:role/NAME
    let mut fields = role_arn.splitn(6, ':');
    let account = fields.nth(4).unwrap_or("").to_owned();
    let role = role_arn
        .rsplit_once(":role/")
        .map(|(_, r)| r.rsplit('/').next().unwrap_or(r).to_owned())
        .unwrap_or_default();
    if account.len() != 12 || role.is_empty() {
        return Err("the SAML Role attribute's role ARN is malformed".to_owned());
    }
    let user = attribute_value(&unsigned, ROLE_SESSION_NAME_ATTRIBUTE)
        .ok_or("the SAML assertion has no RoleSessionName attribute")?;
    let session_duration = attribute_value(&unsigned, SESSION_DURATION_ATTRIBUTE)
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| "the SAML SessionDuration attribute is not a number".to_owned())
        })
        .transpose()?
        .unwrap_or(SESSION_DURATION_SECS);
    Ok(Assertion {
        user,
        account,
        role,
        provider,
        session_duration,
        destination,
        not_on_or_after,
    })
}

/// The value of attribute `name` on the first element that starts with `element`.
fn attr_after<'a>(xml: &'a str, element: &str, name: &str) -> Option<&'a str> {
    let start = xml.find(element)?;
    let tag = &xml[start..start + xml[start..].find('>')?];
    let marker = format!(" {name}=\"");
    let v = &tag[tag.find(&marker)? + marker.len()..];
    Some(&v[..v.find('"')?])
}

/// The first `AttributeValue` of the `saml:Attribute` called `name`, unescaped.
fn attribute_value(xml: &str, name: &str) -> Option<String> {
    let marker = format!("<saml:Attribute Name=\"{}\"", escape(name));
    let rest = &xml[xml.find(&marker)?..];
    let open = "<saml:AttributeValue>";
    let v = &rest[rest.find(open)? + open.len()..];
    Some(unescape(&v[..v.find("</saml:AttributeValue>")?]))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn parse_iso(s: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::Org;
    use std::sync::Mutex;

    fn shared() -> Shared {
        Shared {
            org: Org::demo(),
            clock: crate::clock::Clock::default(),
            faults: crate::faults::Faults::new(std::time::Duration::ZERO, None),
            urls: crate::state::Urls::default(),
            behaviour: Mutex::new(crate::state::Behaviour::default()),
            state: Mutex::new(crate::state::State::default()),
        }
    }

    fn decode(b64: &str) -> String {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap()
    }

    fn encode(xml: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(xml)
    }

    #[test]
    fn round_trip() {
        let s = shared();
        let app = s.org.saml_applications[0].clone();
        let a = verify(&s, &assertion(&s, "alex.rivera@example.com", &app)).unwrap();
        assert_eq!(a.user, "alex.rivera@example.com");
        assert_eq!(a.account, "111122223333");
        assert_eq!(a.role, "ConnectSAMLFederation");
        assert_eq!(
            a.provider,
            "arn:aws:iam::111122223333:saml-provider/AWSSSO_3f6a1b2c4d5e6f70_DO_NOT_DELETE"
        );
        assert_eq!(a.destination, "https://signin.aws.amazon.com/saml");
        assert_eq!(a.session_duration, SESSION_DURATION_SECS);
    }

    #[test]
    fn tampering_is_refused() {
        let s = shared();
        let app = s.org.saml_applications[0].clone();
        let xml = decode(&assertion(&s, "jordan.lee@example.com", &app));
        let forged = xml.replace("jordan.lee@example.com", "sam.chen@example.com");
        assert_eq!(
            verify(&s, &encode(&forged)).unwrap_err(),
            "the SAML response's signature does not match"
        );
        let start = xml.find(SIGNATURE_OPEN).unwrap();
        let end = xml.find(SIGNATURE_CLOSE).unwrap() + SIGNATURE_CLOSE.len();
        let unsigned = format!("{}{}", &xml[..start], &xml[end..]);
        assert_eq!(
            verify(&s, &encode(&unsigned)).unwrap_err(),
            "the SAML response is not signed"
        );
        // Another emulator's key does not verify.
        let other = shared();
        assert!(verify(&other, &encode(&xml)).is_err());
    }

    #[test]
    fn expires_after_five_minutes() {
        let s = shared();
        let app = s.org.saml_applications[0].clone();
        let b64 = assertion(&s, "alex.rivera@example.com", &app);
        s.clock
            .advance(std::time::Duration::from_secs(ASSERTION_LIFETIME_SECS - 30));
        assert!(verify(&s, &b64).is_ok());
        s.clock.advance(std::time::Duration::from_secs(31));
        assert_eq!(
            verify(&s, &b64).unwrap_err(),
            "the SAML assertion has expired"
        );
    }

    #[test]
    fn key_is_redacted() {
        assert_eq!(format!("{:?}", SamlKey::default()), "SamlKey(<redacted>)");
    }
}
