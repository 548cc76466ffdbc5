//! The one HTTP client every AWS call goes through: timeouts, a cap on response size, and
//! transport errors turned into messages that say what to check.
//!
//! Promises: no request waits longer than [`REQUEST_TIMEOUT`]; no response body larger than
//! [`MAX_BODY_BYTES`] is read; an error never includes a request's headers or body (where tokens
//! live), only the endpoint's origin; the system's trusted certificates (a few milliseconds to
//! read and parse) are loaded only when the first https request is built, or ahead of it by
//! [`Http::warm_up_tls`], so a command that makes no https request never pays for them.

use std::time::Duration;

use url::Url;

/// How long one request may take, connect to last byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);
/// The largest response body we read; AWS's are a few KiB.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A response, read whole.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The AWS error this response carries.
    pub fn aws_error(&self) -> crate::aws_error::AwsError {
        crate::aws_error::decode(
            self.status,
            self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &self.body,
        )
    }
}

/// Why a request got no response.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot reach {origin}: {detail}; check the network connection, a proxy or firewall, and that the address is right")]
    Unreachable { origin: String, detail: String },
    #[error("{origin} did not answer within {secs} s; try again, and if it keeps happening check the network")]
    TimedOut { origin: String, secs: u64 },
    #[error("the connection to {origin} broke off: {detail}; try again")]
    Broken { origin: String, detail: String },
    #[error("{origin} sent a response larger than {MAX_BODY_BYTES} bytes; refusing to read it")]
    TooLarge { origin: String },
}

impl TransportError {
    /// Every transport failure may go away on its own.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, TransportError::TooLarge { .. })
    }
}

/// The shared client: one for https, with the system's trusted roots, built on first use; and
/// one for plain http (the local emulator only), which trusts no certificate at all.
#[derive(Debug, Clone)]
pub struct Http {
    tls: std::sync::Arc<std::sync::OnceLock<reqwest::Client>>,
    plain: reqwest::Client,
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("connect-launcher/", env!("CARGO_PKG_VERSION")))
}

/// Just the scheme, host and port of a URL, for messages.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

impl Http {
    pub fn new() -> Http {
        Http {
            tls: Default::default(),
            // No certificate is trusted, so this client can never carry https.
            plain: builder()
                .tls_certs_only(std::iter::empty())
                .build()
                .expect("the HTTP client's settings are valid"),
        }
    }

    /// The https client, built (with the system's trusted roots) on first use.
    fn tls(&self) -> &reqwest::Client {
        self.tls.get_or_init(|| {
            builder()
                .build()
                .expect("the HTTP client's settings are valid")
        })
    }

    /// Builds the https client now (loading the system's trusted roots), so that a caller can
    /// overlap that work with another wait, such as a keychain read.
    pub fn warm_up_tls(&self) {
        self.tls();
    }

    /// The underlying builder for a request.
    pub fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        let client = if url.scheme() == "http" {
            &self.plain
        } else {
            self.tls()
        };
        client.request(method, url)
    }

    /// Sends a request and reads the whole response.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<HttpResponse, TransportError> {
        let (client, request) = request.build_split();
        let request = request.map_err(|e| TransportError::Unreachable {
            origin: String::new(),
            detail: e.without_url().to_string(),
        })?;
        let origin = origin(request.url());
        let map = |e: reqwest::Error, origin: &str| {
            if e.is_timeout() {
                TransportError::TimedOut {
                    origin: origin.to_owned(),
                    secs: REQUEST_TIMEOUT.as_secs(),
                }
            } else if e.is_connect() {
                TransportError::Unreachable {
                    origin: origin.to_owned(),
                    detail: root_cause(&e),
                }
            } else {
                TransportError::Broken {
                    origin: origin.to_owned(),
                    detail: root_cause(&e),
                }
            }
        };
        let mut resp = client.execute(request).await.map_err(|e| map(e, &origin))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_owned(), v.to_owned()))
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| map(e, &origin))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(TransportError::TooLarge { origin });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

impl Default for Http {
    fn default() -> Self {
        Http::new()
    }
}

/// The innermost cause's text, without URLs (which may carry query strings).
fn root_cause(e: &reqwest::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text = cur.to_string();
    if text.contains("://") {
        "the connection failed".to_owned()
    } else {
        text
    }
}
