//! IAM Identity Center portal answers (ListAccounts, ListAccountRoles, GetRoleCredentials, and the
//! undocumented application listing and profiles): bytes from the network.
//!
//! The first byte picks the parser. Invariants: every member the launcher needs is there and not
//! empty; a role always belongs to an account; an absent relay state is `None`, never blank;
//! credentials' secrets never show in `Debug`; a refusal says something and never quotes a secret
//! from the answer.
#![no_main]

use launcher_core::portal::{
    parse_accounts, parse_app_instances, parse_app_profiles, parse_role_credentials, parse_roles,
};
use launcher_fuzz::{assert_not_shown, select};
use libfuzzer_sys::fuzz_target;

const ACCOUNT: &str = "111122223333";

fn refused(err: &str) {
    assert!(!err.trim().is_empty(), "a refusal with no reason");
}

fuzz_target!(|data: &[u8]| {
    let (which, body) = select(data, 5);
    match which {
        0 => match parse_accounts(body) {
            Ok(page) => {
                for a in &page.items {
                    assert!(!a.account_id.is_empty());
                }
                assert_ne!(page.next_token.as_deref(), Some(""));
            }
            Err(e) => refused(&e),
        },
        1 => match parse_roles(body, ACCOUNT) {
            Ok(page) => {
                for r in &page.items {
                    assert!(!r.account_id.is_empty() && !r.role_name.is_empty());
                }
                assert_ne!(page.next_token.as_deref(), Some(""));
            }
            Err(e) => refused(&e),
        },
        2 => match parse_role_credentials(body) {
            Ok(c) => {
                assert!(!c.access_key_id.is_empty());
                let debug = format!("{c:?}");
                assert_not_shown(&debug, c.secret_access_key.expose(), &[&c.access_key_id]);
                assert_not_shown(&debug, c.session_token.expose(), &[&c.access_key_id]);
            }
            Err(e) => {
                refused(&e);
                // A refusal names what is wrong, never a value from the answer.
                assert!(e.len() < 200, "{e}");
            }
        },
        3 => match parse_app_instances(body) {
            Ok(page) => {
                for a in &page.items {
                    assert!(!a.id.is_empty() && !a.name.is_empty());
                    assert_ne!(a.account_id.as_deref(), Some(""));
                }
            }
            Err(e) => refused(&e),
        },
        _ => match parse_app_profiles(body) {
            Ok(page) => {
                for p in &page.items {
                    assert!(!p.id.is_empty() && !p.name.is_empty());
                    if let Some(r) = &p.relay_state {
                        assert!(!r.trim().is_empty());
                    }
                }
            }
            Err(e) => refused(&e),
        },
    }
});
