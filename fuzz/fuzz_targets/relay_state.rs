//! The relay state: the federate URL the launcher builds from settings and reads from a SAML
//! application's profile, and the console sign-in URLs wrapped around it.
//!
//! The first byte picks the mode.
//! - Read: the rest is a relay state from a response. Whatever `parse_federate_url` accepts,
//!   `federate_url` builds again, and that URL reads back to the same target.
//! - Build: the rest picks a region, `new_domain` and a VDI platform (three bytes), then lines:
//!   an instance id, a destination as configured, an issuer, and approved origins. Every input is
//!   either refused with a message or becomes an https URL on the region's console host that reads
//!   back to what went in; the console login URL around it carries it whole, and the sign-out hop
//!   around that carries the login URL whole.
#![no_main]

use launcher_core::console_federation::{federation_endpoint, login_url, logout_first};
use launcher_core::region::{known_regions, Region};
use launcher_core::relay_state::{
    console_host, federate_url, parse_federate_url, Destination, FederateTarget, VdiPlatform,
};
use launcher_core::secret::Secret;
use launcher_fuzz::{assert_says_something, select};
use libfuzzer_sys::fuzz_target;
use url::Url;

fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

fn read(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let target = match parse_federate_url(input) {
        Ok(target) => target,
        Err(err) => return assert_says_something(&err),
    };
    let url = federate_url(&target)
        .unwrap_or_else(|err| panic!("read {target:?} from {input:?} but cannot build it: {err}"));
    assert_eq!(
        parse_federate_url(url.as_str()),
        Ok(target),
        "{input:?} → {url}"
    );
}

fn build(data: &[u8]) {
    let regions: Vec<&str> = known_regions().collect();
    let [r, flags, v, rest @ ..] = data else {
        return;
    };
    let region = Region::parse(regions[usize::from(*r) % regions.len()]).expect("known");
    let vdi_platform = VdiPlatform::ALL.get(usize::from(*v)).copied();
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.split('\n');
    let instance_id = lines.next().unwrap_or_default().to_owned();
    let destination_input = lines.next().unwrap_or_default();
    let issuer = lines.next().unwrap_or_default().to_owned();
    let approved: Vec<String> = lines.map(str::to_owned).collect();
    let destination = match Destination::parse(destination_input, &approved) {
        Ok(d) => d,
        Err(err) => return assert_says_something(&err),
    };
    let target = FederateTarget {
        region,
        instance_id,
        destination,
        new_domain: flags & 1 == 1,
        vdi_platform,
    };
    let url = match federate_url(&target) {
        Ok(url) => url,
        Err(err) => return assert_says_something(&err),
    };
    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host_str(), console_host(region).ok().as_deref());
    assert!(url.username().is_empty() && url.port().is_none() && url.fragment().is_none());
    assert_eq!(
        parse_federate_url(url.as_str()).as_ref(),
        Ok(&target),
        "{url}"
    );

    let Ok(endpoint) = federation_endpoint(region) else {
        return;
    };
    let token = Secret::new("fuzz-signin-token/+=".to_owned());
    let login = login_url(&endpoint, &issuer, &url, &token);
    let login_parsed = Url::parse(login.expose()).expect("the login URL parses");
    assert_eq!(login_parsed.host_str(), endpoint.host_str());
    assert_eq!(
        query_value(&login_parsed, "Action").as_deref(),
        Some("login")
    );
    assert_eq!(query_value(&login_parsed, "Issuer"), Some(issuer));
    assert_eq!(
        query_value(&login_parsed, "Destination").as_deref(),
        Some(url.as_str())
    );
    assert_eq!(
        query_value(&login_parsed, "SigninToken").as_deref(),
        Some(token.expose())
    );
    let hop = logout_first(region, &login).expect("the sign-in host exists");
    let hop = Url::parse(hop.expose()).expect("the sign-out hop parses");
    assert_eq!(hop.host_str(), endpoint.host_str());
    assert_eq!(query_value(&hop, "Action").as_deref(), Some("logout"));
    assert_eq!(
        query_value(&hop, "redirect_uri").as_deref(),
        Some(login.expose())
    );
}

fuzz_target!(|data: &[u8]| {
    match select(data, 2) {
        (0, rest) => read(rest),
        (_, rest) => build(rest),
    }
});
