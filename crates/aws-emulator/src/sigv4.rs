//! AWS Signature Version 4 verification of incoming requests (the `Authorization` header form), as
//! AWS's front ends do it for services other than S3.
//!
//! The canonical request is rebuilt from what arrived on the wire by pure functions
//! ([`canonical_uri`], [`canonical_query`], [`canonical_headers`], [`canonical_request`],
//! [`string_to_sign`], [`signing_key`], [`signature`]), checked against AWS's SigV4 test-suite
//! vectors. [`verify`] then checks a request against the credentials the emulator issued.
//!
//! Promises: a request passes only when its signature was made with the secret the emulator issued
//! for its access key id, with that key's session token, scoped to the expected service, within
//! [`MAX_CLOCK_SKEW_SECS`] of the emulated clock, before the credentials expire. Every refusal
//! carries the error shape and message AWS sends for it (all HTTP 403), so SDKs react as they do
//! against AWS (e.g. the Rust SDK corrects its clock after a "Signature expired").

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::errors::{ApiError, Service};
use crate::state::Shared;

/// The only signing algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The last element of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";

/// How far a request's signing time may be from the service's clock, either way (AWS: 5 minutes).
pub const MAX_CLOCK_SKEW_SECS: u64 = 5 * 60;

/// The payload-hash value that means "the body is not signed".
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Characters left alone by SigV4's URI encoding: the RFC 3986 unreserved set.
const SIGV4_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// As [`SIGV4_ENCODE`], keeping the path separator.
const SIGV4_ENCODE_PATH: &AsciiSet = &SIGV4_ENCODE.remove(b'/');

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// The scope's date, `YYYYMMDD`.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lower-case header names, as listed.
    pub signed_headers: Vec<String>,
    /// Lower-case hex.
    pub signature: String,
}

impl Authorization {
    /// `DATE/REGION/SERVICE/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{SCOPE_TERMINATOR}",
            self.date, self.region, self.service
        )
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header at all.
    #[error("Missing Authentication Token")]
    MissingAuthentication,
    /// An `Authorization` header that is not a complete SigV4 header, or no usable date.
    #[error("{0}")]
    IncompleteSignature(String),
    /// A signature that does not match, a wrong scope, or a signing time too far from the clock.
    #[error("{0}")]
    InvalidSignature(String),
    /// An access key id or session token the service does not know.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// Credentials past their expiry.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
}

impl SigV4Error {
    /// The error shape AWS sends.
    pub fn shape(&self) -> &'static str {
        match self {
            SigV4Error::MissingAuthentication => "MissingAuthenticationTokenException",
            SigV4Error::IncompleteSignature(_) => "IncompleteSignatureException",
            SigV4Error::InvalidSignature(_) => "InvalidSignatureException",
            SigV4Error::UnrecognizedClient => "UnrecognizedClientException",
            SigV4Error::ExpiredToken => "ExpiredTokenException",
        }
    }

    /// The 403 response of `service` for this refusal.
    pub fn into_api_error(self, service: Service) -> ApiError {
        ApiError {
            service,
            status: http::StatusCode::FORBIDDEN,
            shape: self.shape(),
            message: self.to_string(),
            reason: None,
        }
    }
}

/// Parses an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<Authorization, SigV4Error> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'. Only '{ALGORITHM}' is supported."
        )));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((name, v)) = part.trim().split_once('=') else {
            continue;
        };
        match name.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed_headers = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, found) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !found {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "{missing}Authorization={value}"
        )));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential should have exactly 5 slash-separated parts (AKID/DATE/REGION/SERVICE/{SCOPE_TERMINATOR}), not '{credential}'."
        )));
    };
    if terminator != SCOPE_TERMINATOR {
        return Err(SigV4Error::InvalidSignature(format!(
            "Credential should be scoped with a valid terminator: '{SCOPE_TERMINATOR}', not '{terminator}'."
        )));
    }
    if access_key_id.is_empty() || region.is_empty() || service.is_empty() {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential should name an access key id, a region and a service, not '{credential}'."
        )));
    }
    Ok(Authorization {
        access_key_id: access_key_id.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers: signed_headers
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        signature: signature.to_ascii_lowercase(),
    })
}

/// The canonical URI for services other than S3: the path as it arrived (already percent-encoded
/// once by the client) with `.`/`..` segments and empty segments removed, then URI-encoded again, so
/// `%3D` becomes `%253D`. An empty path is `/`.
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
    let last = raw_path.rsplit('/').next().unwrap_or("");
    let trailing_slash = raw_path.contains('/') && matches!(last, "" | "." | "..");
    let mut path = format!("/{}", segments.join("/"));
    if trailing_slash && path != "/" {
        path.push('/');
    }
    percent_encoding::utf8_percent_encode(&path, SIGV4_ENCODE_PATH).to_string()
}

/// The canonical query string: every parameter decoded, then encoded with SigV4's strict rules,
/// sorted by encoded name and then encoded value, joined as `name=value` with `&`.
pub fn canonical_query(raw_query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
            .map(|(k, v)| (uri_encode(&k), uri_encode(&v)))
            .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// SigV4's URI encoding of one value: everything but `A–Z a–z 0–9 - . _ ~` as `%XX`.
pub fn uri_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, SIGV4_ENCODE).to_string()
}

/// The canonical headers block: for each signed header (in the given order), `name:value\n`, with
/// the values of repeated headers joined by `,`, each trimmed and with inner runs of spaces
/// collapsed to one. A signed header that was not sent contributes an empty value.
pub fn canonical_headers(headers: &http::HeaderMap, signed_headers: &[String]) -> String {
    let mut block = String::new();
    for name in signed_headers {
        let values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        block.push_str(name);
        block.push(':');
        block.push_str(&values.join(","));
        block.push('\n');
    }
    block
}

fn collapse_spaces(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The canonical request: method, URI, query, headers block, signed headers, payload hash.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{}\n{payload_hash}",
        signed_headers.join(";")
    )
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The string to sign for a request signed at `amz_date` (`YYYYMMDDTHHMMSSZ`) within `scope`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The signing key: HMAC-SHA256 chained over the date, region, service and terminator, starting
/// from `AWS4` + the secret access key.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac_sha256(
        format!("AWS4{secret_access_key}").as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, SCOPE_TERMINATOR.as_bytes())
}

/// The signature: lower-case hex HMAC-SHA256 of the string to sign under the signing key.
pub fn signature(signing_key: &[u8], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Parses an ISO 8601 basic time (`20150830T123600Z`) to epoch seconds.
pub fn parse_amz_date(value: &str) -> Option<u64> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    u64::try_from(t.unix_timestamp()).ok()
}

/// Formats epoch seconds as an ISO 8601 basic time (`20150830T123600Z`).
pub fn format_amz_date(epoch_secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch_secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(time::macros::format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap_or_default()
}

/// Parses an HTTP date (`Sun, 30 Aug 2015 12:36:00 GMT`) to epoch seconds.
fn parse_http_date(value: &str) -> Option<u64> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    u64::try_from(t.unix_timestamp()).ok()
}

/// Whether a request signed at `signed` is acceptable at `now`; the refusal message AWS gives if not.
pub fn check_skew(signed: u64, now: u64) -> Result<(), SigV4Error> {
    if signed + MAX_CLOCK_SKEW_SECS < now {
        return Err(SigV4Error::InvalidSignature(format!(
            "Signature expired: {} is now earlier than {} ({} - {} min.)",
            format_amz_date(signed),
            format_amz_date(now - MAX_CLOCK_SKEW_SECS),
            format_amz_date(now),
            MAX_CLOCK_SKEW_SECS / 60
        )));
    }
    if signed > now + MAX_CLOCK_SKEW_SECS {
        return Err(SigV4Error::InvalidSignature(format!(
            "Signature not yet current: {} is still later than {} ({} + {} min.)",
            format_amz_date(signed),
            format_amz_date(now + MAX_CLOCK_SKEW_SECS),
            format_amz_date(now),
            MAX_CLOCK_SKEW_SECS / 60
        )));
    }
    Ok(())
}

/// What arrived: the request line's method, raw path and raw query, the headers and the body.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: Option<&'a str>,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
}

impl<'a> Incoming<'a> {
    /// The parts of an HTTP request.
    pub fn new(parts: &'a http::request::Parts, body: &'a [u8]) -> Incoming<'a> {
        Incoming {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            raw_query: parts.uri.query(),
            headers: &parts.headers,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Who signed a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub access_key_id: String,
    /// The role session name (the IdC user name).
    pub user: String,
    pub account: String,
    /// The role: a permission-set name or a SAML application's role.
    pub role: String,
    /// The region in the credential scope.
    pub region: String,
}

/// Verifies a request signed for `service` against the credentials the emulator issued.
///
/// Checks, in order: the header's shape, the service in the scope, the signing date and its
/// agreement with the scope, that `host` is signed, the clock skew, the access key id, the session
/// token, the credentials' expiry, and finally the signature itself.
pub fn verify(shared: &Shared, service: &str, req: &Incoming<'_>) -> Result<Caller, SigV4Error> {
    let header = req
        .header("authorization")
        .ok_or(SigV4Error::MissingAuthentication)?;
    let auth = parse_authorization(header)?;
    if auth.service != service {
        return Err(SigV4Error::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    let (amz_date, signed_at) = match req.header("x-amz-date") {
        Some(d) => (d.to_owned(), parse_amz_date(d)),
        None => match req.header("date") {
            Some(d) => {
                let secs = parse_http_date(d);
                (secs.map(format_amz_date).unwrap_or_else(|| d.to_owned()), secs)
            }
            None => {
                return Err(SigV4Error::IncompleteSignature(format!(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}"
                )))
            }
        },
    };
    let Some(signed_at) = signed_at else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    if !amz_date.starts_with(&auth.date) || auth.date.len() != 8 {
        return Err(SigV4Error::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            &amz_date[..amz_date.len().min(8)]
        )));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(SigV4Error::InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    let now = shared.clock.epoch_secs();
    check_skew(signed_at, now)?;
    let creds = shared
        .state
        .lock()
        .unwrap()
        .role_credentials
        .get(&auth.access_key_id)
        .cloned()
        .ok_or(SigV4Error::UnrecognizedClient)?;
    if req.header("x-amz-security-token") != Some(creds.session_token.as_str()) {
        return Err(SigV4Error::UnrecognizedClient);
    }
    if creds.expires_at <= now {
        return Err(SigV4Error::ExpiredToken);
    }
    let body_hash = sha256_hex(req.body);
    let payload_hash = match req.header("x-amz-content-sha256") {
        Some(h) if h != UNSIGNED_PAYLOAD && h != body_hash => {
            return Err(SigV4Error::InvalidSignature(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned(),
            ))
        }
        Some(h) => h.to_owned(),
        None => body_hash,
    };
    let mut signed_headers = auth.signed_headers.clone();
    signed_headers.sort();
    signed_headers.dedup();
    let creq = canonical_request(
        req.method,
        &canonical_uri(req.raw_path),
        &canonical_query(req.raw_query),
        &canonical_headers(req.headers, &signed_headers),
        &signed_headers,
        &payload_hash,
    );
    let sts = string_to_sign(&amz_date, &auth.scope(), &creq);
    let expected = signature(
        &signing_key(
            &creds.secret_access_key,
            &auth.date,
            &auth.region,
            &auth.service,
        ),
        &sts,
    );
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(SigV4Error::InvalidSignature(format!(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{creq}'\n\nThe String-to-Sign should have been\n'{sts}'\n"
        )));
    }
    Ok(Caller {
        access_key_id: auth.access_key_id,
        user: creds.user,
        account: creds.account,
        role: creds.role,
        region: auth.region,
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from AWS's SigV4 test suite (credentials, scope and time shared by all of them).
    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SUITE_DATE: &str = "20150830T123600Z";
    const SUITE_SCOPE: &str = "20150830/us-east-1/service/aws4_request";
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn suite_headers(extra: &[(&str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("host", "example.amazonaws.com".parse().unwrap());
        h.insert("x-amz-date", SUITE_DATE.parse().unwrap());
        for (k, v) in extra {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn names(list: &str) -> Vec<String> {
        list.split(';').map(str::to_owned).collect()
    }

    fn suite_sign(creq: &str) -> (String, String) {
        let sts = string_to_sign(SUITE_DATE, SUITE_SCOPE, creq);
        let sig = signature(
            &signing_key(SUITE_SECRET, "20150830", "us-east-1", "service"),
            &sts,
        );
        (sts, sig)
    }

    #[test]
    fn get_vanilla_query_order_key_case() {
        let signed = names("host;x-amz-date");
        let creq = canonical_request(
            "GET",
            &canonical_uri("/"),
            &canonical_query(Some("Param2=value2&Param1=value1")),
            &canonical_headers(&suite_headers(&[]), &signed),
            &signed,
            &sha256_hex(b""),
        );
        assert_eq!(
            creq,
            format!(
                "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_SHA256}"
            )
        );
        let (sts, sig) = suite_sign(&creq);
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"
        );
        assert_eq!(
            sig,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
    }

    #[test]
    fn get_vanilla_with_session_token() {
        let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
        let signed = names("host;x-amz-date;x-amz-security-token");
        let creq = canonical_request(
            "GET",
            &canonical_uri("/"),
            &canonical_query(None),
            &canonical_headers(&suite_headers(&[("x-amz-security-token", token)]), &signed),
            &signed,
            EMPTY_SHA256,
        );
        assert_eq!(
            suite_sign(&creq).1,
            "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        );
    }

    #[test]
    fn get_header_value_trim() {
        let signed = names("host;my-header1;my-header2;x-amz-date");
        let headers = suite_headers(&[("my-header1", " value1"), ("my-header2", " \"a   b   c\"")]);
        let block = canonical_headers(&headers, &signed);
        assert_eq!(
            block,
            "host:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n"
        );
        let creq = canonical_request("GET", "/", "", &block, &signed, EMPTY_SHA256);
        assert_eq!(
            suite_sign(&creq).1,
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        );
    }

    #[test]
    fn repeated_headers_join_with_commas() {
        let signed = names("host;my-header");
        let headers = suite_headers(&[("my-header", "a"), ("my-header", " b ")]);
        assert_eq!(
            canonical_headers(&headers, &signed),
            "host:example.amazonaws.com\nmy-header:a,b\n"
        );
    }

    #[test]
    fn paths_are_normalised_then_encoded_again() {
        // double-encode-path: the client sent `%3D` once encoded; the canonical form has `%253D`.
        assert_eq!(
            canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D"),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(canonical_uri("/./example"), "/example");
        assert_eq!(canonical_uri("/example/.."), "/");
        assert_eq!(canonical_uri("/example space/"), "/example%20space/");
        assert_eq!(canonical_uri("/\u{1234}"), "/%E1%88%B4");
        assert_eq!(
            canonical_uri("/users/5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11/a%20b%2Fc"),
            "/users/5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11/a%2520b%252Fc"
        );
    }

    #[test]
    fn get_slashes_normalized_signature() {
        let signed = names("host;x-amz-date");
        let creq = canonical_request(
            "GET",
            &canonical_uri("//example//"),
            "",
            &canonical_headers(&suite_headers(&[]), &signed),
            &signed,
            EMPTY_SHA256,
        );
        assert_eq!(
            suite_sign(&creq).1,
            "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"
        );
    }

    #[test]
    fn queries_are_decoded_encoded_strictly_and_sorted() {
        assert_eq!(canonical_query(Some("%E1%88%B4=bar")), "%E1%88%B4=bar");
        assert_eq!(
            canonical_query(Some("-._~09AZaz=-._~09AZaz")),
            "-._~09AZaz=-._~09AZaz"
        );
        assert_eq!(canonical_query(Some("b=2&a=2&a=1&c")), "a=1&a=2&b=2&c=");
        assert_eq!(
            canonical_query(Some("nextToken=NT%2F%2B%3D&maxResults=10")),
            "maxResults=10&nextToken=NT%2F%2B%3D"
        );
        assert_eq!(canonical_query(Some("q=a%20b")), "q=a%20b");
        assert_eq!(canonical_query(None), "");
    }

    #[test]
    fn authorization_header_is_parsed() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261128/eu-west-2/connect/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=ABCDEF",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "ASIAEXAMPLE");
        assert_eq!(a.scope(), "20261128/eu-west-2/connect/aws4_request");
        assert_eq!(
            a.signed_headers,
            names("host;x-amz-date;x-amz-security-token")
        );
        assert_eq!(a.signature, "abcdef");
    }

    #[test]
    fn malformed_authorization_headers_are_incomplete() {
        let e = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=A/20261128/us-east-1/connect/aws4_request",
        )
        .unwrap_err();
        assert_eq!(e.shape(), "IncompleteSignatureException");
        assert!(
            e.to_string().contains("requires 'Signature' parameter"),
            "{e}"
        );
        assert!(
            e.to_string().contains("requires 'SignedHeaders' parameter"),
            "{e}"
        );
        let e = parse_authorization("Bearer abc").unwrap_err();
        assert_eq!(e.shape(), "IncompleteSignatureException");
        let e = parse_authorization("AWS4-HMAC-SHA256 Credential=A/20261128/connect/aws4_request, SignedHeaders=host, Signature=00")
            .unwrap_err();
        assert_eq!(e.shape(), "IncompleteSignatureException");
        let e = parse_authorization("AWS4-HMAC-SHA256 Credential=A/20261128/us-east-1/connect/aws5_request, SignedHeaders=host, Signature=00")
            .unwrap_err();
        assert_eq!(e.shape(), "InvalidSignatureException");
    }

    #[test]
    fn amz_dates_round_trip() {
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(format_amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(1_440_938_160)
        );
    }

    #[test]
    fn skew_beyond_five_minutes_is_refused_as_aws_words_it() {
        let now = 1_440_938_160;
        assert!(check_skew(now - MAX_CLOCK_SKEW_SECS, now).is_ok());
        assert!(check_skew(now + MAX_CLOCK_SKEW_SECS, now).is_ok());
        let e = check_skew(now - 600, now).unwrap_err();
        assert_eq!(e.shape(), "InvalidSignatureException");
        assert_eq!(
            e.to_string(),
            "Signature expired: 20150830T122600Z is now earlier than 20150830T123100Z (20150830T123600Z - 5 min.)"
        );
        let e = check_skew(now + 600, now).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Signature not yet current: 20150830T124600Z is still later than 20150830T124100Z (20150830T123600Z + 5 min.)"
        );
    }

    #[test]
    fn refusals_are_403_with_aws_shapes() {
        let e = SigV4Error::UnrecognizedClient.into_api_error(Service::Connect);
        assert_eq!(e.status, http::StatusCode::FORBIDDEN);
        assert_eq!(e.shape, "UnrecognizedClientException");
        assert_eq!(
            e.message,
            "The security token included in the request is invalid."
        );
        assert_eq!(SigV4Error::ExpiredToken.shape(), "ExpiredTokenException");
        assert_eq!(
            SigV4Error::MissingAuthentication.shape(),
            "MissingAuthenticationTokenException"
        );
    }

    /// A request to the emulated Connect API signed with our own functions.
    struct Signing<'a> {
        akid: &'a str,
        secret: &'a str,
        token: Option<&'a str>,
        service: &'a str,
        signed: &'a str,
        use_date_header: bool,
        extra: &'a [(&'a str, &'a str)],
    }

    fn signed_parts(shared: &Shared, how: &Signing<'_>) -> http::request::Parts {
        let now = shared.clock.epoch_secs();
        let amz_date = format_amz_date(now);
        let mut b = http::Request::builder()
            .method("GET")
            .uri("/instance?nextToken=a%2Bb&maxResults=1")
            .header("host", "127.0.0.1:4000");
        b = if how.use_date_header {
            b.header("date", crate::clock::http_date(shared.clock.now()))
        } else {
            b.header("x-amz-date", &amz_date)
        };
        if let Some(t) = how.token {
            b = b.header("x-amz-security-token", t);
        }
        for (k, v) in how.extra {
            b = b.header(*k, *v);
        }
        let (mut parts, ()) = b.body(()).unwrap().into_parts();
        let signed = names(how.signed);
        let creq = canonical_request(
            "GET",
            &canonical_uri(parts.uri.path()),
            &canonical_query(parts.uri.query()),
            &canonical_headers(&parts.headers, &signed),
            &signed,
            &sha256_hex(b""),
        );
        let scope = format!(
            "{}/us-east-1/{}/{SCOPE_TERMINATOR}",
            &amz_date[..8],
            how.service
        );
        let sig = signature(
            &signing_key(how.secret, &amz_date[..8], "us-east-1", how.service),
            &string_to_sign(&amz_date, &scope, &creq),
        );
        let auth = format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={sig}",
            how.akid, how.signed
        );
        parts.headers.insert("authorization", auth.parse().unwrap());
        parts
    }

    fn shared() -> Shared {
        Shared {
            org: crate::org::Org::demo(),
            clock: crate::clock::Clock::default(),
            faults: crate::faults::Faults::new(std::time::Duration::ZERO, None),
            urls: crate::state::Urls::default(),
            behaviour: std::sync::Mutex::new(crate::state::Behaviour::default()),
            state: std::sync::Mutex::new(crate::state::State::default()),
        }
    }

    fn check(shared: &Shared, parts: &http::request::Parts) -> Result<Caller, SigV4Error> {
        verify(shared, "connect", &Incoming::new(parts, b""))
    }

    #[test]
    fn verify_accepts_what_was_signed_with_the_issued_secret_and_nothing_else() {
        let shared = shared();
        let (akid, creds) =
            shared.issue_role_credentials("jordan.lee@example.com", "111122223333", "ConnectAgent");
        let good = Signing {
            akid: &akid,
            secret: &creds.secret_access_key,
            token: Some(&creds.session_token),
            service: "connect",
            signed: "host;x-amz-date;x-amz-security-token",
            use_date_header: false,
            extra: &[],
        };
        let caller = check(&shared, &signed_parts(&shared, &good)).unwrap();
        assert_eq!(
            (
                caller.user.as_str(),
                caller.account.as_str(),
                caller.role.as_str(),
                caller.region.as_str()
            ),
            (
                "jordan.lee@example.com",
                "111122223333",
                "ConnectAgent",
                "us-east-1"
            )
        );

        let with_date = Signing {
            use_date_header: true,
            signed: "date;host;x-amz-security-token",
            ..good
        };
        assert!(check(&shared, &signed_parts(&shared, &with_date)).is_ok());

        let body_hash = Signing {
            extra: &[("x-amz-content-sha256", EMPTY_SHA256)],
            ..good
        };
        assert!(check(&shared, &signed_parts(&shared, &body_hash)).is_ok());

        let mut tampered = signed_parts(&shared, &good);
        tampered.uri = "/instance?nextToken=a%2Bc&maxResults=1".parse().unwrap();
        assert_eq!(
            check(&shared, &tampered).unwrap_err().shape(),
            "InvalidSignatureException"
        );

        let sso = Signing {
            service: "sso",
            ..good
        };
        let e = check(&shared, &signed_parts(&shared, &sso)).unwrap_err();
        assert!(e.to_string().contains("correct service: 'connect'"), "{e}");

        let hostless = Signing {
            signed: "x-amz-date;x-amz-security-token",
            ..good
        };
        let e = check(&shared, &signed_parts(&shared, &hostless)).unwrap_err();
        assert!(e.to_string().contains("'Host'"), "{e}");

        let lying_hash = Signing {
            extra: &[("x-amz-content-sha256", "00")],
            ..good
        };
        let e = check(&shared, &signed_parts(&shared, &lying_hash)).unwrap_err();
        assert!(e.to_string().contains("x-amz-content-sha256"), "{e}");

        let mut unsigned = signed_parts(&shared, &good);
        unsigned.headers.remove("authorization");
        assert_eq!(
            check(&shared, &unsigned),
            Err(SigV4Error::MissingAuthentication)
        );

        let no_token = Signing {
            token: None,
            signed: "host;x-amz-date",
            ..good
        };
        assert_eq!(
            check(&shared, &signed_parts(&shared, &no_token)),
            Err(SigV4Error::UnrecognizedClient)
        );

        shared
            .clock
            .advance(std::time::Duration::from_secs(2 * 60 * 60));
        assert_eq!(
            check(&shared, &signed_parts(&shared, &good)),
            Err(SigV4Error::ExpiredToken)
        );
    }
}
