//! `connect-launcher open --relaunch` against the emulator, whose Connect keeps a session when
//! signed in again and starts a new 12 h only after `/logout`. The `$BROWSER` follows every URL
//! with one cookie jar and hands each page it lands on to the test through a FIFO, in order.

mod support;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use support::{element, fifo, ok, signed_in, text, World, ALEX};

const ACME_STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";

/// The next page the browser writes to the FIFO.
fn next_page(page: &Path) -> String {
    let mut html = String::new();
    std::fs::File::open(page)
        .unwrap()
        .read_to_string(&mut html)
        .unwrap();
    html
}

/// Opens acme-staging with `extra` arguments and returns the CCP page the browser landed on.
fn open(w: &World, page: &Path, extra: &[&str]) -> String {
    let mut args = vec!["open", "acme-staging"];
    args.extend_from_slice(extra);
    let out = w.cmd(&args).env("BROWSER_PAGE_OUT", page).output().unwrap();
    ok(&out);
    let html = next_page(page);
    assert_eq!(
        element(&html, "instance-id").as_deref(),
        Some(ACME_STAGING),
        "{html}"
    );
    html
}

#[test]
fn relaunch_logs_out_of_connect_then_signs_in_to_a_new_12_hours() {
    let w = signed_in(ALEX);
    let page = fifo(&w.tmp.path().join("page.pipe"));
    let first = open(&w, &page, &[]);
    let first_ends = element(&first, "session-ends").expect("the session's end");

    // Half an hour on, opening it again keeps Connect's session and its end.
    w.emu.clock().advance(Duration::from_secs(30 * 60));
    let again = open(&w, &page, &[]);
    assert_eq!(
        element(&again, "session-ends"),
        Some(first_ends.clone()),
        "signing in again does not restart Connect's 12 hours"
    );

    // Re-launch: Connect's logout page first, then (after the wait) the new sign-in.
    let child = w
        .cmd(&["open", "acme-staging", "--relaunch"])
        .env("BROWSER_PAGE_OUT", &page)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let logout = next_page(&page);
    assert!(logout.contains(r#"id="logged-out""#), "{logout}");
    let relaunched = next_page(&page);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "Opened Amazon Connect's logout for acme-staging, then a fresh sign-in (ccp)"
        ),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        element(&relaunched, "instance-id").as_deref(),
        Some(ACME_STAGING),
        "{relaunched}"
    );
    let new_ends = element(&relaunched, "session-ends").expect("the new session's end");
    assert!(
        new_ends > first_ends,
        "a new session, 12 h from the re-launch: {new_ends} after {first_ends}"
    );

    let opened = std::fs::read_to_string(w.tmp.path().join("opened.txt")).unwrap();
    let opened: Vec<&str> = opened
        .lines()
        .filter(|u| !u.contains("/authorize?"))
        .collect();
    assert_eq!(opened.len(), 4, "{opened:?}");
    assert_eq!(
        opened[2],
        w.emu
            .urls()
            .web_url("acme-staging.my.connect.aws", "/logout"),
        "Connect's logout is opened before the new sign-in"
    );
    assert!(
        opened[3].starts_with(&format!(
            "{}/signin.aws.amazon.com/oauth?Action=logout&redirect_uri=",
            w.emu.urls().web
        )),
        "then a fresh federation"
    );
}

#[test]
fn relaunch_cannot_be_printed() {
    let w = signed_in(ALEX);
    let out = w.run(&["open", "acme-staging", "--relaunch", "--print"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot be used with"),
        "{}",
        text(&out.stderr)
    );
}
