//! Error responses exactly as each service sends them (reference `aws-protocols.md` §1.3).
//!
//! Promises: every error carries the `x-amzn-ErrorType` header, a body `__type` of
//! `namespace#Shape`, the service's own message members (`error`/`error_description` for sso-oidc,
//! `message` for the portal, `Message` for Connect) and an `x-amzn-RequestId`, so every SDK decodes
//! the same exception.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which service an error belongs to; decides the namespace and message members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Oidc,
    Portal,
    Connect,
}

/// One modelled (or real but unmodelled) error.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub service: Service,
    pub status: StatusCode,
    pub shape: &'static str,
    pub message: String,
    /// sso-oidc `reason` (never sent for Connect, whose `Reason` is a structure).
    pub reason: Option<String>,
}

impl ApiError {
    /// An sso-oidc error; the status and OAuth `error` code follow from the shape (§2.4).
    pub fn oidc(shape: &'static str, description: impl Into<String>) -> ApiError {
        let status = match shape {
            "InvalidClientException" => StatusCode::UNAUTHORIZED,
            "InternalServerException" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError {
            service: Service::Oidc,
            status,
            shape,
            message: description.into(),
            reason: None,
        }
    }

    /// A portal error with its HTTP status.
    pub fn portal(status: StatusCode, shape: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            service: Service::Portal,
            status,
            shape,
            message: message.into(),
            reason: None,
        }
    }

    /// The portal's answer to a missing, expired or logged-out token.
    pub fn portal_unauthorized() -> ApiError {
        ApiError::portal(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            "Session token not found or invalid",
        )
    }

    /// A Connect error with its HTTP status.
    pub fn connect(
        status: StatusCode,
        shape: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            service: Service::Connect,
            status,
            shape,
            message: message.into(),
            reason: None,
        }
    }

    /// The throttling error of a service.
    pub fn throttled(service: Service) -> ApiError {
        match service {
            Service::Oidc => ApiError::oidc("SlowDownException", "Client is polling too quickly"),
            Service::Portal => ApiError::portal(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Rate exceeded",
            ),
            Service::Connect => ApiError::connect(
                StatusCode::TOO_MANY_REQUESTS,
                "ThrottlingException",
                "Rate exceeded",
            ),
        }
    }

    /// An internal fault of a service.
    pub fn internal(service: Service) -> ApiError {
        match service {
            Service::Oidc => {
                ApiError::oidc("InternalServerException", "An internal error occurred")
            }
            Service::Portal => ApiError::portal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerException",
                "An internal error occurred",
            ),
            Service::Connect => ApiError::connect(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServiceException",
                "An internal error occurred",
            ),
        }
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> ApiError {
        self.reason = Some(reason.into());
        self
    }

    /// The OAuth `error` code of an sso-oidc shape.
    pub fn oauth_code(shape: &str) -> &'static str {
        match shape {
            "AuthorizationPendingException" => "authorization_pending",
            "SlowDownException" => "slow_down",
            "ExpiredTokenException" => "expired_token",
            "AccessDeniedException" => "access_denied",
            "InvalidGrantException" => "invalid_grant",
            "InvalidClientException" => "invalid_client",
            "UnauthorizedClientException" => "unauthorized_client",
            "UnsupportedGrantTypeException" => "unsupported_grant_type",
            "InvalidScopeException" => "invalid_scope",
            "InvalidClientMetadataException" => "invalid_client_metadata",
            "InvalidRedirectUriException" => "invalid_redirect_uri",
            "InternalServerException" => "server_error",
            _ => "invalid_request",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.service {
            Service::Oidc => {
                let mut b = json!({
                    "__type": format!("com.amazonaws.ssooidc#{}", self.shape),
                    "error": ApiError::oauth_code(self.shape),
                    "error_description": self.message,
                });
                if let Some(r) = &self.reason {
                    b["reason"] = json!(r);
                }
                b
            }
            Service::Portal => json!({
                "__type": format!("com.amazonaws.switchboard.portal#{}", self.shape),
                "message": self.message,
            }),
            // Connect models `Reason` as a structure, so a string there would break SDKs: the
            // emulator never sends one.
            Service::Connect => json!({
                "__type": format!("com.amazonaws.connect#{}", self.shape),
                "Message": self.message,
            }),
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        resp.headers_mut()
            .insert("x-amzn-ErrorType", HeaderValue::from_static(self.shape));
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_statuses() {
        assert_eq!(
            ApiError::oidc("InvalidClientException", "x").status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            ApiError::oidc("SlowDownException", "x").status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(ApiError::oauth_code("SlowDownException"), "slow_down");
    }
}
