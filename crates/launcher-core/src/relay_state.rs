//! Amazon Connect's federate URL, the relay state that opens an instance after sign-in
//! (`connect-sign-in.md` §1.2, `aws-protocols.md` §6.3): built from an instance, region,
//! destination, domain choice and VDI platform, and parsed back from a SAML application's relay
//! state.
//!
//! The forms:
//! - commercial: `https://{region}.console.aws.amazon.com/connect/federate/{instanceId}`;
//!   GovCloud: `https://console.amazonaws-us-gov.com/connect/federate/{instanceId}` (no region:
//!   Connect runs in [`GOVCLOUD_CONNECT_REGION`] only, so that is the region parsed back);
//! - `destination`: `ccp` → `/ccp-v2`, `ccp-chat` → `/ccp-v2/chat`, `agent-workspace` →
//!   `/agent-app-v2`, `admin` → no `destination` (the admin home), a path starting with `/`, or an
//!   approved `https` origin; the value is percent-encoded whole, leaving only `A–Z a–z 0–9 - . _ ~`
//!   (so `/ccp-v2` is `%2Fccp-v2`);
//! - `new_domain=true` as its own parameter after `destination`;
//! - the VDI platform the documented way, inside the destination:
//!   `destination=%2Fagent-app-v2%3FVDIPlatform%3DCITRIX_413` (the decoded destination is
//!   `/agent-app-v2?VDIPlatform=CITRIX_413`); only with a page of the instance as destination.
//!
//! Promises: every URL [`federate_url`] builds, [`parse_federate_url`] reads back to the same
//! [`FederateTarget`] (a property test checks it); the parser also accepts the other documented
//! and legacy forms (the region-less commercial host as us-east-1, `%26new_domain=true` inside the
//! destination, `VDIPlatform` beside it) and refuses anything that is not an https federate URL on
//! a console host, naming what is wrong.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use url::Url;

use crate::region::{Partition, Region};
use crate::sigv4::uri_encode;

/// The console host suffix of commercial regions (`{region}.console.aws.amazon.com`).
pub const COMMERCIAL_CONSOLE_SUFFIX: &str = "console.aws.amazon.com";
/// The GovCloud console host (no region label).
pub const GOVCLOUD_CONSOLE_HOST: &str = "console.amazonaws-us-gov.com";
/// The one GovCloud region that runs Amazon Connect.
pub const GOVCLOUD_CONNECT_REGION: &str = "us-gov-west-1";
/// The region the region-less commercial console host stands for.
pub const GLOBAL_CONSOLE_REGION: &str = "us-east-1";
/// The federate path before the instance id.
pub const FEDERATE_PATH: &str = "/connect/federate/";
/// The longest instance id Connect accepts.
pub const MAX_INSTANCE_ID_LEN: usize = 100;

/// The CCP.
pub const CCP_PATH: &str = "/ccp-v2";
/// The CCP's chat view.
pub const CCP_CHAT_PATH: &str = "/ccp-v2/chat";
/// The agent workspace.
pub const AGENT_WORKSPACE_PATH: &str = "/agent-app-v2";

const VDI_PARAM: &str = "VDIPlatform";
const NEW_DOMAIN_PARAM: &str = "new_domain";

/// Where in the instance the federate URL lands.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Destination {
    /// `/ccp-v2`.
    Ccp,
    /// `/ccp-v2/chat`.
    CcpChat,
    /// `/agent-app-v2`.
    AgentWorkspace,
    /// No destination: the admin website's home.
    Admin,
    /// Another page of the instance, starting with `/`.
    Path(String),
    /// An external `https` site, which must be one of the instance's approved origins.
    Origin(String),
}

impl Destination {
    /// A preset by its name (`ccp`, `ccp-chat`, `agent-workspace`, `admin`).
    pub fn preset(name: &str) -> Option<Destination> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "ccp" => Destination::Ccp,
            "ccp-chat" => Destination::CcpChat,
            "agent-workspace" => Destination::AgentWorkspace,
            "admin" => Destination::Admin,
            _ => return None,
        })
    }

    /// A page of the instance; a preset's path becomes that preset.
    pub fn from_path(path: &str) -> Result<Destination, RelayStateError> {
        check_path(path)?;
        Ok(match path {
            CCP_PATH => Destination::Ccp,
            CCP_CHAT_PATH => Destination::CcpChat,
            AGENT_WORKSPACE_PATH => Destination::AgentWorkspace,
            p => Destination::Path(p.to_owned()),
        })
    }

    /// Reads a configured destination: a preset name, a path, or an https origin from
    /// `approved_origins` (compared by scheme, host and port).
    pub fn parse(input: &str, approved_origins: &[String]) -> Result<Destination, RelayStateError> {
        let input = input.trim();
        if let Some(preset) = Destination::preset(input) {
            return Ok(preset);
        }
        if input.starts_with('/') {
            return Destination::from_path(input);
        }
        let url = Url::parse(input).map_err(|_| RelayStateError::BadDestination {
            value: input.to_owned(),
        })?;
        if url.scheme() != "https"
            || url.host_str().is_none()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(RelayStateError::BadDestination {
                value: input.to_owned(),
            });
        }
        let origin = url.origin().ascii_serialization();
        let approved = approved_origins
            .iter()
            .filter_map(|a| Url::parse(a.trim()).ok())
            .any(|a| a.origin().ascii_serialization() == origin);
        if !approved {
            return Err(RelayStateError::OriginNotApproved { origin });
        }
        check_origin(input)?;
        Ok(Destination::Origin(input.to_owned()))
    }

    /// The decoded `destination` value, `None` for the admin home.
    pub fn value(&self) -> Option<&str> {
        match self {
            Destination::Ccp => Some(CCP_PATH),
            Destination::CcpChat => Some(CCP_CHAT_PATH),
            Destination::AgentWorkspace => Some(AGENT_WORKSPACE_PATH),
            Destination::Admin => None,
            Destination::Path(p) | Destination::Origin(p) => Some(p),
        }
    }

    /// Whether the destination is a page of the instance (where a VDI platform applies).
    pub fn is_instance_page(&self) -> bool {
        !matches!(self, Destination::Admin | Destination::Origin(_))
    }
}

impl fmt::Display for Destination {
    /// The configuration form: a preset name, a path or an origin.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Ccp => f.write_str("ccp"),
            Destination::CcpChat => f.write_str("ccp-chat"),
            Destination::AgentWorkspace => f.write_str("agent-workspace"),
            Destination::Admin => f.write_str("admin"),
            Destination::Path(p) | Destination::Origin(p) => f.write_str(p),
        }
    }
}

/// A custom destination path: `/…`, printable ASCII, not protocol-relative, and free of the
/// parameters that have settings of their own.
fn check_path(path: &str) -> Result<(), RelayStateError> {
    check_destination_text(path, path.starts_with('/') && !path.starts_with("//"))
}

/// An external destination as written: `https://` and then printable ASCII, with no fragment and
/// none of the parameters that have settings of their own, so that the federate URL reads back to
/// the same text (the URL parser would also take `https:/host` or `https:\\host`, which do not).
fn check_origin(value: &str) -> Result<(), RelayStateError> {
    check_destination_text(value, value.to_ascii_lowercase().starts_with("https://"))
}

/// The rule every destination's text follows once its shape (`shape_ok`) is right: printable
/// ASCII with no `#` or `\`, and none of the parameters that have settings of their own.
fn check_destination_text(value: &str, shape_ok: bool) -> Result<(), RelayStateError> {
    let lower = value.to_ascii_lowercase();
    let ok = shape_ok
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'#' && b != b'\\')
        && !lower.contains(&VDI_PARAM.to_ascii_lowercase())
        && !lower.contains(NEW_DOMAIN_PARAM);
    if ok {
        Ok(())
    } else {
        Err(RelayStateError::BadDestination {
            value: value.to_owned(),
        })
    }
}

/// The VDI platforms Connect's agent workspace optimises audio for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VdiPlatform {
    /// Citrix (`CITRIX_413`).
    Citrix413,
    /// Amazon WorkSpaces (`AWS_WORKSPACE`).
    AwsWorkspace,
    /// Omnissa Horizon (`OMNISSA`).
    Omnissa,
    /// Azure Virtual Desktop and Windows 365 (`AZURE`).
    Azure,
}

impl VdiPlatform {
    /// Every platform.
    pub const ALL: [VdiPlatform; 4] = [
        VdiPlatform::Citrix413,
        VdiPlatform::AwsWorkspace,
        VdiPlatform::Omnissa,
        VdiPlatform::Azure,
    ];

    /// The value Connect expects.
    pub fn as_str(self) -> &'static str {
        match self {
            VdiPlatform::Citrix413 => "CITRIX_413",
            VdiPlatform::AwsWorkspace => "AWS_WORKSPACE",
            VdiPlatform::Omnissa => "OMNISSA",
            VdiPlatform::Azure => "AZURE",
        }
    }
}

impl fmt::Display for VdiPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VdiPlatform {
    type Err = RelayStateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VdiPlatform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| RelayStateError::UnknownVdiPlatform {
                value: s.trim().to_owned(),
            })
    }
}

/// Everything a federate URL says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FederateTarget {
    /// The instance's region (its partition decides the console host).
    pub region: Region,
    pub instance_id: String,
    pub destination: Destination,
    /// Open the `{alias}.my.connect.aws` domain (`new_domain=true`).
    pub new_domain: bool,
    pub vdi_platform: Option<VdiPlatform>,
}

/// A federate URL that cannot be built or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RelayStateError {
    #[error("the relay state is not a URL; it looks like https://REGION.console.aws.amazon.com/connect/federate/INSTANCE_ID")]
    NotAUrl,
    #[error("the relay state must be an https address on the AWS console (https://REGION.console.aws.amazon.com/connect/federate/INSTANCE_ID), not one on `{host}`")]
    NotConsole { host: String },
    #[error("the relay state is not a Connect federate link (the path must be /connect/federate/INSTANCE_ID)")]
    NotFederate,
    #[error(
        "`{value}` is not an Amazon Connect instance id (1 to 100 letters, digits and hyphens)"
    )]
    BadInstanceId { value: String },
    #[error("`{value}` is not a known AWS region")]
    UnknownRegion { value: String },
    #[error("Amazon Connect is not offered in the `{partition}` partition")]
    UnsupportedPartition { partition: &'static str },
    #[error("Amazon Connect is not offered in `{region}`; in AWS GovCloud (US) it runs in {GOVCLOUD_CONNECT_REGION} only: check the instance's region")]
    NoConnectInRegion { region: &'static str },
    #[error("`{value}` is not a destination: use ccp, ccp-chat, agent-workspace, admin, a path starting with `/`, or an approved https origin")]
    BadDestination { value: String },
    #[error("the destination origin {origin} is not approved; ask IT to add it to the approved origins in the policy (it must also be an approved origin of the instance)")]
    OriginNotApproved { origin: String },
    #[error("`{value}` is not a VDI platform: use CITRIX_413, AWS_WORKSPACE, OMNISSA or AZURE")]
    UnknownVdiPlatform { value: String },
    #[error("a VDI platform applies only to a page of the instance (such as agent-workspace), not to the admin home or an external origin")]
    VdiNeedsPage,
}

impl RelayStateError {
    /// A malformed link stays malformed.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

fn check_instance_id(id: &str) -> Result<(), RelayStateError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_INSTANCE_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(RelayStateError::BadInstanceId {
            value: id.to_owned(),
        })
    }
}

/// The console host a federate URL uses for a region.
pub fn console_host(region: Region) -> Result<String, RelayStateError> {
    match region.partition() {
        Partition::Aws => Ok(format!("{region}.{COMMERCIAL_CONSOLE_SUFFIX}")),
        // The GovCloud console host names no region and reads back as the one GovCloud region
        // with Connect, so any other GovCloud region has no federate URL.
        Partition::AwsUsGov if region.as_str() == GOVCLOUD_CONNECT_REGION => {
            Ok(GOVCLOUD_CONSOLE_HOST.to_owned())
        }
        Partition::AwsUsGov => Err(RelayStateError::NoConnectInRegion {
            region: region.as_str(),
        }),
        p => Err(RelayStateError::UnsupportedPartition { partition: p.id() }),
    }
}

/// Builds the federate URL.
pub fn federate_url(target: &FederateTarget) -> Result<Url, RelayStateError> {
    check_instance_id(&target.instance_id)?;
    match &target.destination {
        Destination::Path(p) => check_path(p)?,
        Destination::Origin(o) => check_origin(o)?,
        _ => {}
    }
    if target.vdi_platform.is_some() && !target.destination.is_instance_page() {
        return Err(RelayStateError::VdiNeedsPage);
    }
    let mut url = format!(
        "https://{}{FEDERATE_PATH}{}",
        console_host(target.region)?,
        target.instance_id
    );
    let mut params = Vec::new();
    if let Some(value) = target.destination.value() {
        let value = match target.vdi_platform {
            Some(p) => {
                let sep = if value.contains('?') { '&' } else { '?' };
                format!("{value}{sep}{VDI_PARAM}={p}")
            }
            None => value.to_owned(),
        };
        params.push(format!("destination={}", uri_encode(&value)));
    }
    if target.new_domain {
        params.push(format!("{NEW_DOMAIN_PARAM}=true"));
    }
    if !params.is_empty() {
        url.push('?');
        url.push_str(&params.join("&"));
    }
    Url::parse(&url).map_err(|_| RelayStateError::NotAUrl)
}

/// The region a console host names.
fn region_of_host(host: &str) -> Result<Region, RelayStateError> {
    let not_console = || RelayStateError::NotConsole {
        host: host.to_owned(),
    };
    let name = if host == GOVCLOUD_CONSOLE_HOST {
        GOVCLOUD_CONNECT_REGION
    } else if host == COMMERCIAL_CONSOLE_SUFFIX {
        GLOBAL_CONSOLE_REGION
    } else {
        let label = host
            .strip_suffix(COMMERCIAL_CONSOLE_SUFFIX)
            .and_then(|h| h.strip_suffix('.'))
            .ok_or_else(not_console)?;
        if label.is_empty() || label.contains('.') {
            return Err(not_console());
        }
        label
    };
    let region = Region::parse(name).map_err(|_| RelayStateError::UnknownRegion {
        value: name.to_owned(),
    })?;
    let expected = if host == GOVCLOUD_CONSOLE_HOST {
        Partition::AwsUsGov
    } else {
        Partition::Aws
    };
    if region.partition() != expected {
        return Err(not_console());
    }
    Ok(region)
}

/// Removes `{sep}{name}={value}` from a destination, returning the value.
fn take_inner_param(destination: &mut String, name: &str) -> Option<String> {
    let lower = destination.to_ascii_lowercase();
    let key = format!("{}=", name.to_ascii_lowercase());
    let at = ['?', '&']
        .iter()
        .filter_map(|sep| lower.find(&format!("{sep}{key}")))
        .min()?;
    let value_start = at + 1 + key.len();
    let value_end = destination[value_start..]
        .find('&')
        .map_or(destination.len(), |i| value_start + i);
    let value = destination[value_start..value_end].to_owned();
    let rest = destination[value_end..].to_owned();
    destination.truncate(at);
    if let Some(stripped) = rest.strip_prefix('&') {
        let sep = if destination.contains('?') { '&' } else { '?' };
        destination.push(sep);
        destination.push_str(stripped);
    }
    Some(value)
}

/// Reads a federate URL (a relay state) back into what it says.
pub fn parse_federate_url(input: &str) -> Result<FederateTarget, RelayStateError> {
    let url = Url::parse(input.trim()).map_err(|_| RelayStateError::NotAUrl)?;
    let host = url.host_str().unwrap_or_default().to_owned();
    if url.scheme() != "https"
        || !url.username().is_empty()
        || url.password().is_some()
        || url.port().is_some()
    {
        return Err(RelayStateError::NotConsole { host });
    }
    let region = region_of_host(&host)?;
    let id = url
        .path()
        .strip_prefix(FEDERATE_PATH)
        .ok_or(RelayStateError::NotFederate)?;
    let id = id.strip_suffix('/').unwrap_or(id);
    check_instance_id(id)?;
    let mut destination = None;
    let mut new_domain = false;
    let mut vdi = None;
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "destination" if destination.is_none() => destination = Some(value.into_owned()),
            NEW_DOMAIN_PARAM => new_domain |= value.eq_ignore_ascii_case("true"),
            VDI_PARAM => vdi = Some(value.parse::<VdiPlatform>()?),
            _ => {}
        }
    }
    let mut destination = destination.unwrap_or_default();
    if let Some(v) = take_inner_param(&mut destination, NEW_DOMAIN_PARAM) {
        new_domain |= v.eq_ignore_ascii_case("true");
    }
    if let Some(v) = take_inner_param(&mut destination, VDI_PARAM) {
        vdi = Some(v.parse::<VdiPlatform>()?);
    }
    let lower = destination.to_ascii_lowercase();
    let destination = if destination.is_empty() {
        Destination::Admin
    } else if lower.starts_with("https://") || lower.starts_with("http://") {
        // The same rule as a configured origin (so `http://`, a fragment or a control character
        // is refused here too, and what is read can be built again).
        check_origin(&destination)?;
        Destination::Origin(destination)
    } else {
        Destination::from_path(&destination)?
    };
    if vdi.is_some() && !destination.is_instance_page() {
        return Err(RelayStateError::VdiNeedsPage);
    }
    Ok(FederateTarget {
        region,
        instance_id: id.to_owned(),
        destination,
        new_domain,
        vdi_platform: vdi,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const ID: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";

    fn region(name: &str) -> Region {
        Region::parse(name).unwrap()
    }

    fn target(
        region_name: &str,
        destination: Destination,
        new_domain: bool,
        vdi: Option<VdiPlatform>,
    ) -> FederateTarget {
        FederateTarget {
            region: region(region_name),
            instance_id: ID.into(),
            destination,
            new_domain,
            vdi_platform: vdi,
        }
    }

    fn built(t: &FederateTarget) -> String {
        federate_url(t).unwrap().to_string()
    }

    #[test]
    fn every_destination_in_every_partition_whole() {
        let base = format!("https://us-east-1.console.aws.amazon.com/connect/federate/{ID}");
        let gov = format!("https://console.amazonaws-us-gov.com/connect/federate/{ID}");
        let cases = [
            (target("us-east-1", Destination::Ccp, false, None), format!("{base}?destination=%2Fccp-v2")),
            (target("us-east-1", Destination::CcpChat, true, None), format!("{base}?destination=%2Fccp-v2%2Fchat&new_domain=true")),
            (target("us-east-1", Destination::AgentWorkspace, false, None), format!("{base}?destination=%2Fagent-app-v2")),
            (target("us-east-1", Destination::Admin, false, None), base.clone()),
            (target("us-east-1", Destination::Admin, true, None), format!("{base}?new_domain=true")),
            (
                target("us-east-1", Destination::AgentWorkspace, false, Some(VdiPlatform::Citrix413)),
                format!("{base}?destination=%2Fagent-app-v2%3FVDIPlatform%3DCITRIX_413"),
            ),
            (
                target("us-east-1", Destination::Path("/connect/ccp-v2".into()), false, None),
                format!("{base}?destination=%2Fconnect%2Fccp-v2"),
            ),
            (
                target("us-east-1", Destination::Origin("https://your-site.example.com".into()), false, None),
                format!("{base}?destination=https%3A%2F%2Fyour-site.example.com"),
            ),
            (
                target("eu-west-2", Destination::Ccp, true, None),
                format!("https://eu-west-2.console.aws.amazon.com/connect/federate/{ID}?destination=%2Fccp-v2&new_domain=true"),
            ),
            (target("us-gov-west-1", Destination::Ccp, false, None), format!("{gov}?destination=%2Fccp-v2")),
            (target("us-gov-west-1", Destination::Admin, false, None), gov.clone()),
            (
                target("us-gov-west-1", Destination::AgentWorkspace, true, Some(VdiPlatform::Azure)),
                format!("{gov}?destination=%2Fagent-app-v2%3FVDIPlatform%3DAZURE&new_domain=true"),
            ),
        ];
        for (t, expected) in cases {
            assert_eq!(built(&t), expected, "{t:?}");
            assert_eq!(parse_federate_url(&expected), Ok(t));
        }
    }

    #[test]
    fn builder_refusals() {
        assert_eq!(
            federate_url(&target("cn-north-1", Destination::Ccp, false, None)),
            Err(RelayStateError::UnsupportedPartition {
                partition: "aws-cn"
            })
        );
        assert_eq!(
            federate_url(&target(
                "us-east-1",
                Destination::Admin,
                false,
                Some(VdiPlatform::Omnissa)
            )),
            Err(RelayStateError::VdiNeedsPage)
        );
        let mut bad = target("us-east-1", Destination::Ccp, false, None);
        bad.instance_id = "../x".into();
        assert!(matches!(
            federate_url(&bad),
            Err(RelayStateError::BadInstanceId { .. })
        ));
        assert!(federate_url(&target(
            "us-east-1",
            Destination::Path("//evil.example".into()),
            false,
            None
        ))
        .is_err());
    }

    #[test]
    fn configured_destinations() {
        let approved = vec!["https://crm.example.com".to_owned()];
        assert_eq!(Destination::parse(" CCP ", &approved), Ok(Destination::Ccp));
        assert_eq!(
            Destination::parse("agent-workspace", &approved),
            Ok(Destination::AgentWorkspace)
        );
        assert_eq!(
            Destination::parse("/ccp-v2/chat", &approved),
            Ok(Destination::CcpChat)
        );
        assert_eq!(
            Destination::parse("/ccp-v2/softphone", &approved),
            Ok(Destination::Path("/ccp-v2/softphone".into()))
        );
        assert_eq!(
            Destination::parse("https://crm.example.com/agent", &approved),
            Ok(Destination::Origin("https://crm.example.com/agent".into()))
        );
        assert_eq!(
            Destination::parse("https://evil.example.com", &approved),
            Err(RelayStateError::OriginNotApproved {
                origin: "https://evil.example.com".into()
            })
        );
        for bad in [
            "http://crm.example.com",
            "ccp-v2",
            "//crm.example.com",
            "/a b",
            "/agent-app-v2?VDIPlatform=AZURE",
            "javascript:alert(1)",
        ] {
            assert!(Destination::parse(bad, &approved).is_err(), "{bad}");
        }
        assert_eq!(Destination::AgentWorkspace.to_string(), "agent-workspace");
        assert_eq!(
            "aws_workspace".parse::<VdiPlatform>(),
            Ok(VdiPlatform::AwsWorkspace)
        );
        assert!("citrix".parse::<VdiPlatform>().is_err());
    }

    #[test]
    fn other_documented_forms_parse() {
        let t = parse_federate_url(&format!("https://us-east-1.console.aws.amazon.com/connect/federate/{ID}?destination=%2Fccp-v2%2Fchat%26new_domain%3Dtrue")).unwrap();
        assert_eq!((t.destination, t.new_domain), (Destination::CcpChat, true));
        let t = parse_federate_url(&format!(
            "https://console.aws.amazon.com/connect/federate/{ID}/"
        ))
        .unwrap();
        assert_eq!(
            (t.region, t.destination),
            (region("us-east-1"), Destination::Admin)
        );
        let t = parse_federate_url(&format!(
            "https://ap-southeast-2.console.aws.amazon.com/connect/federate/{ID}?destination=%2Fagent-app-v2?VDIPlatform=OMNISSA"
        ))
        .unwrap();
        assert_eq!(
            (t.destination, t.vdi_platform),
            (Destination::AgentWorkspace, Some(VdiPlatform::Omnissa))
        );
        let t = parse_federate_url(&format!("https://eu-central-1.console.aws.amazon.com/connect/federate/{ID}?destination=%2Fagent-app-v2&VDIPlatform=AWS_WORKSPACE&x=1")).unwrap();
        assert_eq!(t.vdi_platform, Some(VdiPlatform::AwsWorkspace));
    }

    #[test]
    fn bad_relay_states_say_what_is_wrong() {
        let cases = [
            ("", RelayStateError::NotAUrl),
            ("https://evil.example.com/connect/federate/x", RelayStateError::NotConsole { host: "evil.example.com".into() }),
            (
                "https://us-east-1.console.aws.amazon.com.evil.com/connect/federate/x",
                RelayStateError::NotConsole { host: "us-east-1.console.aws.amazon.com.evil.com".into() },
            ),
            ("http://us-east-1.console.aws.amazon.com/connect/federate/x", RelayStateError::NotConsole { host: "us-east-1.console.aws.amazon.com".into() }),
            ("https://us-east-1.console.aws.amazon.com/console/home", RelayStateError::NotFederate),
            ("https://us-east-1.console.aws.amazon.com/connect/federate/", RelayStateError::BadInstanceId { value: String::new() }),
            ("https://mars-east-1.console.aws.amazon.com/connect/federate/x", RelayStateError::UnknownRegion { value: "mars-east-1".into() }),
            (
                "https://us-gov-west-1.console.aws.amazon.com/connect/federate/x",
                RelayStateError::NotConsole { host: "us-gov-west-1.console.aws.amazon.com".into() },
            ),
            ("https://us-east-1.console.aws.amazon.com/connect/federate/x?VDIPlatform=NOPE&destination=%2Fccp-v2", RelayStateError::UnknownVdiPlatform { value: "NOPE".into() }),
            ("https://us-east-1.console.aws.amazon.com/connect/federate/x?destination=ccp-v2", RelayStateError::BadDestination { value: "ccp-v2".into() }),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_federate_url(input), Err(expected), "{input}");
        }
    }

    /// Found by the `relay_state` fuzz target: `https:/a11` is a URL to the URL parser (it reads
    /// `https://a11/`) but not an origin to the relay-state reader, so the built link did not read
    /// back; such text, and an origin carrying the parameters that have settings of their own, are
    /// refused when configured and when building.
    #[test]
    fn an_origin_must_read_back_as_written() {
        let approved = [
            "https://a11".to_owned(),
            "https://crm.example.com".to_owned(),
        ];
        for input in [
            "https:/a11",
            "https:\\\\a11",
            "https://crm.example.com/x#frag",
            "https://crm.example.com/?new_domain=true",
            "https://crm.example.com/?VDIPlatform=AZURE",
        ] {
            assert_eq!(
                Destination::parse(input, &approved),
                Err(RelayStateError::BadDestination {
                    value: input.to_owned()
                }),
                "{input}"
            );
        }
        let t = FederateTarget {
            region: region("eu-west-2"),
            instance_id: ID.to_owned(),
            destination: Destination::Origin("https:/a11".to_owned()),
            new_domain: false,
            vdi_platform: None,
        };
        assert!(matches!(
            federate_url(&t),
            Err(RelayStateError::BadDestination { .. })
        ));
        let ok = Destination::parse("https://crm.example.com/cases/42", &approved).unwrap();
        let t = FederateTarget {
            destination: ok.clone(),
            ..t
        };
        assert_eq!(
            parse_federate_url(federate_url(&t).unwrap().as_str())
                .unwrap()
                .destination,
            ok
        );
    }

    /// Found by the `relay_state` fuzz target: us-gov-east-1 built the GovCloud console URL,
    /// which reads back as us-gov-west-1 (the only GovCloud region with Connect).
    #[test]
    fn an_external_destination_is_read_by_the_configured_rule() {
        // Found by the `relay_state` fuzz target: a control character inside (here %1F) was read
        // into an origin that could not be built again.
        for destination in [
            "https%3A%2F%2Fcrm.example.com%1Fcases",
            "http%3A%2F%2Fcrm.example.com",
        ] {
            let input = format!(
                "https://console.aws.amazon.com/connect/federate/{ID}?destination={destination}"
            );
            assert!(
                matches!(
                    parse_federate_url(&input),
                    Err(RelayStateError::BadDestination { .. })
                ),
                "{input}"
            );
        }
    }

    #[test]
    fn only_the_govcloud_connect_region_has_a_federate_url() {
        assert_eq!(
            console_host(region("us-gov-east-1")),
            Err(RelayStateError::NoConnectInRegion {
                region: "us-gov-east-1"
            })
        );
        let t = target("us-gov-east-1", Destination::Ccp, false, None);
        let err = federate_url(&t).unwrap_err();
        assert!(err.to_string().contains("us-gov-west-1 only"), "{err}");
    }

    fn arb_region() -> impl Strategy<Value = Region> {
        let names: Vec<&'static str> = crate::region::known_regions()
            .filter(|r| {
                Region::parse(r)
                    .map(|r| r.partition() == Partition::Aws)
                    .unwrap_or(false)
            })
            .chain([GOVCLOUD_CONNECT_REGION])
            .collect();
        proptest::sample::select(names).prop_map(|n| Region::parse(n).unwrap())
    }

    fn arb_destination() -> impl Strategy<Value = Destination> {
        prop_oneof![
            Just(Destination::Ccp),
            Just(Destination::CcpChat),
            Just(Destination::AgentWorkspace),
            Just(Destination::Admin),
            "(/[A-Za-z0-9._~!$'()*+,;:@%=-]{0,12}){1,4}(\\?[a-z]{1,5}=[A-Za-z0-9%+ ]{0,6})?"
                .prop_filter_map("a valid custom path", |p| Destination::from_path(&p).ok()),
            "https://[a-z0-9]{1,10}(\\.[a-z0-9]{1,8}){1,2}(/[A-Za-z0-9._~%-]{0,10})?"
                .prop_map(Destination::Origin),
        ]
    }

    prop_compose! {
        fn arb_target()(
            region in arb_region(),
            instance_id in "[A-Za-z0-9-]{1,100}",
            destination in arb_destination(),
            new_domain in any::<bool>(),
            vdi in proptest::option::of(proptest::sample::select(VdiPlatform::ALL.to_vec())),
        ) -> FederateTarget {
            let vdi_platform = if destination.is_instance_page() { vdi } else { None };
            FederateTarget { region, instance_id, destination, new_domain, vdi_platform }
        }
    }

    proptest! {
        #[test]
        fn every_built_url_parses_back(t in arb_target()) {
            let url = federate_url(&t).unwrap();
            prop_assert_eq!(parse_federate_url(url.as_str()), Ok(t));
        }

        #[test]
        fn destination_values_are_encoded_whole(t in arb_target()) {
            let url = federate_url(&t).unwrap();
            let query = url.query().unwrap_or_default();
            for param in query.split('&').filter(|p| !p.is_empty()) {
                let (_, value) = param.split_once('=').unwrap();
                prop_assert!(value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)), "{}", value);
            }
        }
    }
}
