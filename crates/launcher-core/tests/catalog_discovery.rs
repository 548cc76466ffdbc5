//! Discovery against the emulator: the demo and Northwind organisations merged into one catalog
//! from SAML applications, permission sets and pinned instances; a 429 storm and a generated
//! organisation of 200 accounts under the portal's rate limit; soft failures; the disk cache.

mod emulated_org;

use std::sync::Mutex;

use aws_emulator::{generate, Org};
use emulated_org::*;
use launcher_core::catalog::{
    self, discover, CacheRead, CatalogEntry, CatalogError, DiscoveryOptions, LaunchMethod,
    PinnedInstance, PinnedVia, Progress, Source, Stage,
};
use launcher_core::clock::Clock;
use launcher_core::connect::DomainForm;
use launcher_core::secret::Secret;

const SAM: &str = "sam.chen@example.com";
const ACME_PROD: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";
const ACME_EMEA: &str = "b7f2e9a4-3c1d-4e8f-a6b5-9d0c2e4f6a88";
const ACME_STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";
const ACME_GOV: &str = "9c3e5a7b-1d2f-4a6c-8e0b-3f5d7a9c1e22";

/// Northwind's warnings: the broken Connect application, and the Salesforce one (the emulator
/// presents every SAML application as an "Amazon Connect" one, so it is not skipped quietly).
const RILEY_WARNINGS: [&str; 2] = [
    "the application \"Amazon Connect - nw-old\" is not listed: its relay state is not usable (`` is not an Amazon Connect instance id (1 to 100 letters, digits and hyphens))",
    "the application \"Salesforce\" is not listed: its relay state is not usable (the relay state must be an https address on the AWS console (https://REGION.console.aws.amazon.com/connect/federate/INSTANCE_ID), not one on `northwind.my.salesforce.com`)",
];

fn options(regions: &[&str]) -> DiscoveryOptions {
    let mut o = DiscoveryOptions::new(region("us-east-1"));
    o.connect_regions = regions.iter().map(|r| region(r)).collect();
    o
}

fn no_progress(_: Progress) {}

fn saml(id: &str, name: &str, relay_state: &str) -> LaunchMethod {
    LaunchMethod::SamlApplication {
        app_instance_id: id.into(),
        name: name.into(),
        relay_state: relay_state.into(),
    }
}

fn perm(account: &str, role: &str) -> LaunchMethod {
    LaunchMethod::PermissionSet {
        account_id: account.into(),
        role_name: role.into(),
    }
}

fn entry(
    id: &str,
    alias: Option<&str>,
    region: &str,
    account: Option<&str>,
    domain: DomainForm,
    methods: Vec<LaunchMethod>,
    sources: Vec<Source>,
) -> CatalogEntry {
    CatalogEntry {
        instance_id: id.into(),
        alias: alias.map(Into::into),
        region: region.into(),
        account_id: account.map(Into::into),
        account_name: None,
        domain,
        launch_methods: methods,
        sources,
    }
}

/// `e`, with its account's name as ListAccounts gives it.
fn named(e: CatalogEntry, account_name: &str) -> CatalogEntry {
    CatalogEntry {
        account_name: Some(account_name.into()),
        ..e
    }
}

#[tokio::test]
async fn demo_catalog_for_a_supervisor() {
    let w = World::new(Org::demo());
    let token = w.sign_in(SAM).await;
    let d = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &token,
        &options(&["us-east-1", "eu-west-2", "us-gov-west-1"]),
        &no_progress,
    )
    .await
    .unwrap();
    let org = Org::demo();
    let relay = |id: &str| {
        org.saml_applications
            .iter()
            .find(|a| a.id == id)
            .unwrap()
            .relay_state
            .clone()
    };
    assert_eq!(
        d.catalog.entries,
        vec![
            named(
                entry(
                    ACME_GOV,
                    Some("acme-gov"),
                    "us-gov-west-1",
                    Some("123456789012"),
                    DomainForm::New,
                    vec![perm("123456789012", "ConnectSupervisor")],
                    vec![Source::PermissionSet]
                ),
                "Contact Centre GovCloud"
            ),
            named(
                entry(
                    ACME_STAGING,
                    Some("acme-staging"),
                    "us-east-1",
                    Some("444455556666"),
                    DomainForm::New,
                    vec![perm("444455556666", "ConnectSupervisor")],
                    vec![Source::PermissionSet]
                ),
                "Contact Centre Staging"
            ),
            entry(
                ACME_PROD,
                None,
                "us-east-1",
                None,
                DomainForm::Unknown,
                vec![saml(
                    "ins-3f6a1b2c4d5e6f70",
                    "Amazon Connect - acme-prod",
                    &relay("ins-3f6a1b2c4d5e6f70")
                )],
                vec![Source::SamlApplication]
            ),
            entry(
                ACME_EMEA,
                None,
                "eu-west-2",
                None,
                DomainForm::Unknown,
                vec![saml(
                    "ins-7c9d0e1f2a3b4c5d",
                    "Amazon Connect - acme-emea",
                    &relay("ins-7c9d0e1f2a3b4c5d")
                )],
                vec![Source::SamlApplication]
            ),
        ]
    );
    assert_eq!(d.catalog.warnings, Vec::<String>::new());
    assert_eq!(d.catalog.fetched_at, w.clock.now());
    let roles: Vec<_> = d
        .credentials
        .iter()
        .map(|c| (c.account_id.as_str(), c.role_name.as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("123456789012", "ConnectSupervisor"),
            ("444455556666", "ConnectSupervisor")
        ]
    );
    assert!(d.credentials.iter().all(|c| c
        .credentials
        .valid_at(w.now(), std::time::Duration::from_secs(60))));
}

/// What Northwind's riley sees, with nw-prod pinned to the SAML app and a pinned-only instance.
fn riley_expected() -> Vec<CatalogEntry> {
    let org = northwind();
    let relay = |id: &str| {
        org.saml_applications
            .iter()
            .find(|a| a.id == id)
            .unwrap()
            .relay_state
            .clone()
    };
    vec![
        named(
            entry(
                NW_GOV,
                Some("nw-gov"),
                "us-gov-west-1",
                Some("210000000003"),
                DomainForm::New,
                vec![perm("210000000003", "ConnectSupervisor")],
                vec![Source::PermissionSet],
            ),
            "NW GovCloud",
        ),
        named(
            entry(
                NW_LEGACY,
                Some("nw-legacy"),
                "eu-west-2",
                Some("210000000002"),
                DomainForm::Legacy,
                vec![
                    saml(
                        "ins-aaaa000000000002",
                        "Amazon Connect - nw-legacy",
                        &relay("ins-aaaa000000000002"),
                    ),
                    perm("210000000002", "ConnectSupervisor"),
                ],
                vec![Source::SamlApplication, Source::PermissionSet],
            ),
            "NW Contact Centre EU",
        ),
        named(
            entry(
                NW_PINNED,
                Some("nw-pinned"),
                "eu-central-1",
                Some("210000000004"),
                DomainForm::New,
                vec![LaunchMethod::Pinned {
                    via: PinnedVia::PermissionSet {
                        account_id: "210000000004".into(),
                        role_name: "ReadOnlyAccess".into(),
                    },
                    default_destination: Some("agent-workspace".into()),
                }],
                vec![Source::Pinned],
            ),
            "NW Sandbox",
        ),
        named(
            entry(
                NW_PROD,
                Some("nw-prod"),
                "us-east-1",
                Some("210000000001"),
                DomainForm::New,
                vec![
                    LaunchMethod::Pinned {
                        via: PinnedVia::SamlApplication {
                            app_instance_id: "ins-aaaa000000000001".into(),
                            name: None,
                        },
                        default_destination: Some("ccp".into()),
                    },
                    saml(
                        "ins-aaaa000000000001",
                        "Amazon Connect - nw-prod",
                        &relay("ins-aaaa000000000001"),
                    ),
                    perm("210000000001", "ConnectAgent"),
                    perm("210000000001", "ConnectSupervisor"),
                ],
                vec![
                    Source::Pinned,
                    Source::SamlApplication,
                    Source::PermissionSet,
                ],
            ),
            "NW Contact Centre Prod",
        ),
        named(
            entry(
                NW_STAGING,
                Some("nw-staging"),
                "us-east-1",
                Some("210000000001"),
                DomainForm::New,
                vec![
                    perm("210000000001", "ConnectAgent"),
                    perm("210000000001", "ConnectSupervisor"),
                ],
                vec![Source::PermissionSet],
            ),
            "NW Contact Centre Prod",
        ),
    ]
}

fn riley_options() -> DiscoveryOptions {
    let mut o = options(&["us-east-1", "eu-west-2", "us-gov-west-1"]);
    o.pinned = vec![
        PinnedInstance {
            instance_id: NW_PROD.into(),
            region: region("us-east-1"),
            alias: None,
            domain: Default::default(),
            account_id: None,
            via: PinnedVia::SamlApplication {
                app_instance_id: "ins-aaaa000000000001".into(),
                name: None,
            },
            default_destination: Some("ccp".into()),
        },
        PinnedInstance {
            instance_id: NW_PINNED.into(),
            region: region("eu-central-1"),
            alias: None,
            domain: Default::default(),
            account_id: None,
            via: PinnedVia::PermissionSet {
                account_id: "210000000004".into(),
                role_name: "ReadOnlyAccess".into(),
            },
            default_destination: Some("agent-workspace".into()),
        },
    ];
    o
}

#[tokio::test]
async fn every_source_merges_into_one_entry_per_instance() {
    let w = World::new(northwind());
    let token = w.sign_in(RILEY).await;
    let seen = Mutex::new(Vec::new());
    let progress = |p: Progress| seen.lock().unwrap().push(p);
    let d = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &token,
        &riley_options(),
        &progress,
    )
    .await
    .unwrap();
    assert_eq!(d.catalog.entries, riley_expected());
    assert_eq!(d.catalog.warnings, RILEY_WARNINGS);
    let seen = seen.into_inner().unwrap();
    let last = |stage| seen.iter().rev().find(|p| p.stage == stage).copied();
    assert_eq!(
        last(Stage::Applications),
        Some(Progress {
            stage: Stage::Applications,
            done: 4,
            total: 4
        })
    );
    assert_eq!(
        last(Stage::Accounts),
        Some(Progress {
            stage: Stage::Accounts,
            done: 6,
            total: 6
        })
    );
    assert_eq!(
        last(Stage::Instances),
        Some(Progress {
            stage: Stage::Instances,
            done: 4,
            total: 4
        })
    );
    assert!(
        seen.windows(2)
            .all(|w| w[0].stage != w[1].stage || w[0].done <= w[1].done),
        "{seen:?}"
    );
}

#[tokio::test]
async fn policy_narrows_accounts_and_roles() {
    let w = World::new(northwind());
    let token = w.sign_in(RILEY).await;
    let mut o = options(&["us-east-1", "eu-west-2"]);
    o.saml_applications = false;
    o.accounts = vec!["NW Contact Centre E*".into(), "210000000003".into()];
    o.role_patterns = vec!["connectsupervisor".into()];
    let portal = w.portal();
    let d = discover(&portal, &w.connect(), &w.clock, &token, &o, &no_progress)
        .await
        .unwrap();
    let ids: Vec<_> = d
        .catalog
        .entries
        .iter()
        .map(|e| e.alias.as_deref().unwrap_or_default())
        .collect();
    // The GovCloud account is selected but its region is not listed; nothing from account 1.
    assert_eq!(ids, ["nw-legacy"]);
    assert_eq!(d.credentials.len(), 2);
    // ListAccounts, ListAccountRoles for 2 accounts, GetRoleCredentials for 2 roles.
    assert_eq!(portal.stats().requests, 5);
}

#[tokio::test]
async fn a_throttle_storm_still_ends_in_the_full_catalog() {
    let w = World::new(northwind());
    let token = w.sign_in(RILEY).await;
    w.emu
        .faults()
        .add("ListAccountRoles:throttle:30".parse().unwrap());
    w.emu.faults().set_rate_limit(Some(8.0));
    let portal = w.portal();
    let d = discover(
        &portal,
        &w.connect(),
        &w.clock,
        &token,
        &riley_options(),
        &no_progress,
    )
    .await
    .unwrap();
    assert_eq!(d.catalog.entries, riley_expected());
    assert_eq!(d.catalog.warnings, RILEY_WARNINGS, "no call failed");
    let stats = portal.stats();
    assert!(stats.throttled >= 30, "{stats:?}");
    assert_eq!(stats.faults, 0);
}

#[tokio::test]
async fn a_generated_organisation_under_the_rate_limit() {
    let org = generate::organisation(200);
    let w = World::new(org.clone());
    let token = w.sign_in(generate::GENERATED_USER).await;
    let portal = w.portal();
    let d = discover(
        &portal,
        &w.connect(),
        &w.clock,
        &token,
        &DiscoveryOptions::new(region("us-east-1")),
        &no_progress,
    )
    .await
    .unwrap();
    assert_eq!(d.catalog.warnings, Vec::<String>::new());
    let mut expected: Vec<(String, usize)> = org
        .connect_instances
        .iter()
        .map(|i| (i.alias.clone(), 2))
        .collect();
    expected.sort();
    let got: Vec<(String, usize)> = d
        .catalog
        .entries
        .iter()
        .map(|e| (e.alias.clone().unwrap_or_default(), e.launch_methods.len()))
        .collect();
    assert_eq!(
        got, expected,
        "each instance once, by its SAML application and its permission set"
    );
    // 11 pages of 205 app instances (20 a page), 5 app profiles, 2 pages of accounts (100 a
    // page), 200 role listings, 5 role credentials.
    const IDEAL_REQUESTS: u64 = 11 + 5 + 2 + 200 + 5;
    let stats = portal.stats();
    assert_eq!(
        stats.requests - stats.throttled - stats.faults,
        IDEAL_REQUESTS,
        "{stats:?}"
    );
    assert!(
        stats.throttled <= 5,
        "the client keeps under the limit: {stats:?}"
    );
    assert_eq!(w.emu.faults().throttled_count(), stats.throttled);
}

#[tokio::test]
async fn an_ended_session_fails_discovery_and_says_sign_in() {
    let w = World::new(Org::demo());
    let token = w.sign_in(SAM).await;
    assert!(w.emu.revoke_sessions(SAM) > 0);
    let err = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &token,
        &options(&["us-east-1"]),
        &no_progress,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CatalogError::SessionExpired));
    assert!(err.to_string().contains("sign in again"), "{err}");
    let err = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &Secret::new("not-a-token"),
        &options(&["us-east-1"]),
        &no_progress,
    )
    .await;
    assert!(matches!(err, Err(CatalogError::SessionExpired)));
}

#[tokio::test]
async fn a_failing_undocumented_listing_is_a_warning_not_a_failure() {
    let w = World::new(Org::demo());
    let token = w.sign_in(SAM).await;
    w.emu
        .faults()
        .add("ListAppInstances:5xx:*".parse().unwrap());
    let d = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &token,
        &options(&["us-east-1", "us-gov-west-1"]),
        &no_progress,
    )
    .await
    .unwrap();
    let aliases: Vec<_> = d
        .catalog
        .entries
        .iter()
        .map(|e| e.alias.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(aliases, ["acme-gov", "acme-staging"]);
    assert_eq!(d.catalog.warnings.len(), 1);
    assert!(d.catalog.warnings[0].starts_with("the IAM Identity Center application listing failed, so SAML applications are missing from the list: the access portal is not available"), "{:?}", d.catalog.warnings);
}

#[tokio::test]
async fn a_region_a_role_cannot_list_is_a_warning() {
    let w = World::new(Org::demo());
    let token = w.sign_in(SAM).await;
    w.emu.faults().add("ListInstances:5xx:*".parse().unwrap());
    let mut o = options(&["us-east-1"]);
    o.saml_applications = false;
    let d = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &token,
        &o,
        &no_progress,
    )
    .await
    .unwrap();
    assert_eq!(d.catalog.entries, vec![]);
    assert_eq!(d.catalog.warnings.len(), 2, "{:?}", d.catalog.warnings);
    assert!(d.catalog.warnings[0].starts_with("the role `ConnectSupervisor` in account 123456789012 could not list Amazon Connect instances in us-east-1: Amazon Connect is not available"));
    assert_eq!(
        d.credentials.len(),
        2,
        "the credentials are still handed back"
    );
}

#[tokio::test]
async fn the_cache_keeps_the_catalog_and_no_secret() {
    let w = World::new(northwind());
    let token = w.sign_in(RILEY).await;
    let d = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &token,
        &riley_options(),
        &no_progress,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = catalog::cache_path(dir.path());
    catalog::write_cache(&path, &d.catalog).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for c in &d.credentials {
        for secret in [
            c.credentials.access_key_id.as_str(),
            c.credentials.secret_access_key.expose(),
            c.credentials.session_token.expose(),
        ] {
            assert!(!text.contains(secret), "the cache holds a credential");
        }
    }
    assert!(!text.contains(token.expose()));
    let mut expected = d.catalog.clone();
    expected.fetched_at = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(
            d.catalog
                .fetched_at
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        );
    assert_eq!(catalog::read_cache(&path), CacheRead::Loaded(expected));
}

#[tokio::test]
async fn a_pinned_instance_that_cannot_be_checked_is_listed_with_a_warning() {
    let w = World::new(northwind());
    let token = w.sign_in(CASEY).await;
    let mut o = options(&["us-east-1"]);
    o.saml_applications = false;
    o.role_patterns = vec!["NoSuchRole".into()];
    let pin = |id: &str, alias: Option<&str>, account: &str, role: &str| PinnedInstance {
        instance_id: id.into(),
        region: region("eu-central-1"),
        alias: alias.map(Into::into),
        domain: Default::default(),
        account_id: None,
        via: PinnedVia::PermissionSet {
            account_id: account.into(),
            role_name: role.into(),
        },
        default_destination: None,
    };
    const GONE: &str = "33333333-3333-4333-8333-000000000001";
    o.pinned = vec![
        pin(NW_PINNED, None, "210000000004", "ReadOnlyAccess"),
        pin(GONE, Some("gone"), "210000000001", "ConnectAgent"),
    ];
    let d = discover(
        &w.portal(),
        &w.connect(),
        &w.clock,
        &token,
        &o,
        &no_progress,
    )
    .await
    .unwrap();
    let listed: Vec<_> = d
        .catalog
        .entries
        .iter()
        .map(|e| (e.instance_id.as_str(), e.alias.as_deref(), e.domain))
        .collect();
    assert_eq!(
        listed,
        [
            (GONE, Some("gone"), DomainForm::Unknown),
            (NW_PINNED, None, DomainForm::Unknown)
        ]
    );
    assert_eq!(
        d.catalog.warnings,
        [
            format!("the pinned instance {NW_PINNED} could not be checked: the role `ReadOnlyAccess` in account 210000000004 is no longer assigned to you; refresh the list, or ask IT to assign it again"),
            format!("the pinned instance gone could not be checked: Amazon Connect has no instance {GONE} in this account and region; check the instance id and region, or refresh the list"),
        ]
    );
    let roles: Vec<_> = d
        .credentials
        .iter()
        .map(|c| (c.account_id.as_str(), c.role_name.as_str()))
        .collect();
    assert_eq!(roles, [("210000000001", "ConnectAgent")]);
}
