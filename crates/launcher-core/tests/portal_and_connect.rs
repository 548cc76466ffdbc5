//! The portal and Connect clients against the emulator: paging, millisecond expirations, the
//! errors a launcher acts on, retried faults, and SigV4 signatures the emulator verifies exactly.

mod emulated_org;

use std::time::Duration;

use aws_emulator::{Options, Org};
use emulated_org::*;
use launcher_core::connect::{ConnectError, DomainForm};
use launcher_core::portal::{AccountInfo, PortalError, RoleInfo};
use launcher_core::secret::Secret;

const ALEX: &str = "alex.rivera@example.com";
const TAYLOR: &str = "taylor.kim@example.com";

#[tokio::test]
async fn accounts_roles_and_credentials() {
    let w = World::new(Org::demo());
    let token = w.sign_in(TAYLOR).await;
    let portal = w.portal();
    let accounts = portal.list_accounts(&token).await.unwrap();
    assert_eq!(
        accounts,
        vec![
            AccountInfo {
                account_id: "111122223333".into(),
                account_name: Some("Contact Centre Prod".into()),
                email_address: Some("aws-cc-prod@example.com".into())
            },
            AccountInfo {
                account_id: "444455556666".into(),
                account_name: Some("Contact Centre Staging".into()),
                email_address: Some("aws-cc-staging@example.com".into())
            },
            AccountInfo {
                account_id: "777788889999".into(),
                account_name: Some("Shared Services".into()),
                email_address: Some("aws-shared@example.com".into())
            },
        ]
    );
    let roles = portal
        .list_account_roles(&token, "777788889999")
        .await
        .unwrap();
    assert_eq!(
        roles,
        vec![RoleInfo {
            account_id: "777788889999".into(),
            role_name: "AdministratorAccess".into()
        }]
    );
    let before = w.now();
    let creds = portal
        .get_role_credentials(&token, "777788889999", "AdministratorAccess")
        .await
        .unwrap();
    let lifetime = creds.expiration.duration_since(before).unwrap();
    // The demo's role credentials last 60 minutes; `expiration` was read as milliseconds.
    assert!(
        lifetime > Duration::from_secs(59 * 60) && lifetime <= Duration::from_secs(60 * 60 + 1),
        "{lifetime:?}"
    );
    assert!(
        creds.access_key_id.starts_with("ASIA"),
        "{}",
        creds.access_key_id
    );
}

#[tokio::test]
async fn apps_and_profiles_page_to_the_end() {
    let w = World::new(aws_emulator::generate::organisation(45));
    let token = w.sign_in(aws_emulator::generate::GENERATED_USER).await;
    let portal = w.portal();
    let apps = portal.list_app_instances(&token).await.unwrap();
    // 45 "AWS Account" instances and 2 SAML applications, at 20 a page.
    assert_eq!(apps.len(), 47);
    assert_eq!(apps.iter().filter(|a| !a.is_aws_account()).count(), 2);
    assert_eq!(portal.stats().requests, 3);
    let app = apps.iter().find(|a| !a.is_aws_account()).unwrap();
    let profiles = portal.list_app_profiles(&token, &app.id).await.unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].name, "Default");
    assert!(profiles[0]
        .relay_state
        .as_deref()
        .unwrap()
        .starts_with("https://us-east-1.console.aws.amazon.com/connect/federate/"));
    let err = portal
        .list_app_profiles(&token, "ins-0000000000000000")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the access portal has no application ins-0000000000000000; refresh the list"
    );
}

#[tokio::test]
async fn a_role_no_longer_assigned_and_an_ended_session() {
    let w = World::new(Org::demo());
    let token = w.sign_in(ALEX).await;
    let portal = w.portal();
    let err = portal
        .get_role_credentials(&token, "111122223333", "ConnectAgent")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PortalError::RoleNotAssigned { account_id, role_name } if account_id == "111122223333" && role_name == "ConnectAgent")
    );
    let err = portal
        .list_accounts(&Secret::new("aoaWRONG"))
        .await
        .unwrap_err();
    assert!(matches!(err, PortalError::SessionExpired));
    assert_eq!(err.to_string(), "your IAM Identity Center session has expired or was ended; sign in again with `connect-launcher login`");
    assert!(!err.to_string().contains("aoaWRONG"));
    assert_eq!(portal.stats().requests, 2, "neither is retried");
}

#[tokio::test]
async fn resets_server_faults_and_cut_off_answers_are_retried() {
    let w = World::new(Org::demo());
    let token = w.sign_in(TAYLOR).await;
    for rule in [
        "ListAccounts:reset:1",
        "ListAccounts:5xx:1",
        "ListAccounts:malformed:1",
        "ListAccounts:throttle:2",
    ] {
        w.emu.faults().add(rule.parse().unwrap());
    }
    let portal = w.portal();
    assert_eq!(portal.list_accounts(&token).await.unwrap().len(), 3);
    let stats = portal.stats();
    assert_eq!((stats.requests, stats.faults, stats.throttled), (6, 3, 2));
    // A call that keeps failing gives up with the service's error.
    w.emu
        .faults()
        .add("ListAccountRoles:5xx:*".parse().unwrap());
    let err = portal
        .list_account_roles(&token, "111122223333")
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert!(
        err.to_string()
            .starts_with("the access portal is not available (InternalServerException (HTTP 500)"),
        "{err}"
    );
}

#[tokio::test]
async fn connect_lists_describes_and_federates_with_our_signature() {
    let w = World::new(northwind());
    let creds = w
        .role_credentials(RILEY, "210000000001", "ConnectSupervisor")
        .await;
    let connect = w.connect();
    let instances = connect
        .list_instances(region("us-east-1"), &creds)
        .await
        .unwrap();
    let ids: Vec<_> = instances
        .iter()
        .map(|i| (i.id.as_str(), i.alias.as_deref(), i.domain()))
        .collect();
    assert_eq!(
        ids,
        [
            (NW_PROD, Some("nw-prod"), DomainForm::New),
            (NW_STAGING, Some("nw-staging"), DomainForm::New)
        ]
    );
    assert_eq!(
        instances[0].access_url.as_ref().map(|u| u.as_str()),
        Some("https://nw-prod.my.connect.aws/")
    );
    let described = connect
        .describe_instance(region("us-east-1"), &creds, NW_STAGING)
        .await
        .unwrap();
    assert_eq!(described, instances[1]);
    let token = connect
        .get_federation_token(region("us-east-1"), &creds, NW_PROD)
        .await
        .unwrap();
    assert!(token.access_token_expiration > w.now());
    assert!(!format!("{token:?}").contains(token.access_token.expose()));
    let legacy_creds = w
        .role_credentials(RILEY, "210000000002", "ConnectSupervisor")
        .await;
    let legacy = connect
        .list_instances(region("eu-west-2"), &legacy_creds)
        .await
        .unwrap();
    assert_eq!(legacy[0].domain(), DomainForm::Legacy);
    assert_eq!(
        legacy[0].access_url.as_ref().map(|u| u.as_str()),
        Some("https://nw-legacy.awsapps.com/connect")
    );
}

#[tokio::test]
async fn connect_pages_ten_at_a_time() {
    let mut org = String::from(
        "[directory]\nid = \"d-1234567890\"\nregion = \"us-east-1\"\n\
         [[users]]\nuser_name = \"ana@example.com\"\ndisplay_name = \"Ana Lima\"\nemail = \"ana@example.com\"\n\
         [[accounts]]\nid = \"210987654321\"\nname = \"CC\"\nemail = \"cc@example.com\"\n\
         [[permission_sets]]\nname = \"ConnectAgent\"\nconnect_federation = true\n\
         [[assignments]]\nuser = \"ana@example.com\"\naccount = \"210987654321\"\npermission_set = \"ConnectAgent\"\n",
    );
    for i in 0..23 {
        org.push_str(&format!(
            "[[connect_instances]]\nid = \"33333333-3333-4333-8333-{i:012}\"\nalias = \"cc-{i:02}\"\naccount = \"210987654321\"\nregion = \"ap-southeast-2\"\n"
        ));
    }
    let w = World::new(Org::from_toml(&org, "paging").unwrap());
    let creds = w
        .role_credentials("ana@example.com", "210987654321", "ConnectAgent")
        .await;
    let all = w
        .connect()
        .list_instances(region("ap-southeast-2"), &creds)
        .await
        .unwrap();
    let aliases: Vec<_> = all.iter().map(|i| i.alias.clone().unwrap()).collect();
    assert_eq!(
        aliases,
        (0..23).map(|i| format!("cc-{i:02}")).collect::<Vec<_>>()
    );
    assert!(w
        .connect()
        .list_instances(region("us-east-1"), &creds)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn connect_errors_are_typed() {
    let w = World::new(northwind());
    let connect = w.connect();
    // Casey has a role in the EU account but no user in nw-legacy.
    let casey = w
        .role_credentials(CASEY, "210000000002", "ConnectAgent")
        .await;
    let err = connect
        .get_federation_token(region("eu-west-2"), &casey, NW_LEGACY)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectError::UserNotFound { instance_id } if instance_id == NW_LEGACY),
        "{err}"
    );
    assert!(err.to_string().contains("ask IT to add you"));
    let read_only = w
        .role_credentials(RILEY, "210000000004", "ReadOnlyAccess")
        .await;
    let err = connect
        .get_federation_token(region("us-east-1"), &read_only, NW_PROD)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectError::AccessDenied {
                operation: "GetFederationToken",
                ..
            }
        ),
        "{err}"
    );
    let riley = w
        .role_credentials(RILEY, "210000000001", "ConnectAgent")
        .await;
    let err = connect
        .describe_instance(region("eu-west-2"), &riley, NW_PROD)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::InstanceNotFound { .. }),
        "{err}"
    );
    w.emu
        .faults()
        .add("ListInstances:throttle:3".parse().unwrap());
    assert_eq!(
        connect
            .list_instances(region("us-east-1"), &riley)
            .await
            .unwrap()
            .len(),
        2,
        "throttling is retried"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_a_skewed_clock_is_corrected() {
    let w = World::new(northwind());
    let mut creds = w
        .role_credentials(RILEY, "210000000001", "ConnectAgent")
        .await;
    let good = creds.secret_access_key.clone();
    creds.secret_access_key = Secret::new(format!("{}x", good.expose()));
    let err = w
        .connect()
        .list_instances(region("us-east-1"), &creds)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectError::CredentialsRejected { code } if code == "InvalidSignatureException"),
        "{err}"
    );
    assert!(!err.to_string().contains(good.expose()));
    creds.secret_access_key = good;
    assert!(w
        .connect()
        .list_instances(region("us-east-1"), &creds)
        .await
        .is_ok());
    // Ten minutes slow: "Signature expired"; the client learns Connect's time from the refusal's
    // Date and signs again once, as the AWS SDKs do (tests/faults.rs covers both directions).
    w.clock.set(w.now() - Duration::from_secs(10 * 60));
    let connect = w.connect();
    assert!(connect
        .list_instances(region("us-east-1"), &creds)
        .await
        .is_ok());
    // A refusal the clock does not explain is not retried: a wrong secret, with the skew known.
    let mut wrong = creds.clone();
    wrong.secret_access_key = Secret::new("not-the-secret");
    let err = connect
        .list_instances(region("us-east-1"), &wrong)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectError::CredentialsRejected { code } if code == "InvalidSignatureException"),
        "{err}"
    );
    assert!(err.to_string().contains("clock"), "{err}");
    w.clock.set(w.now());
    w.emu.clock().advance(Duration::from_secs(2 * 60 * 60));
    w.clock.set(w.now());
    let err = w
        .connect()
        .list_instances(region("us-east-1"), &creds)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectError::CredentialsRejected { code } if code == "ExpiredTokenException"),
        "{err}"
    );
}

#[tokio::test]
async fn two_clients_share_the_hosts_limiter() {
    // A second client for the same portal host shares the first one's limiter.
    let w = World::with(Options::new(Org::demo()));
    let a = w.portal();
    let b = w.portal();
    let token = w.sign_in(TAYLOR).await;
    let started = tokio::time::Instant::now();
    let (x, y) = tokio::join!(a.list_accounts(&token), b.list_accounts(&token));
    assert_eq!((x.unwrap().len(), y.unwrap().len()), (3, 3));
    // Two requests through one limiter at 20/s are at least 50 ms apart.
    assert!(started.elapsed() >= Duration::from_millis(50));
}
