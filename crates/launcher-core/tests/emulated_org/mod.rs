//! A small world for discovery and launch tests: an emulator serving an organisation, the endpoints
//! and clock pointed at it, an access token got by a plain-HTTP device flow (not the launcher's
//! sign-in), and a tiny cookie-keeping browser that follows redirects to the emulated pages.
#![allow(dead_code)] // each test file uses a part

use std::sync::Arc;
use std::time::SystemTime;

use aws_emulator::{Emulator, Options, Org};
use launcher_core::clock::ManualClock;
use launcher_core::connect::ConnectClient;
use launcher_core::console_federation::ConsoleFederation;
use launcher_core::endpoints::Endpoints;
use launcher_core::http::Http;
use launcher_core::portal::{PortalClient, RoleCredentials};
use launcher_core::region::Region;
use launcher_core::secret::Secret;
use serde_json::{json, Value};
use url::Url;

/// A fixture organisation of our own: SAML applications (one not for Connect, one with a broken
/// relay state), permission sets in several accounts, an instance on the legacy domain, one in
/// GovCloud, one reached only through a permission set, one for IT to pin, and a user (casey) not
/// onboarded to the legacy instance.
pub const NORTHWIND: &str = r#"
[directory]
id = "d-92670f00b1"
region = "us-east-1"

[[users]]
user_name = "riley@northwind.example"
display_name = "Riley Park"
email = "riley@northwind.example"

[[users]]
user_name = "casey@northwind.example"
display_name = "Casey Moreau"
email = "casey@northwind.example"

[[accounts]]
id = "210000000001"
name = "NW Contact Centre Prod"
email = "cc-prod@northwind.example"

[[accounts]]
id = "210000000002"
name = "NW Contact Centre EU"
email = "cc-eu@northwind.example"

[[accounts]]
id = "210000000003"
name = "NW GovCloud"
email = "gov@northwind.example"

[[accounts]]
id = "210000000004"
name = "NW Sandbox"
email = "sandbox@northwind.example"

[[accounts]]
id = "210000000005"
name = "NW Shared"
email = "shared@northwind.example"

[[accounts]]
id = "210000000006"
name = "NW Data"
email = "data@northwind.example"

[[permission_sets]]
name = "ConnectAgent"
connect_federation = true

[[permission_sets]]
name = "ConnectSupervisor"
connect_federation = true

[[permission_sets]]
name = "ReadOnlyAccess"

[[permission_sets]]
name = "DataAnalyst"

[[assignments]]
user = "riley@northwind.example"
account = "210000000001"
permission_set = "ConnectAgent"

[[assignments]]
user = "riley@northwind.example"
account = "210000000001"
permission_set = "ConnectSupervisor"

[[assignments]]
user = "riley@northwind.example"
account = "210000000002"
permission_set = "ConnectSupervisor"

[[assignments]]
user = "riley@northwind.example"
account = "210000000003"
permission_set = "ConnectSupervisor"

[[assignments]]
user = "riley@northwind.example"
account = "210000000004"
permission_set = "ReadOnlyAccess"

[[assignments]]
user = "riley@northwind.example"
account = "210000000005"
permission_set = "ReadOnlyAccess"

[[assignments]]
user = "riley@northwind.example"
account = "210000000006"
permission_set = "DataAnalyst"

[[assignments]]
user = "casey@northwind.example"
account = "210000000001"
permission_set = "ConnectAgent"

[[assignments]]
user = "casey@northwind.example"
account = "210000000002"
permission_set = "ConnectAgent"

[[saml_applications]]
id = "ins-aaaa000000000001"
name = "Amazon Connect - nw-prod"
relay_state = "https://us-east-1.console.aws.amazon.com/connect/federate/11111111-1111-4111-8111-000000000001?destination=%2Fccp-v2&new_domain=true"
account = "210000000001"
role = "ConnectSAMLFederation"
users = ["riley@northwind.example", "casey@northwind.example"]

[[saml_applications]]
id = "ins-aaaa000000000002"
name = "Amazon Connect - nw-legacy"
relay_state = "https://eu-west-2.console.aws.amazon.com/connect/federate/11111111-1111-4111-8111-000000000002?destination=%2Fagent-app-v2"
account = "210000000002"
role = "ConnectSAMLFederation"
users = ["riley@northwind.example", "casey@northwind.example"]

[[saml_applications]]
id = "ins-aaaa000000000003"
name = "Salesforce"
relay_state = "https://northwind.my.salesforce.com/"
account = "210000000005"
role = "SalesforceFederation"
users = ["riley@northwind.example"]

[[saml_applications]]
id = "ins-aaaa000000000004"
name = "Amazon Connect - nw-old"
relay_state = "https://us-east-1.console.aws.amazon.com/connect/federate/"
account = "210000000001"
role = "ConnectSAMLFederation"
users = ["riley@northwind.example"]

[[connect_instances]]
id = "11111111-1111-4111-8111-000000000001"
alias = "nw-prod"
account = "210000000001"
region = "us-east-1"
users = ["riley@northwind.example", "casey@northwind.example"]

[[connect_instances]]
id = "11111111-1111-4111-8111-000000000002"
alias = "nw-legacy"
account = "210000000002"
region = "eu-west-2"
domain = "legacy"
users = ["riley@northwind.example"]

[[connect_instances]]
id = "11111111-1111-4111-8111-000000000003"
alias = "nw-gov"
account = "210000000003"
region = "us-gov-west-1"
users = ["riley@northwind.example"]

[[connect_instances]]
id = "22222222-2222-4222-8222-000000000009"
alias = "nw-pinned"
account = "210000000004"
region = "eu-central-1"
users = ["riley@northwind.example"]

[[connect_instances]]
id = "11111111-1111-4111-8111-000000000004"
alias = "nw-staging"
account = "210000000001"
region = "us-east-1"
users = ["riley@northwind.example"]
"#;

pub const RILEY: &str = "riley@northwind.example";
pub const CASEY: &str = "casey@northwind.example";
pub const NW_PROD: &str = "11111111-1111-4111-8111-000000000001";
pub const NW_LEGACY: &str = "11111111-1111-4111-8111-000000000002";
pub const NW_GOV: &str = "11111111-1111-4111-8111-000000000003";
pub const NW_STAGING: &str = "11111111-1111-4111-8111-000000000004";
/// Pinned by IT; reached only through a role that does not match the Connect role patterns.
pub const NW_PINNED: &str = "22222222-2222-4222-8222-000000000009";

pub fn northwind() -> Org {
    Org::from_toml(NORTHWIND, "northwind").expect("the Northwind fixture is valid")
}

pub fn region(name: &str) -> Region {
    Region::parse(name).expect("a known region")
}

/// The emulator, endpoints, clock and HTTP client of one test.
pub struct World {
    pub emu: Emulator,
    pub endpoints: Endpoints,
    pub http: Http,
    pub clock: ManualClock,
}

impl World {
    pub fn new(org: Org) -> World {
        World::with(Options::new(org))
    }

    pub fn with(options: Options) -> World {
        let emu = Emulator::start(options).expect("the emulator starts");
        let idc_region = region(emu.region());
        let endpoints =
            Endpoints::resolve(idc_region, &emu.env()).expect("the emulator's endpoints resolve");
        let clock = ManualClock::new(emu.clock().now());
        World {
            emu,
            endpoints,
            http: Http::new(),
            clock,
        }
    }

    pub fn portal(&self) -> PortalClient {
        PortalClient::new(self.http.clone(), self.endpoints.portal().clone())
    }

    pub fn connect(&self) -> ConnectClient {
        ConnectClient::new(
            self.http.clone(),
            self.endpoints.clone(),
            Arc::new(self.clock.clone()),
        )
    }

    pub fn federation(&self) -> ConsoleFederation {
        ConsoleFederation::new(self.http.clone(), self.endpoints.clone())
    }

    async fn post_json(&self, path: &str, body: Value) -> Value {
        let url = self.endpoints.oidc().join(path).unwrap();
        let req = self
            .http
            .request(reqwest::Method::POST, url)
            .header("content-type", "application/json")
            .body(body.to_string());
        let resp = self
            .http
            .send(req)
            .await
            .expect("the OIDC endpoint answers");
        assert!(resp.is_success(), "POST {path}: HTTP {}", resp.status);
        serde_json::from_slice(&resp.body).expect("JSON")
    }

    /// An access token for `user`, by the device flow over plain HTTP.
    pub async fn sign_in(&self, user: &str) -> Secret {
        let client = self
            .post_json("client/register", json!({"clientName": "discovery-tests", "clientType": "public", "scopes": ["sso:account:access"]}))
            .await;
        let (id, secret) = (
            client["clientId"].as_str().unwrap(),
            client["clientSecret"].as_str().unwrap(),
        );
        let device = self
            .post_json(
                "device_authorization",
                json!({"clientId": id, "clientSecret": secret, "startUrl": self.emu.start_url()}),
            )
            .await;
        assert!(
            self.emu
                .approve_device(device["userCode"].as_str().unwrap(), user),
            "the device code is approved"
        );
        let token = self
            .post_json(
                "token",
                json!({"clientId": id, "clientSecret": secret, "grantType": "urn:ietf:params:oauth:grant-type:device_code", "deviceCode": device["deviceCode"]}),
            )
            .await;
        Secret::new(token["accessToken"].as_str().unwrap())
    }

    /// Role credentials through the launcher's portal client.
    pub async fn role_credentials(&self, user: &str, account: &str, role: &str) -> RoleCredentials {
        let token = self.sign_in(user).await;
        self.portal()
            .get_role_credentials(&token, account, role)
            .await
            .expect("role credentials")
    }

    /// Now, on the emulator's clock.
    pub fn now(&self) -> SystemTime {
        self.emu.clock().now()
    }
}

/// A page the browser ended on.
#[derive(Debug)]
pub struct Landed {
    pub status: u16,
    pub url: Url,
    pub body: String,
    /// Every URL visited, in order (the last is `url`).
    pub hops: Vec<Url>,
}

impl Landed {
    /// The text of the element with `id`, unescaped.
    pub fn text_of(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let start = at + self.body[at..].find('>')? + 1;
        let end = start + self.body[start..].find('<')?;
        Some(
            self.body[start..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
        )
    }

    pub fn has_id(&self, id: &str) -> bool {
        self.body.contains(&format!("id=\"{id}\""))
    }
}

/// A tiny browser: GETs, follows redirects, keeps cookies by path (every emulated host shares one
/// origin, so a cookie's path is what scopes it).
#[derive(Debug, Default)]
pub struct Browser {
    cookies: Vec<(String, String, String)>,
}

/// The most redirects followed before giving up.
const MAX_HOPS: usize = 10;

impl Browser {
    fn remember(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            return;
        };
        let mut path = "/".to_owned();
        let mut expired = false;
        for attr in parts {
            let attr = attr.trim();
            if let Some(p) = attr.strip_prefix("Path=") {
                path = p.to_owned();
            } else if attr.eq_ignore_ascii_case("Max-Age=0") {
                expired = true;
            }
        }
        self.cookies.retain(|(n, _, p)| !(n == name && *p == path));
        if !expired {
            self.cookies.push((name.to_owned(), value.to_owned(), path));
        }
    }

    fn cookie_header(&self, url: &Url) -> String {
        self.cookies
            .iter()
            .filter(|(_, _, p)| {
                p == "/" || url.path() == p || url.path().starts_with(&format!("{p}/"))
            })
            .map(|(n, v, _)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The value of the cookie `name` the browser holds, if it holds one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.clone())
    }

    /// Opens `url` and follows redirects to the page it lands on.
    pub async fn open(&mut self, http: &Http, url: &Url) -> Landed {
        let mut url = url.clone();
        let mut hops = Vec::new();
        for _ in 0..MAX_HOPS {
            hops.push(url.clone());
            let mut req = http.request(reqwest::Method::GET, url.clone());
            let cookies = self.cookie_header(&url);
            if !cookies.is_empty() {
                req = req.header("cookie", cookies);
            }
            let resp = http.send(req).await.expect("the emulator answers");
            for (name, value) in &resp.headers {
                if name.eq_ignore_ascii_case("set-cookie") {
                    self.remember(value);
                }
            }
            match (resp.status, resp.header("location")) {
                (300..=399, Some(location)) => url = url.join(location).expect("a valid Location"),
                _ => {
                    return Landed {
                        status: resp.status,
                        url,
                        body: String::from_utf8_lossy(&resp.body).into_owned(),
                        hops,
                    }
                }
            }
        }
        panic!("more than {MAX_HOPS} redirects from {}", hops[0]);
    }
}
