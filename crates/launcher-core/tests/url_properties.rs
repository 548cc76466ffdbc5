//! Every URL the launcher builds reads back to what went in (the federate URL's own property test
//! is beside it in `relay_state`): the authorize URL, the SAML deep link, Connect's logout page, the
//! console login URL and the sign-out hop around it, and the emulator mapping of real URLs.
//! Inputs are arbitrary text, not only the shapes AWS uses, because much of it comes from
//! responses and settings.

use std::collections::BTreeMap;

use launcher_core::connect::DomainForm;
use launcher_core::console_federation::{federation_endpoint, login_url, logout_first};
use launcher_core::end_shift::connect_logout_url;
use launcher_core::endpoints::{Endpoints, WEB_ENDPOINT_ENV};
use launcher_core::launch::saml_deep_link;
use launcher_core::pkce::{authorize_url, State};
use launcher_core::region::{known_regions, Region};
use launcher_core::secret::Secret;
use launcher_core::start_url::StartUrl;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use url::Url;

fn query(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

fn value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

fn arb_region() -> impl Strategy<Value = Region> {
    let names: Vec<&'static str> = known_regions().collect();
    proptest::sample::select(names).prop_map(|n| Region::parse(n).expect("known"))
}

/// Text as it may come from a response or a settings file: any characters, some of them the
/// ones URLs treat specially.
fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,24}",
        "[A-Za-z0-9 /?#&=%+:@.~_-]{0,24}",
        "[a-z0-9-]{1,20}",
    ]
}

/// Found by `connect_logout_is_on_the_instance_host_or_not_at_all`: an alias ending in `#` (or
/// holding `/`, `?`, `@` or a dot) put the logout page on another host.
#[test]
fn an_alias_that_is_not_a_host_label_has_no_logout_page() {
    for alias in [
        "a#",
        "evil.example#",
        "evil.example/x?",
        "user@evil.example",
        "a.b",
        "𒾐",
        "-a",
        "",
    ] {
        assert_eq!(connect_logout_url(alias, DomainForm::New), None, "{alias}");
        assert_eq!(
            connect_logout_url(alias, DomainForm::Legacy),
            None,
            "{alias}"
        );
    }
    assert_eq!(
        connect_logout_url("Acme-Support", DomainForm::New).map(String::from),
        Some("https://acme-support.my.connect.aws/logout".to_owned())
    );
}

proptest! {
    #[test]
    fn the_authorize_url_carries_every_parameter_whole(
        client_id in arb_text(),
        port in 1u16..,
        scopes in proptest::collection::vec("[a-z:]{1,12}", 0..3),
        challenge in "[A-Za-z0-9_-]{43}",
        oidc in prop_oneof![
            Just("https://oidc.eu-west-2.amazonaws.com"),
            Just("http://127.0.0.1:4001/"),
        ],
    ) {
        let state = State::generate();
        let built = authorize_url(oidc, &client_id, port, &state, &scopes, &challenge);
        let url = Url::parse(&built).expect("parses");
        prop_assert_eq!(url.path(), "/authorize");
        prop_assert_eq!(url.origin(), Url::parse(oidc).expect("base").origin());
        let expected_scopes = if scopes.is_empty() {
            "sso:account:access".to_owned()
        } else {
            scopes.join(" ")
        };
        prop_assert_eq!(
            query(&url),
            vec![
                ("response_type".to_owned(), "code".to_owned()),
                ("client_id".to_owned(), client_id.clone()),
                ("redirect_uri".to_owned(), format!("http://127.0.0.1:{port}/oauth/callback")),
                ("state".to_owned(), state.as_str().to_owned()),
                ("code_challenge_method".to_owned(), "S256".to_owned()),
                ("scopes".to_owned(), expected_scopes),
                ("code_challenge".to_owned(), challenge.clone()),
            ]
        );
    }

    #[test]
    fn the_saml_deep_link_carries_the_name_and_id_whole(
        start in prop_oneof![
            Just("https://d-1234567890.awsapps.com/start"),
            Just("https://mycompany.awsapps.com/start/"),
            Just("https://ssoins-1234567890abcdef.portal.eu-west-2.app.aws"),
        ],
        name in arb_text(),
        id in arb_text(),
    ) {
        let start_url = StartUrl::parse(start, false).expect("a start URL");
        let link = saml_deep_link(&start_url, &name, &id);
        let url = Url::parse(&link).expect("parses");
        let mut before_fragment = url.clone();
        before_fragment.set_fragment(None);
        prop_assert_eq!(
            before_fragment.as_str().trim_end_matches('/'),
            start_url.as_str().trim_end_matches('/')
        );
        let fragment = url.fragment().expect("a fragment");
        let segments: Vec<String> = fragment
            .split('/')
            .map(|s| percent_decode_str(s).decode_utf8().expect("UTF-8").into_owned())
            .collect();
        prop_assert_eq!(segments, vec![
            String::new(), "saml".to_owned(), "default".to_owned(), name.clone(), id.clone(),
        ]);
    }

    #[test]
    fn connect_logout_is_on_the_instance_host_or_not_at_all(
        alias in arb_text(),
        domain in prop_oneof![Just(DomainForm::New), Just(DomainForm::Legacy), Just(DomainForm::Unknown)],
    ) {
        let (suffix, path) = match domain {
            DomainForm::Legacy => ("awsapps.com", "/connect/logout"),
            DomainForm::New | DomainForm::Unknown => ("my.connect.aws", "/logout"),
        };
        match connect_logout_url(&alias, domain) {
            Some(url) => {
                prop_assert_eq!(url.scheme(), "https");
                let host = format!("{}.{suffix}", alias.to_ascii_lowercase());
                prop_assert_eq!(url.host_str(), Some(host.as_str()), "{}", url);
                prop_assert_eq!(url.path(), path);
                prop_assert!(url.query().is_none() && url.fragment().is_none() && url.port().is_none());
                prop_assert!(url.username().is_empty() && url.password().is_none());
            }
            // Refused only when the alias could not be a host name label.
            None => prop_assert!(
                alias.is_empty()
                    || alias.len() > 63
                    || alias.starts_with('-')
                    || alias.ends_with('-')
                    || !alias.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "{:?} refused", alias
            ),
        }
    }

    #[test]
    fn a_valid_alias_always_has_a_logout_page(alias in "[a-z0-9][a-z0-9-]{0,40}[a-z0-9]") {
        prop_assert!(connect_logout_url(&alias, DomainForm::New).is_some());
        prop_assert!(connect_logout_url(&alias, DomainForm::Legacy).is_some());
    }

    #[test]
    fn the_console_login_url_and_sign_out_hop_carry_what_went_in(
        region in arb_region(),
        issuer in arb_text(),
        destination in "https://[a-z][a-z0-9]{0,11}\\.console\\.aws\\.amazon\\.com/connect/federate/[A-Za-z0-9-]{1,36}(\\?destination=%2F[a-z0-9%-]{0,16})?",
        token in "[A-Za-z0-9+/=_-]{1,64}",
    ) {
        let Ok(endpoint) = federation_endpoint(region) else {
            return Ok(()); // a partition without console sign-in (checked in console_federation)
        };
        let destination = Url::parse(&destination).expect("a destination");
        let login = login_url(&endpoint, &issuer, &destination, &Secret::new(token.clone()));
        let parsed = Url::parse(login.expose()).expect("the login URL parses");
        prop_assert_eq!(parsed.origin(), endpoint.origin());
        prop_assert_eq!(parsed.path(), "/federation");
        prop_assert_eq!(
            query(&parsed),
            vec![
                ("Action".to_owned(), "login".to_owned()),
                ("Issuer".to_owned(), issuer.clone()),
                ("Destination".to_owned(), destination.as_str().to_owned()),
                ("SigninToken".to_owned(), token.clone()),
            ]
        );
        let hop = logout_first(region, &login).expect("the region has a sign-in host");
        let hop = Url::parse(hop.expose()).expect("the sign-out hop parses");
        prop_assert_eq!(hop.origin(), endpoint.origin());
        prop_assert_eq!(hop.path(), "/oauth");
        prop_assert_eq!(value(&hop, "Action"), Some("logout".to_owned()));
        prop_assert_eq!(value(&hop, "redirect_uri"), Some(login.expose().to_owned()));
    }

    #[test]
    fn emulator_urls_map_back_to_the_real_ones(
        host in "[a-z][a-z0-9-]{0,10}[a-z0-9](\\.[a-z][a-z0-9]{0,11}){1,3}",
        path in "(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,10}){0,4}",
        query_text in proptest::option::of("[A-Za-z0-9=&%._~-]{0,20}"),
        web in prop_oneof![Just("http://127.0.0.1:4567"), Just("http://127.0.0.1:4567/web/")],
    ) {
        let env = BTreeMap::from([(WEB_ENDPOINT_ENV.to_owned(), web.to_owned())]);
        let endpoints = Endpoints::resolve(Region::parse("us-east-1").expect("region"), &env)
            .expect("endpoints");
        let mut real = format!("https://{host}{path}");
        if let Some(q) = &query_text {
            real.push('?');
            real.push_str(q);
        }
        let real = Url::parse(&real).expect("a real URL");
        let reachable = endpoints.reachable(&real);
        prop_assert_eq!(reachable.origin(), Url::parse(web).expect("web").origin());
        prop_assert_eq!(endpoints.real(&reachable), Some(real));
    }
}
