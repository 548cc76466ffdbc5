//! Connect Launcher core: the whole domain, with no GUI and no CLI parsing (see ARCHITECTURE.md).

pub mod aws_cli_cache;
pub mod aws_config_import;
pub mod aws_error;
pub mod backoff;
pub mod browser;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod connect;
pub mod console_federation;
pub mod endpoints;
pub mod http;
pub mod keychain;
pub mod loopback;
pub mod oidc;
pub mod pkce;
pub mod policy;
pub mod portal;
pub mod rate_limit;
pub mod region;
pub mod relay_state;
pub mod secret;
pub mod sigv4;
pub mod start_url;
pub mod url_policy;
