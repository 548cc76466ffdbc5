//! Discovery as the app and the CLI run it: a fresh access token, the options from the settings,
//! [`catalog::discover`], then the cache on disk and the role credentials in the keychain.
//!
//! Promises: an access token the portal refuses mid-way is renewed once and discovery starts over;
//! nothing is written unless discovery completes; the cache holds no secret; role credentials
//! found on the way go only to the keychain; a cache that cannot be read is reported as a warning
//! and replaced by the next refresh.

use std::time::Duration;

use crate::catalog::{self, CacheRead, Catalog, DiscoveryOptions, Progress};
use crate::config::Settings;
use crate::deps::Deps;
use crate::endpoints::Endpoints;
use crate::oidc::OidcClient;
use crate::region::Region;
use crate::session::{SessionError, Sessions};
use crate::start_url::StartUrl;

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error(transparent)]
    Cache(#[from] catalog::CacheError),
    #[error(transparent)]
    Keychain(#[from] crate::keychain::KeychainError),
    #[error(transparent)]
    RoleCredentials(#[from] crate::role_credentials::RoleCredentialsError),
    #[error("the stored session names `{0}`, which is not a valid start URL; sign in again with `connect-launcher login`")]
    StartUrl(String),
}

impl DiscoveryError {
    pub fn is_retryable(&self) -> bool {
        match self {
            DiscoveryError::Session(e) => e.is_retryable(),
            DiscoveryError::Cache(e) => e.is_retryable(),
            DiscoveryError::Catalog(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// The discovery options the settings ask for: role patterns, regions, the accounts to look in
/// and the instances IT pinned.
pub fn options(settings: &Settings, idc_region: Region) -> DiscoveryOptions {
    let mut o = DiscoveryOptions::new(idc_region);
    if !settings.role_patterns.is_empty() {
        o.role_patterns = settings.role_patterns.clone();
    }
    if !settings.connect_regions.is_empty() {
        o.connect_regions = settings.connect_regions.clone();
    }
    o.accounts = settings.accounts.clone();
    o.pinned = settings.pinned();
    o
}

/// The cached catalog (never fails: a damaged cache is a warning).
pub fn cached(deps: &Deps) -> CacheRead {
    catalog::read_cache(&catalog::cache_path(&deps.dirs.state))
}

/// How old a catalog is at `deps`' now.
pub fn age(deps: &Deps, catalog: &Catalog) -> Duration {
    deps.clock
        .now()
        .duration_since(catalog.fetched_at)
        .unwrap_or_default()
}

/// Discovers the catalog anew for the signed-in user, saves it and the role credentials found.
pub async fn refresh(
    deps: &Deps,
    endpoints: &Endpoints,
    settings: &Settings,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Catalog, DiscoveryError> {
    let sessions = Sessions::new(deps);
    let oidc = OidcClient::new(deps.http.clone(), endpoints.oidc().clone());
    let (token, facts) = sessions.fresh_access_token(deps, &oidc).await?;
    let start_url = StartUrl::parse(&facts.start_url, true)
        .map_err(|_| DiscoveryError::StartUrl(facts.start_url.clone()))?;
    let portal = crate::portal::PortalClient::new(deps.http.clone(), endpoints.portal().clone());
    let connect = crate::connect::ConnectClient::new(
        deps.http.clone(),
        endpoints.clone(),
        deps.clock.clone(),
    );
    let options = options(settings, endpoints.idc_region());
    let found = match catalog::discover(
        &portal,
        &connect,
        deps.clock.as_ref(),
        &token,
        &options,
        progress,
    )
    .await
    {
        // The access token ran out (or was cut short) on the way: renew it once and start over.
        // A session that cannot be renewed ends in "sign in again"; the cache is left as it was.
        Err(catalog::CatalogError::SessionExpired) => {
            tracing::info!("the portal refused the access token mid-discovery; renewing it");
            let (token, _) = sessions.refresh_rejected(deps, &oidc, &token).await?;
            catalog::discover(
                &portal,
                &connect,
                deps.clock.as_ref(),
                &token,
                &options,
                progress,
            )
            .await?
        }
        other => other?,
    };
    catalog::write_cache(&catalog::cache_path(&deps.dirs.state), &found.catalog)?;
    let creds: Vec<_> = found
        .credentials
        .into_iter()
        .map(|d| (d.account_id, d.role_name, d.credentials))
        .collect();
    crate::launch::remember_role_credentials(deps, &start_url, &creds)?;
    Ok(found.catalog)
}
