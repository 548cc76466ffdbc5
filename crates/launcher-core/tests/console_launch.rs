//! Launch by permission set, end to end against the emulator: role credentials, the federate URL
//! for the partition and destination, `getSigninToken`, the login URL (compared whole but for the
//! random token), the URL policy, and a small browser following it through sign-in and the console
//! to the emulated Connect page of the right instance, user and destination, or to Connect's
//! "not onboarded" page.

mod emulated_org;

use std::time::Duration;

use aws_emulator::Org;
use emulated_org::*;
use launcher_core::console_federation::{ConsoleFederationError, LoginRequest};
use launcher_core::portal::RoleCredentials;
use launcher_core::region::Region;
use launcher_core::relay_state::{federate_url, Destination, FederateTarget, VdiPlatform};
use launcher_core::secret::Secret;
use launcher_core::url_policy::UrlPolicy;
use url::Url;

const SAM: &str = "sam.chen@example.com";
const ACME_STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";
const ACME_GOV: &str = "9c3e5a7b-1d2f-4a6c-8e0b-3f5d7a9c1e22";

/// One launch and where it must land.
struct Case {
    region: &'static str,
    instance_id: &'static str,
    destination: Destination,
    new_domain: bool,
    vdi: Option<VdiPlatform>,
    /// The login URL up to `&SigninToken=`.
    login_prefix: String,
    /// The host and path of the page it lands on.
    page: (&'static str, &'static str),
    vdi_shown: Option<&'static str>,
}

/// The login URL without its random token, and the token.
fn split_login(login: &Secret) -> (String, String) {
    let (prefix, token) = login
        .expose()
        .split_once("&SigninToken=")
        .expect("a SigninToken");
    (prefix.to_owned(), token.to_owned())
}

/// Launches `case` with `creds` and checks every step up to the page it lands on.
async fn launch(w: &World, creds: &RoleCredentials, user: &str, case: &Case) {
    let target = FederateTarget {
        region: region(case.region),
        instance_id: case.instance_id.into(),
        destination: case.destination.clone(),
        new_domain: case.new_domain,
        vdi_platform: case.vdi,
    };
    let federate = federate_url(&target).unwrap();
    let login = w
        .federation()
        .login_url(&LoginRequest {
            region: target.region,
            credentials: creds,
            issuer: &w.emu.start_url(),
            destination: &federate,
            session_duration: None,
            logout_first: false,
        })
        .await
        .unwrap();
    let (prefix, token) = split_login(&login);
    assert_eq!(prefix, case.login_prefix);
    assert!(
        !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
        "{token}"
    );
    let real = Url::parse(login.expose()).unwrap();
    let policy = UrlPolicy::new(&w.endpoints);
    assert!(
        UrlPolicy::aws_only().check_url(real.clone()).is_ok(),
        "the real login URL passes the policy"
    );
    let opened = policy
        .check_url(w.endpoints.reachable(&real))
        .expect("the emulator URL passes the policy")
        .into_url();
    let landed = Browser::default().open(&w.http, &opened).await;
    let (host, path) = case.page;
    assert_eq!(landed.status, 200, "{}: {}", landed.url, landed.body);
    assert_eq!(
        w.endpoints
            .real(&landed.url)
            .map(|u| format!("{}{}", u.host_str().unwrap(), u.path())),
        Some(format!("{host}{path}"))
    );
    assert_eq!(
        landed.text_of("instance-id").as_deref(),
        Some(case.instance_id)
    );
    assert_eq!(landed.text_of("connect-user").as_deref(), Some(user));
    assert_eq!(landed.text_of("destination").as_deref(), Some(path));
    assert_eq!(landed.text_of("vdi-platform").as_deref(), case.vdi_shown);
    // Sign-in, the console's federate link, the instance site's handoff, the instance page.
    assert_eq!(landed.hops.len(), 4, "{:?}", landed.hops);
}

fn login_prefix(signin_host: &str, issuer: &str, federate: &str) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, launcher_core::sigv4::UNRESERVED).to_string()
    };
    format!(
        "https://{signin_host}/federation?Action=login&Issuer={}&Destination={}",
        enc(issuer),
        enc(federate)
    )
}

#[tokio::test]
async fn every_destination_lands_on_the_right_page_in_both_partitions() {
    let w = World::new(Org::demo());
    let issuer = "https%3A%2F%2Fd-9067c2d5a1.awsapps.com%2Fstart";
    let staging = w
        .role_credentials(SAM, "444455556666", "ConnectSupervisor")
        .await;
    let gov = w
        .role_credentials(SAM, "123456789012", "ConnectSupervisor")
        .await;
    let commercial = |destination: &str| {
        format!(
            "https://signin.aws.amazon.com/federation?Action=login&Issuer={issuer}&Destination=https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fconnect%2Ffederate%2F{ACME_STAGING}{destination}"
        )
    };
    let cases = [
        Case {
            region: "us-east-1",
            instance_id: ACME_STAGING,
            destination: Destination::Ccp,
            new_domain: false,
            vdi: None,
            login_prefix: commercial("%3Fdestination%3D%252Fccp-v2"),
            page: ("acme-staging.my.connect.aws", "/ccp-v2"),
            vdi_shown: None,
        },
        Case {
            region: "us-east-1",
            instance_id: ACME_STAGING,
            destination: Destination::CcpChat,
            new_domain: true,
            vdi: None,
            login_prefix: commercial("%3Fdestination%3D%252Fccp-v2%252Fchat%26new_domain%3Dtrue"),
            page: ("acme-staging.my.connect.aws", "/ccp-v2/chat"),
            vdi_shown: None,
        },
        Case {
            region: "us-east-1",
            instance_id: ACME_STAGING,
            destination: Destination::AgentWorkspace,
            new_domain: false,
            vdi: Some(VdiPlatform::Citrix413),
            login_prefix: commercial(
                "%3Fdestination%3D%252Fagent-app-v2%253FVDIPlatform%253DCITRIX_413",
            ),
            page: ("acme-staging.my.connect.aws", "/agent-app-v2"),
            vdi_shown: Some("CITRIX_413"),
        },
        Case {
            region: "us-east-1",
            instance_id: ACME_STAGING,
            destination: Destination::Admin,
            new_domain: false,
            vdi: None,
            login_prefix: commercial(""),
            page: ("acme-staging.my.connect.aws", "/"),
            vdi_shown: None,
        },
        Case {
            region: "us-east-1",
            instance_id: ACME_STAGING,
            destination: Destination::Path("/ccp-v2/softphone".into()),
            new_domain: false,
            vdi: None,
            login_prefix: commercial("%3Fdestination%3D%252Fccp-v2%252Fsoftphone"),
            page: ("acme-staging.my.connect.aws", "/ccp-v2/softphone"),
            vdi_shown: None,
        },
    ];
    for case in &cases {
        launch(&w, &staging, SAM, case).await;
    }
    let gov_case = Case {
        region: "us-gov-west-1",
        instance_id: ACME_GOV,
        destination: Destination::Ccp,
        new_domain: false,
        vdi: None,
        login_prefix: format!(
            "https://signin.amazonaws-us-gov.com/federation?Action=login&Issuer={issuer}&Destination=https%3A%2F%2Fconsole.amazonaws-us-gov.com%2Fconnect%2Ffederate%2F{ACME_GOV}%3Fdestination%3D%252Fccp-v2"
        ),
        page: ("acme-gov.my.connect.aws", "/ccp-v2"),
        vdi_shown: None,
    };
    launch(&w, &gov, SAM, &gov_case).await;
}

#[tokio::test]
async fn the_legacy_domain_and_a_regional_sign_in_host() {
    let w = World::new(northwind());
    let creds = w
        .role_credentials(RILEY, "210000000002", "ConnectSupervisor")
        .await;
    let issuer = w.emu.start_url();
    let federate = |q: &str| {
        format!("https://eu-west-2.console.aws.amazon.com/connect/federate/{NW_LEGACY}{q}")
    };
    let cases = [
        Case {
            region: "eu-west-2",
            instance_id: NW_LEGACY,
            destination: Destination::Ccp,
            new_domain: false,
            vdi: None,
            login_prefix: login_prefix(
                "eu-west-2.signin.aws.amazon.com",
                &issuer,
                &federate("?destination=%2Fccp-v2"),
            ),
            page: ("nw-legacy.awsapps.com", "/connect/ccp-v2"),
            vdi_shown: None,
        },
        Case {
            region: "eu-west-2",
            instance_id: NW_LEGACY,
            destination: Destination::Ccp,
            new_domain: true,
            vdi: None,
            login_prefix: login_prefix(
                "eu-west-2.signin.aws.amazon.com",
                &issuer,
                &federate("?destination=%2Fccp-v2&new_domain=true"),
            ),
            page: ("nw-legacy.my.connect.aws", "/ccp-v2"),
            vdi_shown: None,
        },
        Case {
            region: "eu-west-2",
            instance_id: NW_LEGACY,
            destination: Destination::Admin,
            new_domain: false,
            vdi: None,
            login_prefix: login_prefix("eu-west-2.signin.aws.amazon.com", &issuer, &federate("")),
            page: ("nw-legacy.awsapps.com", "/connect/home"),
            vdi_shown: None,
        },
    ];
    for case in &cases {
        launch(&w, &creds, RILEY, case).await;
    }
}

#[tokio::test]
async fn a_user_not_onboarded_gets_connects_message() {
    let w = World::new(northwind());
    let creds = w
        .role_credentials(CASEY, "210000000002", "ConnectAgent")
        .await;
    let target = FederateTarget {
        region: region("eu-west-2"),
        instance_id: NW_LEGACY.into(),
        destination: Destination::AgentWorkspace,
        new_domain: false,
        vdi_platform: None,
    };
    let federate = federate_url(&target).unwrap();
    let login = w
        .federation()
        .login_url(&LoginRequest {
            region: target.region,
            credentials: &creds,
            issuer: "connect-launcher",
            destination: &federate,
            session_duration: Some(Duration::from_secs(3600)),
            logout_first: false,
        })
        .await
        .unwrap();
    let url = w.endpoints.reachable(&Url::parse(login.expose()).unwrap());
    let landed = Browser::default().open(&w.http, &url).await;
    assert_eq!(landed.status, 403);
    assert!(landed.has_id("not-onboarded"), "{}", landed.body);
    assert!(landed
        .body
        .contains("has not been onboarded to this application"));
}

#[tokio::test]
async fn a_login_link_works_once() {
    let w = World::new(Org::demo());
    let creds = w
        .role_credentials(SAM, "444455556666", "ConnectSupervisor")
        .await;
    let federate = federate_url(&FederateTarget {
        region: region("us-east-1"),
        instance_id: ACME_STAGING.into(),
        destination: Destination::Ccp,
        new_domain: false,
        vdi_platform: None,
    })
    .unwrap();
    let request = LoginRequest {
        region: region("us-east-1"),
        credentials: &creds,
        issuer: "connect-launcher",
        destination: &federate,
        session_duration: None,
        logout_first: false,
    };
    let login = w.federation().login_url(&request).await.unwrap();
    let url = w.endpoints.reachable(&Url::parse(login.expose()).unwrap());
    assert_eq!(Browser::default().open(&w.http, &url).await.status, 200);
    let again = Browser::default().open(&w.http, &url).await;
    assert!(again.has_id("signin-link-expired"), "{}", again.body);
}

#[tokio::test]
async fn expired_credentials_are_refused_with_or_without_a_session_duration() {
    let w = World::new(Org::demo());
    let creds = w
        .role_credentials(SAM, "444455556666", "ConnectSupervisor")
        .await;
    w.emu.clock().advance(Duration::from_secs(2 * 60 * 60));
    let federation = w.federation();
    for duration in [None, Some(Duration::from_secs(3600))] {
        let err = federation
            .get_signin_token(region("us-east-1"), &creds, duration)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ConsoleFederationError::InvalidCredentials),
            "{err}"
        );
        assert!(!err.to_string().contains(creds.secret_access_key.expose()));
    }
    let err = federation
        .get_signin_token(region("us-east-1"), &creds, Some(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(matches!(err, ConsoleFederationError::BadSessionDuration));
}

#[tokio::test]
async fn sign_in_faults_are_retried() {
    let w = World::new(Org::demo());
    let creds = w
        .role_credentials(SAM, "444455556666", "ConnectSupervisor")
        .await;
    w.emu
        .faults()
        .add("getSigninToken:throttle:2".parse().unwrap());
    w.emu.faults().add("getSigninToken:5xx:1".parse().unwrap());
    let token = w
        .federation()
        .get_signin_token(region("us-east-1"), &creds, None)
        .await
        .unwrap();
    assert!(!token.expose().is_empty());
}

#[tokio::test]
async fn logout_first_wraps_the_login_url_in_the_sign_out() {
    let w = World::new(Org::demo());
    let creds = w
        .role_credentials(SAM, "123456789012", "ConnectSupervisor")
        .await;
    let federate = federate_url(&FederateTarget {
        region: Region::parse("us-gov-west-1").unwrap(),
        instance_id: ACME_GOV.into(),
        destination: Destination::Ccp,
        new_domain: false,
        vdi_platform: None,
    })
    .unwrap();
    let wrapped = w
        .federation()
        .login_url(&LoginRequest {
            region: region("us-gov-west-1"),
            credentials: &creds,
            issuer: "connect-launcher",
            destination: &federate,
            session_duration: None,
            logout_first: true,
        })
        .await
        .unwrap();
    let url = Url::parse(wrapped.expose()).unwrap();
    assert_eq!(url.host_str(), Some("signin.amazonaws-us-gov.com"));
    assert_eq!(url.path(), "/oauth");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs[0], ("Action".into(), "logout".into()));
    assert_eq!(pairs[1].0, "redirect_uri");
    let inner = Url::parse(&pairs[1].1).unwrap();
    assert_eq!(inner.as_str().split("&SigninToken=").next().unwrap(), format!(
        "https://signin.amazonaws-us-gov.com/federation?Action=login&Issuer=connect-launcher&Destination=https%3A%2F%2Fconsole.amazonaws-us-gov.com%2Fconnect%2Ffederate%2F{ACME_GOV}%3Fdestination%3D%252Fccp-v2"
    ));
    assert!(UrlPolicy::aws_only().check_secret(&wrapped).is_ok());
}
