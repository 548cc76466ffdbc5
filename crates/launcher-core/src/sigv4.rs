//! Our own AWS Signature Version 4 signer for the bodiless GET requests we send to Amazon Connect
//! (the `Authorization` header form, as AWS signs for every service but S3).
//!
//! Every step is a pure function ([`canonical_uri`], [`canonical_query`], [`canonical_request`],
//! [`string_to_sign`], [`signing_key`], [`signature`]) checked against AWS's SigV4 test-suite
//! vectors; [`sign_get`] puts them together for one request at a time given by the caller, which
//! takes it from the injected clock.
//!
//! Promises: the signed headers are exactly `host;x-amz-date[;x-amz-security-token]`; the
//! canonical URI is the path as sent, normalised and URI-encoded a second time (so `%2F` becomes
//! `%252F`); the canonical query is every parameter decoded, strictly re-encoded and sorted, so it
//! matches whatever encoding the wire carries; the secret key is only ever an HMAC key, never
//! printed (the [`SignedHeaders`] `Debug` hides the session token).

use std::fmt;
use std::time::SystemTime;

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use url::Url;

use crate::secret::Secret;

/// The only algorithm we sign with.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";
/// SHA-256 of the empty body, the payload hash of every GET.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What SigV4 leaves unencoded: the RFC 3986 unreserved characters `A–Z a–z 0–9 - . _ ~`.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// As [`UNRESERVED`], keeping the path separator.
const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

/// SigV4's strict URI encoding of one value.
pub fn uri_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string()
}

/// A query string from pairs, each name and value strictly encoded, in the order given.
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical URI (non-S3): the path as sent, with empty and `.`/`..` segments removed, then
/// URI-encoded again. An empty path is `/`.
pub fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let last = raw_path.rsplit('/').next().unwrap_or_default();
    let trailing_slash = raw_path.contains('/') && matches!(last, "" | "." | "..");
    let mut path = format!("/{}", segments.join("/"));
    if trailing_slash && path != "/" {
        path.push('/');
    }
    percent_encoding::utf8_percent_encode(&path, UNRESERVED_AND_SLASH).to_string()
}

/// The canonical query string: parameters decoded, strictly encoded, sorted by name then value.
pub fn canonical_query(raw_query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (uri_encode(&k), uri_encode(&v)))
            .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical headers block from `(lower-case name, value)` pairs already in sorted order.
pub fn canonical_headers(headers: &[(&str, &str)]) -> String {
    headers
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}:{}\n",
                v.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
        .collect()
}

/// The canonical request.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!("{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}")
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The credential scope `DATE/REGION/SERVICE/aws4_request`.
pub fn scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/{SCOPE_TERMINATOR}")
}

/// The string to sign.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The signing key, chained from `AWS4` + the secret over date, region, service and terminator.
pub fn signing_key(secret_access_key: &Secret, date: &str, region: &str, service: &str) -> Vec<u8> {
    let mut seed =
        zeroize::Zeroizing::new(String::with_capacity(secret_access_key.expose().len() + 4));
    seed.push_str("AWS4");
    seed.push_str(secret_access_key.expose());
    let k_date = hmac_sha256(seed.as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, SCOPE_TERMINATOR.as_bytes())
}

/// The signature: lower-case hex HMAC of the string to sign.
pub fn signature(signing_key: &[u8], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// ISO 8601 basic time, `YYYYMMDDTHHMMSSZ`, of an instant.
pub fn amz_date(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or_default())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(time::macros::format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap_or_default()
}

/// The `Host` header a client sends for a URL: the host, with the port when it is not the
/// scheme's default.
pub fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// What signs a request: temporary credentials, the region and the service.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a Secret,
    pub session_token: Option<&'a Secret>,
    pub region: &'a str,
    pub service: &'a str,
    /// The signing time, from the injected clock.
    pub time: SystemTime,
}

/// The headers to add to a signed request.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub x_amz_date: String,
    pub x_amz_security_token: Option<Secret>,
    pub authorization: String,
}

impl fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedHeaders")
            .field("x_amz_date", &self.x_amz_date)
            .field("x_amz_security_token", &self.x_amz_security_token)
            .field("authorization", &self.authorization)
            .finish()
    }
}

impl SignedHeaders {
    /// The headers as `(name, value)` pairs, ready for a request.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("x-amz-date", self.x_amz_date.as_str())];
        if let Some(t) = &self.x_amz_security_token {
            out.push(("x-amz-security-token", t.expose()));
        }
        out.push(("authorization", self.authorization.as_str()));
        out
    }
}

/// Signs a bodiless GET of `url`.
pub fn sign_get(url: &Url, params: &SigningParams<'_>) -> SignedHeaders {
    let x_amz_date = amz_date(params.time);
    let date = &x_amz_date[..8];
    let host = host_header(url);
    let mut headers: Vec<(&str, &str)> = vec![("host", &host), ("x-amz-date", &x_amz_date)];
    if let Some(token) = params.session_token {
        headers.push(("x-amz-security-token", token.expose()));
    }
    let signed_headers = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let creq = canonical_request(
        "GET",
        &canonical_uri(url.path()),
        &canonical_query(url.query()),
        &canonical_headers(&headers),
        &signed_headers,
        EMPTY_PAYLOAD_SHA256,
    );
    let scope = scope(date, params.region, params.service);
    let sts = string_to_sign(&x_amz_date, &scope, &creq);
    let key = signing_key(
        params.secret_access_key,
        date,
        params.region,
        params.service,
    );
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={}",
        params.access_key_id,
        signature(&key, &sts)
    );
    SignedHeaders {
        x_amz_date,
        x_amz_security_token: params.session_token.cloned(),
        authorization,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    // AWS's SigV4 test suite: one key, scope and time for every vector.
    const SUITE_AKID: &str = "AKIDEXAMPLE";
    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SUITE_REGION: &str = "us-east-1";
    const SUITE_SERVICE: &str = "service";
    /// 2015-08-30T12:36:00Z.
    const SUITE_EPOCH_SECS: u64 = 1_440_938_160;

    fn suite_time() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(SUITE_EPOCH_SECS)
    }

    fn suite_sign(url: &str, token: Option<&Secret>) -> SignedHeaders {
        let secret = Secret::new(SUITE_SECRET);
        sign_get(
            &Url::parse(url).unwrap(),
            &SigningParams {
                access_key_id: SUITE_AKID,
                secret_access_key: &secret,
                session_token: token,
                region: SUITE_REGION,
                service: SUITE_SERVICE,
                time: suite_time(),
            },
        )
    }

    fn suite_authorization(signed: &str, sig: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed}, Signature={sig}")
    }

    #[test]
    fn get_vanilla_query() {
        // get-vanilla-query: `GET /` with an empty query.
        let s = suite_sign("https://example.amazonaws.com/?", None);
        assert_eq!(s.x_amz_date, "20150830T123600Z");
        assert_eq!(
            s.authorization,
            suite_authorization(
                "host;x-amz-date",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            )
        );
        assert_eq!(s.x_amz_security_token, None);
    }

    #[test]
    fn get_vanilla_query_order_key_case() {
        let creq = canonical_request(
            "GET",
            &canonical_uri("/"),
            &canonical_query(Some("Param2=value2&Param1=value1")),
            &canonical_headers(&[
                ("host", "example.amazonaws.com"),
                ("x-amz-date", "20150830T123600Z"),
            ]),
            "host;x-amz-date",
            EMPTY_PAYLOAD_SHA256,
        );
        assert_eq!(
            creq,
            format!("GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_PAYLOAD_SHA256}")
        );
        let sts = string_to_sign(
            "20150830T123600Z",
            &scope("20150830", SUITE_REGION, SUITE_SERVICE),
            &creq,
        );
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"
        );
        let s = suite_sign(
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            None,
        );
        assert_eq!(
            s.authorization,
            suite_authorization(
                "host;x-amz-date",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
            )
        );
    }

    #[test]
    fn get_vanilla_with_session_token() {
        let token = Secret::new("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267");
        let s = suite_sign("https://example.amazonaws.com/", Some(&token));
        assert_eq!(
            s.authorization,
            suite_authorization(
                "host;x-amz-date;x-amz-security-token",
                "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
            )
        );
        assert_eq!(s.pairs()[1], ("x-amz-security-token", token.expose()));
        assert!(!format!("{s:?}").contains(token.expose()));
    }

    /// Signs the suite's raw (never percent-encoded) request path with the pure functions.
    fn suite_raw_path_signature(raw_path: &str) -> String {
        let creq = canonical_request(
            "GET",
            &canonical_uri(raw_path),
            "",
            &canonical_headers(&[
                ("host", "example.amazonaws.com"),
                ("x-amz-date", "20150830T123600Z"),
            ]),
            "host;x-amz-date",
            EMPTY_PAYLOAD_SHA256,
        );
        let sts = string_to_sign(
            "20150830T123600Z",
            &scope("20150830", SUITE_REGION, SUITE_SERVICE),
            &creq,
        );
        signature(
            &signing_key(
                &Secret::new(SUITE_SECRET),
                "20150830",
                SUITE_REGION,
                SUITE_SERVICE,
            ),
            &sts,
        )
    }

    #[test]
    fn get_utf8_and_get_space() {
        // The suite's request lines carry the raw characters; on the wire we send them encoded
        // once, and the canonical URI encodes that again (see `paths_are_normalised_and_encoded_twice`).
        assert_eq!(
            suite_raw_path_signature("/ሴ"),
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"
        );
        assert_eq!(
            suite_raw_path_signature("/example space/"),
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"
        );
    }

    #[test]
    fn paths_are_normalised_and_encoded_twice() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(
            canonical_uri("/user/federate/a%2Fb"),
            "/user/federate/a%252Fb"
        );
        assert_eq!(
            canonical_uri("/instance/5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11"),
            "/instance/5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11"
        );
    }

    #[test]
    fn queries_are_strict_and_sorted() {
        assert_eq!(
            canonical_query(Some("nextToken=NT%2F%2B%3D&maxResults=10")),
            "maxResults=10&nextToken=NT%2F%2B%3D"
        );
        assert_eq!(canonical_query(Some("q=a+b")), "q=a%20b");
        assert_eq!(canonical_query(Some("b=2&a=2&a=1&c")), "a=1&a=2&b=2&c=");
        assert_eq!(
            encode_query([("nextToken", "a/b+c= ~")]),
            "nextToken=a%2Fb%2Bc%3D%20~"
        );
    }

    #[test]
    fn host_header_keeps_a_non_default_port() {
        assert_eq!(
            host_header(&Url::parse("http://127.0.0.1:8080/x").unwrap()),
            "127.0.0.1:8080"
        );
        assert_eq!(
            host_header(&Url::parse("https://connect.us-east-1.amazonaws.com:443/").unwrap()),
            "connect.us-east-1.amazonaws.com"
        );
    }
}
