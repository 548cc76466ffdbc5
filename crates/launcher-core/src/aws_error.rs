//! Decoding AWS restJson1 error responses into an error code and message, with the precedence and
//! sanitising every AWS SDK uses (reference `aws-protocols.md` §1.3).
//!
//! Promises: the code comes from `x-amzn-ErrorType`, else the body's `code`/`Code`, else `__type`,
//! with any `:…` suffix and `namespace#` prefix removed; sso-oidc's OAuth body `error` is a last
//! fallback (so a server that forgets the header still works); the message is never a token,
//! because only the message members are read and they are cut to a safe length.

use serde_json::Value;

/// The longest message we keep from a response, so a hostile server cannot flood our errors.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// What an error response said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    /// The sanitised error code, e.g. `AuthorizationPendingException`; `None` when nothing said.
    pub code: Option<String>,
    pub message: Option<String>,
    /// sso-oidc's OAuth `error` member (`authorization_pending`, …).
    pub oauth_error: Option<String>,
    pub request_id: Option<String>,
}

/// Removes a Coral URL suffix (`:http://…`) and a namespace prefix (`ns#`).
pub fn sanitize_code(raw: &str) -> &str {
    let before_colon = raw.split(':').next().unwrap_or(raw);
    before_colon
        .rsplit('#')
        .next()
        .unwrap_or(before_colon)
        .trim()
}

/// The sso-oidc exception shape named by an OAuth `error` code.
pub fn oidc_shape_for_oauth(error: &str) -> Option<&'static str> {
    Some(match error {
        "authorization_pending" => "AuthorizationPendingException",
        "slow_down" => "SlowDownException",
        "expired_token" => "ExpiredTokenException",
        "access_denied" => "AccessDeniedException",
        "invalid_grant" => "InvalidGrantException",
        "invalid_client" => "InvalidClientException",
        "unauthorized_client" => "UnauthorizedClientException",
        "unsupported_grant_type" => "UnsupportedGrantTypeException",
        "invalid_scope" => "InvalidScopeException",
        "invalid_request" => "InvalidRequestException",
        "invalid_client_metadata" => "InvalidClientMetadataException",
        "invalid_redirect_uri" => "InvalidRedirectUriException",
        "server_error" => "InternalServerException",
        _ => return None,
    })
}

fn short(s: &str) -> String {
    s.chars().take(MAX_MESSAGE_CHARS).collect()
}

/// Decodes an error response from its status, headers (name, value pairs) and body.
pub fn decode<'a>(
    status: u16,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &[u8],
) -> AwsError {
    let mut header_code = None;
    let mut request_id = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("x-amzn-errortype") {
            header_code = Some(sanitize_code(value).to_owned());
        } else if name.eq_ignore_ascii_case("x-amzn-requestid") {
            request_id = Some(short(value));
        }
    }
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_owned);
    let body_code = text("code")
        .or_else(|| text("Code"))
        .or_else(|| text("__type"));
    let oauth_error = text("error");
    let code = header_code
        .filter(|c| !c.is_empty())
        .or_else(|| {
            body_code
                .map(|c| sanitize_code(&c).to_owned())
                .filter(|c| !c.is_empty())
        })
        .or_else(|| {
            oauth_error
                .as_deref()
                .and_then(oidc_shape_for_oauth)
                .map(str::to_owned)
        });
    let message = text("message")
        .or_else(|| text("Message"))
        .or_else(|| text("error_description"))
        .or_else(|| text("errorMessage"))
        .map(|m| short(&m));
    AwsError {
        status,
        code,
        message,
        oauth_error: oauth_error.map(|e| short(&e)),
        request_id,
    }
}

impl AwsError {
    /// Whether the error names this code.
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// Whether a caller may retry: throttling and server faults.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "TooManyRequestsException"
                    | "ThrottlingException"
                    | "Throttling"
                    | "RequestLimitExceeded"
                    | "InternalServerException"
                    | "InternalServiceException"
                    | "ServiceUnavailable"
            )
        ) || matches!(self.status, 429 | 500 | 502 | 503 | 504)
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.as_deref().unwrap_or("HTTP error"))?;
        write!(f, " (HTTP {})", self.status)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_wins_and_is_sanitised() {
        let e = decode(
            400,
            [("x-amzn-ErrorType", "AuthorizationPendingException:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/"), ("x-amzn-RequestId", "r1")],
            br#"{"error":"authorization_pending","error_description":"Authorization is still pending"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("AuthorizationPendingException"));
        assert_eq!(e.message.as_deref(), Some("Authorization is still pending"));
        assert_eq!(e.oauth_error.as_deref(), Some("authorization_pending"));
        assert_eq!(e.request_id.as_deref(), Some("r1"));
    }

    #[test]
    fn type_member_with_namespace() {
        let e = decode(403, [], br#"{"message":"No access","__type":"com.amazonaws.switchboard.portal#ForbiddenException"}"#);
        assert_eq!(e.code.as_deref(), Some("ForbiddenException"));
        assert_eq!(e.message.as_deref(), Some("No access"));
    }

    #[test]
    fn oauth_body_alone_still_decodes() {
        let e = decode(400, [], br#"{"error":"slow_down","error_description":"x"}"#);
        assert!(e.is("SlowDownException"));
    }

    #[test]
    fn garbage_body_keeps_status() {
        let e = decode(503, [], b"<html>");
        assert_eq!(e.code, None);
        assert!(e.is_retryable());
        assert_eq!(e.to_string(), "HTTP error (HTTP 503)");
    }

    #[test]
    fn connect_pascal_case() {
        let e = decode(
            404,
            [("X-Amzn-ErrorType", "UserNotFoundException")],
            br#"{"Message":"no user"}"#,
        );
        assert!(e.is("UserNotFoundException"));
        assert_eq!(e.message.as_deref(), Some("no user"));
    }

    /// A code that sanitises to nothing (`ns#`, `:…`) is no code: the next source is used.
    #[test]
    fn a_code_that_sanitises_to_nothing_is_absent() {
        let e = decode(400, [], br#"{"__type":"com.amazonaws#"}"#);
        assert_eq!(e.code, None);
        let e = decode(400, [], br#"{"code":":http://x","error":"slow_down"}"#);
        assert_eq!(e.code.as_deref(), Some("SlowDownException"));
    }

    #[test]
    fn long_messages_are_cut() {
        let body = format!(r#"{{"message":"{}"}}"#, "x".repeat(5000));
        assert_eq!(
            decode(400, [], body.as_bytes()).message.unwrap().len(),
            MAX_MESSAGE_CHARS
        );
    }
}
