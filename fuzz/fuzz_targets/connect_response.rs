//! Amazon Connect answers (ListInstances, DescribeInstance, GetFederationToken) and the AWS
//! sign-in federation's `getSigninToken`: bytes from the network.
//!
//! The first byte picks the parser. Invariants: an instance has an id, and its access URL (when
//! there is one) is a URL that reads back to itself; a federation token has a user id and
//! expirations that are real times; tokens never show in `Debug`; a refusal says something.
#![no_main]

use std::time::SystemTime;

use launcher_core::connect::{
    parse_federation_token, parse_instance, parse_instances, InstanceSummary,
};
use launcher_core::console_federation::parse_signin_token;
use launcher_core::region::Region;
use launcher_fuzz::{assert_not_shown, assert_says_something, select};
use libfuzzer_sys::fuzz_target;
use url::Url;

fn check_instance(i: &InstanceSummary, region: Region) {
    assert!(!i.id.is_empty());
    assert_eq!(i.region, region);
    for text in [&i.arn, &i.alias, &i.status].into_iter().flatten() {
        assert!(!text.is_empty(), "{i:?}");
    }
    if let Some(url) = &i.access_url {
        assert_eq!(Url::parse(url.as_str()).as_ref(), Ok(url), "{i:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let region = Region::parse("eu-west-2").expect("a known region");
    let same = |u: Url| u;
    let (which, body) = select(data, 4);
    match which {
        0 => match parse_instances(body, region, &same) {
            Ok((items, next)) => {
                items.iter().for_each(|i| check_instance(i, region));
                assert_ne!(next.as_deref(), Some(""));
            }
            Err(e) => assert!(!e.trim().is_empty()),
        },
        1 => match parse_instance(body, region, &same) {
            Ok(i) => check_instance(&i, region),
            Err(e) => assert!(!e.trim().is_empty()),
        },
        2 => match parse_federation_token(body) {
            Ok(t) => {
                assert!(!t.user_id.is_empty());
                for at in [t.access_token_expiration, t.refresh_token_expiration] {
                    assert!(at >= SystemTime::UNIX_EPOCH);
                }
                let debug = format!("{t:?}");
                let mut public = vec![t.user_id.as_str()];
                public.extend(t.user_arn.as_deref());
                assert_not_shown(&debug, t.access_token.expose(), &public);
                assert_not_shown(&debug, t.refresh_token.expose(), &public);
                if let Some(url) = &t.sign_in_url {
                    assert_not_shown(&debug, url.expose(), &public);
                }
            }
            Err(e) => assert!(!e.trim().is_empty()),
        },
        _ => match parse_signin_token(body) {
            Ok(token) => {
                assert!(!token.expose().is_empty());
                assert_not_shown(&format!("{token:?}"), token.expose(), &[]);
            }
            Err(err) => assert_says_something(&err),
        },
    }
});
