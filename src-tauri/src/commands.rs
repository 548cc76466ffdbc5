//! The IPC commands (`ui/IPC.md`): each takes its arguments, makes one launcher-core call through
//! the managed [`Shell`], maps the error to the contract's code set and, where the contract says
//! so, tells the window what changed.
//!
//! Promises: no command reloads the settings or decides anything about the domain; every command
//! fails with an [`IpcError`]; the tray runs the same functions as the window.

use launcher_core::catalog::{CacheRead, Progress};
use launcher_core::session::Facts;
use launcher_core::signin::{self, SignInUi};
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_autostart::ManagerExt;

use crate::ipc::{
    events, AppState, Catalog, CatalogProgress, Clock, DeviceCode, InstancePreferences, IpcError,
    IpcResult, Launched, Preferences, Session, SettingsView,
};
use crate::shell::Shell;

/// Sign-in, as the window shows it: the device code goes to the window as an event.
struct WindowSignIn {
    app: AppHandle,
}

impl SignInUi for WindowSignIn {
    fn visit(&self, _url: &url::Url, opened: bool) {
        tracing::info!(opened, "the sign-in page is shown in the browser");
    }

    fn device_code(&self, user_code: &str, verification_uri: &str) {
        let code = DeviceCode {
            user_code: user_code.to_owned(),
            verification_uri: verification_uri.to_owned(),
        };
        if let Err(e) = self.app.emit(events::SIGNIN_DEVICE_CODE, code) {
            tracing::warn!(error = %e, "cannot show the device code in the window");
        }
    }

    fn reused_aws_cli_session(&self, _path: &std::path::Path) {
        tracing::info!("took over the AWS CLI's session");
    }
}

/// Tells the window and the clocks watcher that the session changed.
fn session_changed(app: &AppHandle, shell: &Shell, facts: Option<&Facts>) -> Option<Session> {
    let session = facts.map(|f| Session::new(f, shell.portal_session_hours()));
    if let Err(e) = app.emit(events::SESSION_CHANGED, session.clone()) {
        tracing::warn!(error = %e, "cannot tell the window the session changed");
    }
    shell.clocks_changed();
    shell.session_changed();
    session
}

#[tauri::command]
pub fn app_state(shell: State<'_, Shell>) -> IpcResult<AppState> {
    let facts = shell.facts()?;
    Ok(AppState {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        now: shell.now(),
        settings: SettingsView::new(&*shell.resolved()?, facts.as_ref()),
        session: facts.map(|f| Session::new(&f, shell.portal_session_hours())),
    })
}

#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    shell: State<'_, Shell>,
    start_url: String,
    region: String,
    device_code: bool,
) -> IpcResult<Session> {
    let (start_url, region, opts) = shell.sign_in_request(&start_url, &region, device_code)?;
    let endpoints = shell.endpoints_for(region)?;
    let ui = WindowSignIn { app: app.clone() };
    let facts = shell
        .cancellable(signin::sign_in(
            shell.deps(),
            &endpoints,
            &start_url,
            region,
            &opts,
            &ui,
        ))
        .await??;
    session_changed(&app, &shell, Some(&facts)).ok_or_else(IpcError::not_signed_in)
}

#[tauri::command]
pub fn cancel_sign_in(shell: State<'_, Shell>) {
    shell.cancel_sign_in()
}

#[tauri::command]
pub async fn sign_out(app: AppHandle, shell: State<'_, Shell>, everywhere: bool) -> IpcResult<()> {
    shell.sign_out(everywhere).await?;
    session_changed(&app, &shell, None);
    crate::tray::set_instances(&app, &[], &Default::default());
    Ok(())
}

/// Ends the shift (the tray's "End shift").
pub async fn end_shift(app: &AppHandle) -> IpcResult<()> {
    sign_out(app.clone(), app.state::<Shell>(), true).await
}

/// The catalog as the window sees it now, with each entry's latest launch.
fn catalog_view(shell: &Shell, read: CacheRead, refreshing: bool) -> Catalog {
    match read {
        CacheRead::Loaded(c) => {
            Catalog::new(&c, &shell.launches(), &shell.favourites(), refreshing)
        }
        CacheRead::Missing => Catalog::empty(Vec::new(), refreshing),
        CacheRead::Ignored { warning } => Catalog::empty(vec![warning], refreshing),
    }
}

/// Discovers the catalog again in the background, with `catalog://progress` on the way and
/// `catalog://changed` at the end (whose warnings say why, when it failed).
fn refresh_in_background(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let shell = app.state::<Shell>();
        let progress = |p: Progress| {
            let _ = app.emit(
                events::CATALOG_PROGRESS,
                CatalogProgress {
                    done: p.done,
                    total: p.total,
                },
            );
        };
        let result: IpcResult<_> = async {
            let facts = shell.signed_in()?;
            let endpoints = shell.session_endpoints(&facts)?;
            Ok(launcher_core::discovery::refresh(
                shell.deps(),
                &endpoints,
                &shell.resolved()?.settings,
                &progress,
            )
            .await?)
        }
        .await;
        shell.done_refreshing();
        let view = match result {
            Ok(c) => {
                let favourites = shell.favourites();
                crate::tray::set_instances(&app, &c.entries, &favourites);
                Catalog::new(&c, &shell.launches(), &favourites, false)
            }
            Err(e) => {
                tracing::warn!(error = %e, "refreshing the catalog failed");
                let mut view = catalog_view(
                    &shell,
                    launcher_core::discovery::cached(shell.deps()),
                    false,
                );
                view.warnings.insert(0, e.message);
                view
            }
        };
        if let Err(e) = app.emit(events::CATALOG_CHANGED, view) {
            tracing::warn!(error = %e, "cannot send the catalog to the window");
        }
    });
}

/// Starts a catalog refresh in the background unless one is running; `false` when one was.
pub fn start_refresh(app: &AppHandle) -> bool {
    let started = app.state::<Shell>().start_refreshing();
    if started {
        refresh_in_background(app);
    }
    started
}

/// The cached catalog at once; a refresh starts in the background when asked for or when nothing
/// usable is cached.
#[tauri::command]
pub fn catalog(app: AppHandle, shell: State<'_, Shell>, refresh: bool) -> IpcResult<Catalog> {
    shell.signed_in()?;
    let read = launcher_core::discovery::cached(shell.deps());
    if refresh || !matches!(read, CacheRead::Loaded(_)) {
        start_refresh(&app);
    }
    Ok(catalog_view(&shell, read, shell.is_refreshing()))
}

/// Launches an instance (the window's "launch" and the tray's instances).
pub async fn launch_instance(
    app: &AppHandle,
    instance_id: &str,
    destination: Option<String>,
) -> IpcResult<Launched> {
    let launched_at = app
        .state::<Shell>()
        .launch(instance_id, destination)
        .await?;
    Ok(Launched { launched_at })
}

#[tauri::command]
pub async fn launch(
    app: AppHandle,
    instance_id: String,
    destination: String,
) -> IpcResult<Launched> {
    launch_instance(&app, &instance_id, Some(destination)).await
}

#[tauri::command]
pub async fn relaunch(shell: State<'_, Shell>, instance_id: String) -> IpcResult<Launched> {
    let launched_at = shell.relaunch(&instance_id).await?;
    Ok(Launched { launched_at })
}

/// Re-launches from a notification or the tray, reporting a failure as a notification.
pub fn relaunch_in_background(app: &AppHandle, instance_id: String, name: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = app.state::<Shell>().relaunch(&instance_id).await {
            report(&format!("Could not re-launch {name}"), &e);
        }
    });
}

/// Reports a failed tray or notification action.
pub fn report(summary: &str, error: &IpcError) {
    tracing::warn!(error = %error, "{summary}");
    crate::watch::notify_failure(summary, error);
}

#[tauri::command]
pub fn clocks(shell: State<'_, Shell>) -> IpcResult<Vec<Clock>> {
    Ok(Clock::list(&shell.deadlines()?))
}

/// Stars or unstars an instance; the tray lists favourites first.
#[tauri::command]
pub fn set_favourite(
    app: AppHandle,
    shell: State<'_, Shell>,
    instance_id: String,
    favourite: bool,
) -> IpcResult<()> {
    shell.set_favourite(&instance_id, favourite)?;
    crate::tray::set_instances(&app, &shell.cached_entries(), &shell.favourites());
    Ok(())
}

/// The preferences as the settings and the system have them now.
fn current_preferences(app: &AppHandle, shell: &Shell) -> IpcResult<Preferences> {
    let resolved = shell.resolved()?;
    let per_instance = shell
        .cached_entries()
        .iter()
        .filter_map(|e| {
            let s = resolved
                .settings
                .instance(&e.instance_id, e.alias.as_deref());
            let p = InstancePreferences {
                browser: s.browser,
                destination: s.destination,
            };
            (p.browser.is_some() || p.destination.is_some()).then(|| (e.instance_id.clone(), p))
        })
        .collect();
    Ok(Preferences {
        start_at_login: app.autolaunch().is_enabled()?,
        lead_minutes: resolved.settings.warning_lead_minutes.clone(),
        per_instance,
    })
}

#[tauri::command]
pub fn preferences(app: AppHandle, shell: State<'_, Shell>) -> IpcResult<Preferences> {
    current_preferences(&app, &shell)
}

/// Saves what changed: lead times and per-instance choices to the user's settings file (refused
/// whole, with nothing written, when the policy locks one or a value is invalid), then start at
/// login, which is the shell's own.
#[tauri::command]
pub fn set_preferences(
    app: AppHandle,
    shell: State<'_, Shell>,
    preferences: Preferences,
) -> IpcResult<()> {
    let current = current_preferences(&app, &shell)?;
    shell.save_settings(&crate::ipc::settings_change(
        &current,
        &preferences,
        &shell.cached_entries(),
    ))?;
    let autostart = app.autolaunch();
    match (preferences.start_at_login, current.start_at_login) {
        (true, false) => autostart.enable()?,
        (false, true) => autostart.disable()?,
        _ => {}
    }
    Ok(())
}

/// The window's first view has painted: show the window (`first_paint`).
#[tauri::command]
pub fn window_ready(app: AppHandle) {
    crate::first_paint::painted(&app);
}
