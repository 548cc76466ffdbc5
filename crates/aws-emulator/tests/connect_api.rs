//! The emulated Amazon Connect API driven by the real AWS SDK for Rust: SigV4 verification against
//! the credentials the emulator issued, clock skew and expiry on the emulated clock, paging,
//! account and region scoping, and GetFederationToken's mapping of callers to Connect users.

use std::io::{Read, Write};
use std::time::Duration;

use aws_emulator::{Emulator, Options, Org};
use aws_sdk_connect::config::{BehaviorVersion, Region};
use aws_sdk_connect::error::ProvideErrorMetadata;
use aws_sdk_connect::operation::describe_instance::DescribeInstanceError;
use aws_sdk_connect::operation::describe_user::DescribeUserError;
use aws_sdk_connect::operation::get_federation_token::GetFederationTokenError;
use aws_sdk_connect::operation::list_instances::ListInstancesError;
use aws_sdk_connect::operation::list_users::ListUsersError;
use aws_sdk_connect::types::{DirectoryType, InstanceStatus, PhoneType};
use aws_sdk_connect::Client;

const ACME_PROD: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";
const ACME_EMEA: &str = "b7f2e9a4-3c1d-4e8f-a6b5-9d0c2e4f6a88";
const ACME_STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";

const PROD_ACCOUNT: &str = "111122223333";
const STAGING_ACCOUNT: &str = "444455556666";

const ALEX: &str = "alex.rivera@example.com";
const SAM: &str = "sam.chen@example.com";
const JORDAN: &str = "jordan.lee@example.com";
const TAYLOR: &str = "taylor.kim@example.com";

/// A small organisation with three instances in one account and region, for paging.
const PAGING_ORG: &str = r#"
[directory]
id = "d-1234567890"
region = "us-east-1"

[[users]]
user_name = "ana@example.com"
display_name = "Ana Lima"
email = "ana@example.com"

[[accounts]]
id = "210987654321"
name = "Contact Centre"
email = "cc@example.com"

[[accounts]]
id = "309876543210"
name = "Other"
email = "other@example.com"

[[permission_sets]]
name = "ConnectAgent"
connect_federation = true

[[connect_instances]]
id = "11111111-1111-4111-8111-111111111111"
alias = "one"
account = "210987654321"
region = "us-east-1"

[[connect_instances]]
id = "22222222-2222-4222-8222-222222222222"
alias = "two"
account = "210987654321"
region = "us-east-1"

[[connect_instances]]
id = "33333333-3333-4333-8333-333333333333"
alias = "three"
account = "210987654321"
region = "us-east-1"
domain = "legacy"

[[connect_instances]]
id = "44444444-4444-4444-8444-444444444444"
alias = "four-eu"
account = "210987654321"
region = "eu-west-2"

[[connect_instances]]
id = "55555555-5555-4555-8555-555555555555"
alias = "five-other"
account = "309876543210"
region = "us-east-1"
"#;

fn start(org: Org) -> Emulator {
    Emulator::start(Options::new(org)).expect("the emulator starts")
}

/// Static credentials for the SDK: `(access key id, secret, session token)`.
type Keys = (String, String, Option<String>);

fn client_with(emulator: &Emulator, region: &str, keys: Keys, skew_correction: bool) -> Client {
    let (akid, secret, token) = keys;
    let credentials =
        aws_credential_types::Credentials::new(akid, secret, token, None, "aws-emulator");
    let config = aws_sdk_connect::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(&emulator.urls().connect)
        .credentials_provider(credentials)
        .disable_clock_skew_correction(!skew_correction)
        .build();
    Client::from_conf(config)
}

fn issued(emulator: &Emulator, user: &str, account: &str, role: &str) -> Keys {
    let (akid, secret, token) = emulator.issue_role_credentials(user, account, role);
    (akid, secret, Some(token))
}

/// A client signing as `user` in `role` of `account`, for `region`.
fn client_for(emulator: &Emulator, user: &str, account: &str, role: &str, region: &str) -> Client {
    client_with(
        emulator,
        region,
        issued(emulator, user, account, role),
        true,
    )
}

fn emulated_now(emulator: &Emulator) -> i64 {
    emulator.clock().epoch_secs() as i64
}

async fn aliases(client: &Client, max_results: i32) -> Vec<String> {
    let items: Vec<_> = client
        .list_instances()
        .max_results(max_results)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("ListInstances pages");
    items
        .iter()
        .map(|i| i.instance_alias().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn list_instances_pages_through_the_account_and_region_signed_for() {
    let emulator = start(Org::from_toml(PAGING_ORG, "paging").unwrap());
    let user = "ana@example.com";
    let us = client_for(&emulator, user, "210987654321", "ConnectAgent", "us-east-1");

    let first = us.list_instances().max_results(1).send().await.unwrap();
    assert_eq!(first.instance_summary_list().len(), 1);
    let token = first
        .next_token()
        .expect("a first page of one of three has a next token");
    let second = us
        .list_instances()
        .max_results(1)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.instance_summary_list()[0].instance_alias(),
        Some("two")
    );

    assert_eq!(aliases(&us, 1).await, ["one", "two", "three"]);
    assert_eq!(aliases(&us, 2).await, ["one", "two", "three"]);
    let all = us.list_instances().send().await.unwrap();
    assert_eq!(
        (all.instance_summary_list().len(), all.next_token()),
        (3, None)
    );

    let eu = client_for(&emulator, user, "210987654321", "ConnectAgent", "eu-west-2");
    assert_eq!(aliases(&eu, 10).await, ["four-eu"]);
    let other = client_for(&emulator, user, "309876543210", "ConnectAgent", "us-east-1");
    assert_eq!(aliases(&other, 10).await, ["five-other"]);
    let empty = client_for(
        &emulator,
        user,
        "309876543210",
        "ConnectAgent",
        "ap-southeast-2",
    );
    assert!(aliases(&empty, 10).await.is_empty());

    // A token only continues the listing it came from.
    let err = other
        .list_instances()
        .next_token(token)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        ListInstancesError::InvalidRequestException(_)
    ));
}

#[tokio::test]
async fn list_instances_refuses_max_results_outside_1_to_10() {
    let emulator = start(Org::demo());
    let client = client_for(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent", "us-east-1");
    for bad in [0, 11] {
        let err = client
            .list_instances()
            .max_results(bad)
            .send()
            .await
            .unwrap_err();
        let err = err.into_service_error();
        assert!(
            matches!(err, ListInstancesError::InvalidRequestException(_)),
            "{bad}: {err:?}"
        );
    }
    assert_eq!(aliases(&client, 10).await, ["acme-prod"]);
}

#[tokio::test]
async fn describe_instance_gives_the_summary_with_emulator_urls() {
    let emulator = start(Org::demo());
    let web = emulator.urls().web.clone();
    let us = client_for(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent", "us-east-1");

    let out = us
        .describe_instance()
        .instance_id(ACME_PROD)
        .send()
        .await
        .unwrap();
    let i = out.instance().expect("an instance");
    assert_eq!(i.id(), Some(ACME_PROD));
    assert_eq!(
        i.arn(),
        Some(format!("arn:aws:connect:us-east-1:{PROD_ACCOUNT}:instance/{ACME_PROD}").as_str())
    );
    assert_eq!(i.instance_alias(), Some("acme-prod"));
    assert_eq!(i.identity_management_type(), Some(&DirectoryType::Saml));
    assert_eq!(i.instance_status(), Some(&InstanceStatus::Active));
    assert_eq!(i.created_time().map(|t| t.secs()), Some(1_700_000_000));
    assert_eq!(i.inbound_calls_enabled(), Some(true));
    assert_eq!(
        i.instance_access_url(),
        Some(format!("{web}/acme-prod.my.connect.aws").as_str())
    );
    assert!(i.service_role().unwrap().starts_with(&format!(
        "arn:aws:iam::{PROD_ACCOUNT}:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect_"
    )));
    assert!(i.tags().is_some_and(|t| t.is_empty()));

    // The legacy domain keeps its `/connect` prefix.
    let eu = client_for(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent", "eu-west-2");
    let out = eu
        .describe_instance()
        .instance_id(ACME_EMEA)
        .send()
        .await
        .unwrap();
    let url = out
        .instance()
        .and_then(|i| i.instance_access_url())
        .map(str::to_owned);
    assert_eq!(url, Some(format!("{web}/acme-emea.awsapps.com/connect")));

    // Another region's or another account's instance does not exist for the caller.
    let err = eu
        .describe_instance()
        .instance_id(ACME_PROD)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DescribeInstanceError::ResourceNotFoundException(_)
    ));
    let staging = client_for(
        &emulator,
        ALEX,
        STAGING_ACCOUNT,
        "ConnectAgent",
        "us-east-1",
    );
    let err = staging
        .describe_instance()
        .instance_id(ACME_PROD)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DescribeInstanceError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn path_labels_the_sdk_encodes_verify() {
    let emulator = start(Org::demo());
    let client = client_for(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent", "us-east-1");
    // The SDK percent-encodes the label once; the canonical URI encodes it again.
    let err = client
        .describe_instance()
        .instance_id("a b/c%+=~")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.into_service_error(),
            DescribeInstanceError::ResourceNotFoundException(_)
        ),
        "the signature should verify and the id should be unknown"
    );
    let err = client
        .list_instances()
        .next_token("a+b/c= d")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        ListInstancesError::InvalidRequestException(_)
    ));
}

#[tokio::test]
async fn federation_token_for_a_connect_user_through_a_permission_set() {
    let emulator = start(Org::demo());
    let client = client_for(
        &emulator,
        ALEX,
        STAGING_ACCOUNT,
        "ConnectAgent",
        "us-east-1",
    );
    let before = emulated_now(&emulator);

    let out = client
        .get_federation_token()
        .instance_id(ACME_STAGING)
        .send()
        .await
        .unwrap();

    let user_id = emulator.org().instance(ACME_STAGING).unwrap().user_id(ALEX);
    assert_eq!(out.user_id(), Some(user_id.as_str()));
    assert_eq!(
        out.user_arn(),
        Some(format!("arn:aws:connect:us-east-1:{STAGING_ACCOUNT}:instance/{ACME_STAGING}/agent/{user_id}").as_str())
    );
    assert_eq!(
        out.sign_in_url(),
        Some(
            format!(
                "{}/acme-staging.my.connect.aws/auth/sign-in",
                emulator.urls().web
            )
            .as_str()
        )
    );
    let creds = out.credentials().expect("credentials");
    assert!(creds.access_token().is_some_and(|t| t.len() >= 64));
    assert!(creds.refresh_token().is_some_and(|t| t.len() >= 64));
    assert_ne!(creds.access_token(), creds.refresh_token());
    let access = creds.access_token_expiration().unwrap().secs();
    let refresh = creds.refresh_token_expiration().unwrap().secs();
    assert!(
        access > before && refresh > access,
        "{before} < {access} < {refresh}"
    );

    // Each call gives fresh tokens.
    let again = client
        .get_federation_token()
        .instance_id(ACME_STAGING)
        .send()
        .await
        .unwrap();
    assert_ne!(
        again.credentials().unwrap().access_token(),
        creds.access_token()
    );
}

#[tokio::test]
async fn federation_token_through_the_saml_role_on_the_legacy_domain() {
    let emulator = start(Org::demo());
    let client = client_for(
        &emulator,
        SAM,
        PROD_ACCOUNT,
        "ConnectSAMLFederation",
        "eu-west-2",
    );
    let out = client
        .get_federation_token()
        .instance_id(ACME_EMEA)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.sign_in_url(),
        Some(
            format!(
                "{}/acme-emea.awsapps.com/connect/auth/sign-in",
                emulator.urls().web
            )
            .as_str()
        )
    );
    let user_id = emulator.org().instance(ACME_EMEA).unwrap().user_id(SAM);
    assert_eq!(out.user_id(), Some(user_id.as_str()));
}

#[tokio::test]
async fn a_caller_never_onboarded_to_the_instance_is_user_not_found() {
    let emulator = start(Org::demo());
    // jordan reaches acme-emea through the SAML application, but is no Connect user there.
    let client = client_for(
        &emulator,
        JORDAN,
        PROD_ACCOUNT,
        "ConnectSAMLFederation",
        "eu-west-2",
    );
    let err = client
        .get_federation_token()
        .instance_id(ACME_EMEA)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("UserNotFoundException"));
    assert!(matches!(
        err.into_service_error(),
        GetFederationTokenError::UserNotFoundException(_)
    ));
}

#[tokio::test]
async fn a_role_that_may_not_federate_is_access_denied() {
    let emulator = start(Org::demo());
    let client = client_for(
        &emulator,
        TAYLOR,
        PROD_ACCOUNT,
        "ReadOnlyAccess",
        "us-east-1",
    );
    let err = client
        .get_federation_token()
        .instance_id(ACME_PROD)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert!(
        err.message()
            .is_some_and(|m| m.contains("connect:GetFederationToken")),
        "{err:?}"
    );
    // The SAML role may federate only into the instances its applications name.
    let saml = client_for(
        &emulator,
        SAM,
        PROD_ACCOUNT,
        "ConnectSAMLFederation",
        "us-east-1",
    );
    assert!(saml
        .get_federation_token()
        .instance_id(ACME_PROD)
        .send()
        .await
        .is_ok());
    let err = saml
        .get_federation_token()
        .instance_id(ACME_STAGING)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    // Federating into an instance of another account is "not found".
    let staging = client_for(
        &emulator,
        SAM,
        STAGING_ACCOUNT,
        "ConnectSupervisor",
        "us-east-1",
    );
    let err = staging
        .get_federation_token()
        .instance_id(ACME_PROD)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetFederationTokenError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature() {
    let emulator = start(Org::demo());
    let (akid, _secret, token) = issued(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent");
    let client = client_with(
        &emulator,
        "us-east-1",
        (akid, "not-the-secret".to_owned(), token),
        true,
    );
    let err = client.list_instances().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert!(
        err.message()
            .is_some_and(|m| m.contains("signature we calculated does not match")),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_keys_and_wrong_or_missing_session_tokens_are_unrecognized() {
    let emulator = start(Org::demo());
    let (akid, secret, token) = issued(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent");
    let cases: [(&str, Keys); 3] = [
        (
            "unknown key",
            (
                "ASIAUNKNOWNUNKNOWN22".to_owned(),
                secret.clone(),
                token.clone(),
            ),
        ),
        (
            "wrong token",
            (
                akid.clone(),
                secret.clone(),
                Some("IQoJb3JpZ2luX2VjEwrong".to_owned()),
            ),
        ),
        ("no token", (akid.clone(), secret.clone(), None)),
    ];
    for (case, keys) in cases {
        let client = client_with(&emulator, "us-east-1", keys, true);
        let err = client.list_instances().send().await.unwrap_err();
        assert_eq!(err.code(), Some("UnrecognizedClientException"), "{case}");
    }
    // The right keys work, so the failures above are the keys' fault.
    let client = client_with(&emulator, "us-east-1", (akid, secret, token), true);
    assert!(client.list_instances().send().await.is_ok());
}

#[tokio::test]
async fn credentials_expire_on_the_emulated_clock() {
    let emulator = start(Org::demo());
    let client = client_for(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent", "us-east-1");
    assert!(client.list_instances().send().await.is_ok());
    let lifetime = emulator.org().sessions.role_credentials_minutes * 60;
    emulator.clock().advance(Duration::from_secs(lifetime + 60));
    // The SDK first hears "Signature expired", corrects its clock from the response's Date, then
    // learns that its credentials have expired.
    let err = client.list_instances().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ExpiredTokenException"), "{err:?}");
}

#[tokio::test]
async fn clock_skew_beyond_five_minutes_is_a_signature_expired_that_the_sdk_corrects() {
    let emulator = start(Org::demo());
    let keys = issued(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent");
    let rigid = client_with(&emulator, "us-east-1", keys.clone(), false);
    assert!(rigid.list_instances().send().await.is_ok());

    emulator.clock().advance(Duration::from_secs(10 * 60));
    let err = rigid.list_instances().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert!(
        err.message()
            .is_some_and(|m| m.starts_with("Signature expired: ")),
        "{err:?}"
    );

    // The SDK's default client measures the skew from the emulated `Date` and signs again.
    let correcting = client_with(&emulator, "us-east-1", keys, true);
    assert!(correcting.list_instances().send().await.is_ok());
}

#[tokio::test]
async fn users_are_listed_in_pages_and_described() {
    let emulator = start(Org::demo());
    let client = client_for(&emulator, JORDAN, PROD_ACCOUNT, "ConnectAgent", "us-east-1");
    let instance = emulator.org().instance(ACME_PROD).unwrap().clone();

    let users: Vec<_> = client
        .list_users()
        .instance_id(ACME_PROD)
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = users
        .iter()
        .map(|u| u.username().unwrap_or_default())
        .collect();
    assert_eq!(names, [ALEX, SAM, JORDAN]);
    for u in &users {
        let id = instance.user_id(u.username().unwrap());
        assert_eq!(u.id(), Some(id.as_str()));
        assert_eq!(
            u.arn(),
            Some(format!("{}/agent/{id}", instance.arn()).as_str())
        );
        assert_eq!(u.last_modified_region(), Some("us-east-1"));
    }
    let first = client
        .list_users()
        .instance_id(ACME_PROD)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert!(first.next_token().is_some());
    let all = client
        .list_users()
        .instance_id(ACME_PROD)
        .send()
        .await
        .unwrap();
    assert_eq!((all.user_summary_list().len(), all.next_token()), (3, None));

    let alex_id = instance.user_id(ALEX);
    let out = client
        .describe_user()
        .instance_id(ACME_PROD)
        .user_id(&alex_id)
        .send()
        .await
        .unwrap();
    let user = out.user().expect("a user");
    assert_eq!(user.username(), Some(ALEX));
    assert_eq!(user.id(), Some(alex_id.as_str()));
    let identity = user.identity_info().expect("identity info");
    assert_eq!(
        (
            identity.first_name(),
            identity.last_name(),
            identity.email()
        ),
        (Some("Alex"), Some("Rivera"), Some(ALEX))
    );
    let phone = user.phone_config().expect("phone config");
    assert_eq!(phone.phone_type(), &PhoneType::SoftPhone);
    assert!(!phone.auto_accept());
    assert_eq!(user.security_profile_ids().len(), 1);
    assert!(user.routing_profile_id().is_some());

    let err = client
        .describe_user()
        .instance_id(ACME_PROD)
        .user_id("nobody")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        DescribeUserError::ResourceNotFoundException(_)
    ));
    let err = client
        .list_users()
        .instance_id(ACME_PROD)
        .max_results(1001)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        ListUsersError::InvalidRequestException(_)
    ));
    let staging = client_for(
        &emulator,
        ALEX,
        STAGING_ACCOUNT,
        "ConnectAgent",
        "us-east-1",
    );
    let err = staging
        .list_users()
        .instance_id(ACME_PROD)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        ListUsersError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn unsigned_requests_are_refused_with_missing_authentication_token() {
    let emulator = start(Org::demo());
    let addr = emulator
        .urls()
        .connect
        .trim_start_matches("http://")
        .to_owned();
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        let request =
            format!("GET /instance HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    let lower = response.to_ascii_lowercase();
    assert!(
        lower.contains("x-amzn-errortype: missingauthenticationtokenexception"),
        "{response}"
    );
    assert!(lower.contains("x-amzn-requestid: "), "{response}");
    assert!(
        response.contains("\"Message\":\"Missing Authentication Token\""),
        "{response}"
    );
}
