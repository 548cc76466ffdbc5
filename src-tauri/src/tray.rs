//! The tray icon: the time left on the nearest clock (the title next to the icon, the tooltip
//! where the platform has one, and the first line of the menu), the instances to open (favourites
//! first), "Re-launch", "End shift" and "Quit".
//!
//! Promises: the menu is rebuilt only when the instances or the re-launch target change; the time
//! left is updated in place; [`next_label_change`] says when the shown minutes next change, so the
//! watcher wakes for that and not on a fixed tick; every action runs the same shell call as the
//! window's command and reports a failure as a desktop notification.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use launcher_core::catalog::CatalogEntry;
use launcher_core::clocks::Deadline;
use launcher_core::launch::entry_name;
use tauri::menu::{IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::ipc::clock_label;
use crate::notifications::{short_span, APP_NAME};

/// The tray icon's id.
pub const TRAY_ID: &str = "main";
/// At most this many instances are listed in the menu.
pub const MAX_INSTANCES: usize = 12;

const OPEN: &str = "open";
const INSTANCE_PREFIX: &str = "instance:";
const RELAUNCH: &str = "relaunch";
const END_SHIFT: &str = "end-shift";
const QUIT: &str = "quit";
const SECS_PER_MINUTE: u64 = 60;

/// What the menu shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Shown {
    /// (instance id, name) in menu order.
    instances: Vec<(String, String)>,
    /// (instance id, name) of the Connect session "Re-launch" restarts.
    relaunch: Option<(String, String)>,
}

/// The tray's state, managed by Tauri.
#[derive(Default)]
pub struct Tray {
    shown: Mutex<Shown>,
    status: Mutex<Option<MenuItem<Wry>>>,
}

impl std::fmt::Debug for Tray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tray")
            .field("shown", &self.shown)
            .finish_non_exhaustive()
    }
}

/// The instances to list: favourites first, each part in the catalog's order, at most
/// [`MAX_INSTANCES`].
fn instances(entries: &[CatalogEntry], favourites: &BTreeSet<String>) -> Vec<(String, String)> {
    let (starred, rest): (Vec<&CatalogEntry>, Vec<&CatalogEntry>) = entries
        .iter()
        .partition(|e| favourites.contains(&e.instance_id));
    starred
        .into_iter()
        .chain(rest)
        .take(MAX_INSTANCES)
        .map(|e| {
            (
                e.instance_id.clone(),
                format!("{} ({})", entry_name(e), e.region),
            )
        })
        .collect()
}

/// The tray's one-line status for the nearest clock at `now`.
pub fn status_text(nearest: Option<&Deadline>, now: u64) -> String {
    match nearest {
        Some(d) => format!(
            "{} ends in {}",
            clock_label(&d.kind),
            short_span(
                d.ends_at
                    .saturating_sub(now)
                    .div_ceil(SECS_PER_MINUTE)
                    .max(1)
            )
        ),
        None => APP_NAME.to_owned(),
    }
}

/// When the whole minutes shown for a clock ending at `ends_at` next change (epoch seconds).
pub fn next_label_change(now: u64, ends_at: u64) -> u64 {
    let left = ends_at.saturating_sub(now);
    if left == 0 {
        return ends_at;
    }
    let shown = left.div_ceil(SECS_PER_MINUTE);
    ends_at - (shown - 1) * SECS_PER_MINUTE
}

fn build_menu(app: &AppHandle, shown: &Shown, tray: &Tray) -> tauri::Result<Menu<Wry>> {
    let status = MenuItem::with_id(app, "status", APP_NAME, false, None::<&str>)?;
    let open = MenuItem::with_id(app, OPEN, "Open Connect Launcher", true, None::<&str>)?;
    let instances: Vec<MenuItem<Wry>> = shown
        .instances
        .iter()
        .map(|(id, name)| {
            MenuItem::with_id(
                app,
                format!("{INSTANCE_PREFIX}{id}"),
                format!("Open {name}"),
                true,
                None::<&str>,
            )
        })
        .collect::<tauri::Result<_>>()?;
    let relaunch = MenuItem::with_id(
        app,
        RELAUNCH,
        match &shown.relaunch {
            Some((_, name)) => format!("Re-launch {name}"),
            None => "Re-launch".to_owned(),
        },
        shown.relaunch.is_some(),
        None::<&str>,
    )?;
    let end_shift = MenuItem::with_id(app, END_SHIFT, "End shift", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?;
    let separators = [
        PredefinedMenuItem::separator(app)?,
        PredefinedMenuItem::separator(app)?,
        PredefinedMenuItem::separator(app)?,
    ];
    let mut items: Vec<&dyn IsMenuItem<Wry>> = vec![&status, &separators[0], &open];
    items.extend(instances.iter().map(|i| i as &dyn IsMenuItem<Wry>));
    items.extend([
        &separators[1] as &dyn IsMenuItem<Wry>,
        &relaunch,
        &end_shift,
        &separators[2],
        &quit,
    ]);
    let menu = Menu::with_items(app, &items)?;
    *tray.status.lock().unwrap_or_else(PoisonError::into_inner) = Some(status);
    Ok(menu)
}

/// Creates the tray icon (with the cached instances).
pub fn create(
    app: &AppHandle,
    entries: &[CatalogEntry],
    favourites: &BTreeSet<String>,
) -> tauri::Result<()> {
    app.manage(Tray::default());
    let tray = app.state::<Tray>();
    let shown = Shown {
        instances: instances(entries, favourites),
        relaunch: None,
    };
    let menu = build_menu(app, &shown, &tray)?;
    *tray.shown.lock().unwrap_or_else(PoisonError::into_inner) = shown;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(APP_NAME)
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(on_menu)
        .on_tray_icon_event(|icon, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_main_window(icon.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

fn rebuild(app: &AppHandle, change: impl FnOnce(&mut Shown)) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let shown = {
        let mut shown = tray.shown.lock().unwrap_or_else(PoisonError::into_inner);
        let before = shown.clone();
        change(&mut shown);
        if *shown == before {
            return;
        }
        shown.clone()
    };
    let result = build_menu(app, &shown, &tray).and_then(|menu| match app.tray_by_id(TRAY_ID) {
        Some(icon) => icon.set_menu(Some(menu)),
        None => Ok(()),
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot update the tray menu");
    }
}

/// Lists these instances in the menu, favourites first.
pub fn set_instances(app: &AppHandle, entries: &[CatalogEntry], favourites: &BTreeSet<String>) {
    let listed = instances(entries, favourites);
    rebuild(app, |shown| shown.instances = listed);
}

/// Shows the time left on the nearest clock, and which Connect session "Re-launch" restarts.
pub fn set_clocks(
    app: &AppHandle,
    nearest: Option<&Deadline>,
    relaunch: Option<(String, String)>,
    now: u64,
) {
    rebuild(app, |shown| shown.relaunch = relaunch);
    let text = status_text(nearest, now);
    if let Some(icon) = app.tray_by_id(TRAY_ID) {
        let title = nearest.map(|d| {
            short_span(
                d.ends_at
                    .saturating_sub(now)
                    .div_ceil(SECS_PER_MINUTE)
                    .max(1),
            )
        });
        // Linux shows the title next to the icon and has no tooltip; others show the tooltip.
        let _ = icon.set_title(title.as_deref());
        let _ = icon.set_tooltip(Some(&text));
    }
    if let Some(tray) = app.try_state::<Tray>() {
        if let Some(item) = tray
            .status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            let _ = item.set_text(&text);
        }
    }
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    let id = event.id.as_ref();
    match id {
        OPEN => crate::show_main_window(app),
        QUIT => app.exit(0),
        END_SHIFT => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = crate::commands::end_shift(&app).await {
                    crate::commands::report("Could not end the shift", &e);
                }
                crate::show_main_window(&app);
            });
        }
        RELAUNCH => {
            let target = app.try_state::<Tray>().and_then(|t| {
                t.shown
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .relaunch
                    .clone()
            });
            if let Some((instance_id, name)) = target {
                crate::commands::relaunch_in_background(app, instance_id, name);
            }
        }
        _ => {
            if let Some(instance_id) = id.strip_prefix(INSTANCE_PREFIX) {
                let app = app.clone();
                let instance_id = instance_id.to_owned();
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = crate::commands::launch_instance(&app, &instance_id, None).await
                    {
                        crate::commands::report("Could not open Amazon Connect", &e);
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use launcher_core::clocks::DeadlineKind;

    #[test]
    fn the_label_changes_when_the_whole_minutes_do() {
        let ends = 10_000;
        // 2 min 30 s left shows "3 min" until 2 min are left.
        assert_eq!(next_label_change(ends - 150, ends), ends - 120);
        // Exactly 2 min left shows "2 min" until 1 min is left.
        assert_eq!(next_label_change(ends - 120, ends), ends - 60);
        // The last minute shows "1 min" until the end.
        assert_eq!(next_label_change(ends - 30, ends), ends);
        assert_eq!(next_label_change(ends + 5, ends), ends);
    }

    #[test]
    fn favourites_come_first_and_saml_only_entries_go_by_their_application() {
        use launcher_core::catalog::LaunchMethod;
        let entry = |id: &str, alias: Option<&str>| CatalogEntry {
            instance_id: id.into(),
            alias: alias.map(str::to_owned),
            region: "eu-west-2".into(),
            account_id: None,
            account_name: None,
            domain: launcher_core::connect::DomainForm::New,
            launch_methods: vec![LaunchMethod::SamlApplication {
                app_instance_id: format!("ins-{id}"),
                name: format!("Amazon Connect - {id}"),
                relay_state: String::new(),
            }],
            sources: Vec::new(),
        };
        let entries = [
            entry("a", Some("alpha")),
            entry("b", None),
            entry("c", Some("gamma")),
        ];
        let favourites = BTreeSet::from(["c".to_owned()]);
        assert_eq!(
            instances(&entries, &favourites),
            [
                ("c".to_owned(), "gamma (eu-west-2)".to_owned()),
                ("a".to_owned(), "alpha (eu-west-2)".to_owned()),
                ("b".to_owned(), "Amazon Connect - b (eu-west-2)".to_owned()),
            ]
        );
        let many: Vec<CatalogEntry> = (0..MAX_INSTANCES + 3)
            .map(|i| entry(&format!("i{i:02}"), None))
            .collect();
        let last = BTreeSet::from([format!("i{:02}", MAX_INSTANCES + 2)]);
        let listed = instances(&many, &last);
        assert_eq!(listed.len(), MAX_INSTANCES);
        assert_eq!(listed[0].0, format!("i{:02}", MAX_INSTANCES + 2));
    }

    #[test]
    fn status_names_the_clock_and_the_time_left() {
        let d = Deadline {
            kind: DeadlineKind::ConnectSession {
                instance_id: "i-1".into(),
                alias: Some("acme-prod".into()),
            },
            ends_at: 10_000,
            estimated: false,
            renews_itself: false,
            renewal_failed_at: None,
        };
        assert_eq!(
            status_text(Some(&d), 10_000 - 2 * 3600 - 300),
            "Connect session: acme-prod ends in 2 h 5 min"
        );
        assert_eq!(status_text(None, 0), APP_NAME);
    }
}
