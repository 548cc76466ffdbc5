//! Saving choices made in the desktop window to the user's settings file
//! ([`crate::deps::Dirs::user_settings`]): the warning lead times and the per-instance `browser`
//! and `destination` of the `[instances.<alias or instance id>]` tables.
//!
//! Promises: only the keys a [`SettingsChange`] names are touched; every other key, table, comment
//! and blank line of the file stays as it was (the file is edited with `toml_edit`, not rewritten).
//! Values are checked before anything is written (a lead time of 0 or over a day, a destination
//! that is not one, are [`SaveError::Invalid`] with the reason). The edited file is then resolved
//! with every other layer through [`config::resolve`], so a key the managed policy locks is refused
//! with the lock's own message ([`SaveError::Locked`]) and nothing is written. The file is written
//! atomically ([`crate::session::write_atomic`]), and only when its text changes.

use std::path::PathBuf;

use thiserror::Error;
use toml_edit::{Document, Item, Table, TableLike};

use crate::config::{self, ConfigError, Flags, Key, Layers, Resolved, SourceFile};
use crate::deps::Deps;
use crate::session::SessionError;

/// A change to one field of an instance's table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FieldChange {
    /// Leave the field as it is.
    #[default]
    Keep,
    /// Set it to this.
    Set(String),
    /// Remove it from the user's file (a value from the policy still applies).
    Remove,
}

/// The choices for one instance, found in the file by its instance id or its alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceChange {
    /// The instance id.
    pub instance_id: String,
    /// Its alias, if it has one (a new table is named by it).
    pub alias: Option<String>,
    /// Its `browser`.
    pub browser: FieldChange,
    /// Its `destination`.
    pub destination: FieldChange,
}

/// What to change in the user's settings file; anything not named stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChange {
    /// New `warning_lead_minutes`.
    pub warning_lead_minutes: Option<Vec<u32>>,
    /// Per-instance choices.
    pub instances: Vec<InstanceChange>,
}

impl SettingsChange {
    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.warning_lead_minutes.is_none()
            && self
                .instances
                .iter()
                .all(|i| i.browser == FieldChange::Keep && i.destination == FieldChange::Keep)
    }
}

/// Why a change was not saved. Nothing is written in any of these cases.
#[derive(Debug, Error)]
pub enum SaveError {
    /// A value given is not one the key takes.
    #[error("{0}")]
    Invalid(String),
    /// The managed policy locks a key the change would set.
    #[error(transparent)]
    Locked(ConfigError),
    /// The settings do not resolve (a broken policy or file, an environment variable).
    #[error(transparent)]
    Config(ConfigError),
    /// The file's shape is not one this can edit safely.
    #[error("your settings file {} cannot be changed from here: {reason}; change it in a text editor", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// What is in the way.
        reason: String,
    },
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] SessionError),
}

/// The `browser` field of an instance's table.
const BROWSER: &str = "browser";
/// The `destination` field of an instance's table.
const DESTINATION: &str = "destination";

/// Checks `change`'s values, and returns it with values in their configuration form.
fn checked(change: &SettingsChange) -> Result<SettingsChange, SaveError> {
    let mut out = change.clone();
    if let Some(minutes) = &mut out.warning_lead_minutes {
        if let Some(bad) = minutes
            .iter()
            .find(|m| !(1..=config::MAX_WARNING_LEAD_MINUTES).contains(*m))
        {
            return Err(SaveError::Invalid(format!(
                "a warning {bad} minutes before is not possible: `{}` takes {}",
                Key::WarningLeadMinutes.name(),
                Key::WarningLeadMinutes.expected()
            )));
        }
        minutes.sort_unstable_by(|a, b| b.cmp(a));
        minutes.dedup();
    }
    for instance in &mut out.instances {
        if instance.instance_id.trim().is_empty() {
            return Err(SaveError::Invalid("an instance without an id".to_owned()));
        }
        let name = instance.alias.as_deref().unwrap_or(&instance.instance_id);
        if let FieldChange::Set(browser) = &instance.browser {
            let browser = browser.trim();
            instance.browser = if browser.is_empty() {
                FieldChange::Remove
            } else {
                FieldChange::Set(browser.to_owned())
            };
        }
        if let FieldChange::Set(destination) = &instance.destination {
            instance.destination = if destination.trim().is_empty() {
                FieldChange::Remove
            } else {
                let form = config::destination_form(destination).ok_or_else(|| {
                    SaveError::Invalid(format!(
                        "`{}` is not a page {name} can open: a destination is {}",
                        destination.trim(),
                        Key::DefaultDestination.expected()
                    ))
                })?;
                FieldChange::Set(form)
            };
        }
    }
    Ok(out)
}

/// `text` (the user's settings file, possibly empty) with `change` applied; `change` must have
/// been [`checked`].
fn edit(path: &std::path::Path, text: &str, change: &SettingsChange) -> Result<String, SaveError> {
    let shape = |reason: String| SaveError::Shape {
        path: path.to_owned(),
        reason,
    };
    let mut doc: Document = text
        .parse()
        .map_err(|e: toml_edit::TomlError| shape(e.to_string().trim().to_owned()))?;
    let root = doc.as_table_mut();
    if let Some(minutes) = &change.warning_lead_minutes {
        let array: toml_edit::Array = minutes.iter().map(|&m| i64::from(m)).collect();
        set_value(root, Key::WarningLeadMinutes.name(), array.into());
    }
    let touched: Vec<&InstanceChange> = change
        .instances
        .iter()
        .filter(|i| i.browser != FieldChange::Keep || i.destination != FieldChange::Keep)
        .collect();
    if touched.is_empty() {
        return Ok(doc.to_string());
    }
    let instances_name = Key::Instances.name();
    if !root.contains_key(instances_name) {
        let mut implicit = Table::new();
        implicit.set_implicit(true);
        root.insert(instances_name, Item::Table(implicit));
    }
    let instances = root
        .get_mut(instances_name)
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| shape(format!("`{instances_name}` is not a table")))?;
    for change in touched {
        edit_instance(instances, change).map_err(shape)?;
    }
    Ok(doc.to_string())
}

/// Sets `key` in `table`, keeping the lines and comments around the old value, if any.
fn set_value(table: &mut dyn TableLike, key: &str, mut value: toml_edit::Value) {
    match table.get_mut(key) {
        Some(item) => {
            if let Some(old) = item.as_value() {
                *value.decor_mut() = old.decor().clone();
            }
            *item = Item::Value(value);
        }
        None => {
            table.insert(key, Item::Value(value));
        }
    }
}

/// Applies one instance's choices to the `instances` tables.
fn edit_instance(instances: &mut dyn TableLike, change: &InstanceChange) -> Result<(), String> {
    let names_it = |name: &str| {
        name.eq_ignore_ascii_case(&change.instance_id)
            || change
                .alias
                .as_deref()
                .is_some_and(|a| name.eq_ignore_ascii_case(a))
    };
    let matching: Vec<String> = instances
        .iter()
        .map(|(name, _)| name.to_owned())
        .filter(|name| names_it(name))
        .collect();
    // The table to set values in: the one named by the id (it wins over the alias's), else the
    // alias's, else a new one named as the README's examples are, by the alias.
    let by_id = matching
        .iter()
        .find(|n| n.eq_ignore_ascii_case(&change.instance_id));
    let target = by_id
        .or(matching.first())
        .cloned()
        .unwrap_or_else(|| change.alias.clone().unwrap_or(change.instance_id.clone()));
    for (field, wanted) in [
        (BROWSER, &change.browser),
        (DESTINATION, &change.destination),
    ] {
        match wanted {
            FieldChange::Keep => {}
            FieldChange::Set(value) => {
                // A value left in the other table would come back when this one is removed.
                for name in matching.iter().filter(|n| **n != target) {
                    table_mut(instances, name)?.remove(field);
                }
                if !instances.contains_key(&target) {
                    instances.insert(&target, Item::Table(Table::new()));
                }
                set_value(table_mut(instances, &target)?, field, value.as_str().into());
            }
            FieldChange::Remove => {
                for name in &matching {
                    table_mut(instances, name)?.remove(field);
                }
            }
        }
    }
    // A table left with nothing in it goes (an empty table still counts as changing `instances`).
    for name in matching.iter().chain(std::iter::once(&target)) {
        if instances
            .get(name)
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.is_empty())
        {
            instances.remove(name);
        }
    }
    Ok(())
}

fn table_mut<'a>(
    instances: &'a mut dyn TableLike,
    name: &str,
) -> Result<&'a mut dyn TableLike, String> {
    instances
        .get_mut(name)
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| format!("`instances.{name}` is not a table"))
}

/// Saves `change` to the user's settings file and returns the settings resolved with it.
///
/// Nothing is written when a value is invalid, when the policy locks what would change, or when
/// the settings would not resolve.
pub fn save(deps: &Deps, change: &SettingsChange) -> Result<Resolved, SaveError> {
    let change = checked(change)?;
    let path = deps.dirs.user_settings();
    let policy = SourceFile::read(&deps.dirs.policy_file).map_err(SaveError::Config)?;
    let old = SourceFile::read(&path).map_err(SaveError::Config)?;
    let old_text = old.as_ref().map(|f| f.text.as_str()).unwrap_or_default();
    let layers = |user: Option<SourceFile>| Layers {
        policy: policy.clone(),
        user,
        env: deps.env.clone(),
        flags: Flags::default(),
        allow_loopback_start_url: false,
    };
    let text = match edit(&path, old_text, &change) {
        Ok(text) => text,
        // The reader's message says where a broken file is broken.
        Err(e) => {
            return Err(match config::resolve(&layers(old)) {
                Err(config) => SaveError::Config(config),
                Ok(_) => e,
            })
        }
    };
    let resolved = config::resolve(&layers(Some(SourceFile {
        path: path.clone(),
        text: text.clone(),
    })))
    .map_err(|e| match e {
        ConfigError::Locked { .. } => SaveError::Locked(e),
        e => SaveError::Config(e),
    })?;
    if text != old_text {
        crate::session::write_atomic(&path, text.as_bytes())?;
    }
    Ok(resolved)
}

/// The change that turns `current` per-instance choices into `wanted` ones, field by field
/// (`None` is "no choice"); unchanged fields are [`FieldChange::Keep`].
pub fn field_change(current: Option<&str>, wanted: Option<&str>) -> FieldChange {
    let wanted = wanted.map(str::trim).filter(|w| !w.is_empty());
    match (current, wanted) {
        (c, w) if c == w => FieldChange::Keep,
        (_, Some(w)) => FieldChange::Set(w.to_owned()),
        (_, None) => FieldChange::Remove,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    const FILE: &str = "\
# My launcher settings
default_destination = \"agent-workspace\" # CCP is too small

warning_lead_minutes = [30] # half an hour is enough

# The supervisor profile
[instances.acme-prod]
browser = 'google-chrome --profile-directory=\"Profile 2\"'
destination = \"ccp\"

[instances.acme-staging]
# staging always in Firefox
browser = \"firefox -P supervisor --new-tab\"
";

    fn deps(dir: &std::path::Path) -> Deps {
        Deps {
            clock: Arc::new(crate::clock::ManualClock::new(
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000),
            )),
            http: crate::http::Http::new(),
            store: Arc::new(crate::keychain::MemoryStore::default()),
            opener: Arc::new(crate::browser::SystemBrowser::default()),
            dirs: crate::deps::Dirs {
                home: dir.join("home"),
                state: dir.join("state"),
                config: dir.join("config"),
                policy_file: dir.join("policy.toml"),
            },
            env: BTreeMap::new(),
        }
    }

    /// The instance tables' names and their fields.
    fn table_names(text: &str) -> BTreeMap<String, Vec<String>> {
        let doc: Document = text.parse().unwrap();
        doc.get(Key::Instances.name())
            .and_then(Item::as_table_like)
            .map(|t| {
                t.iter()
                    .map(|(name, item)| {
                        let fields = item
                            .as_table_like()
                            .map(|f| f.iter().map(|(k, _)| k.to_owned()).collect())
                            .unwrap_or_default();
                        (name.to_owned(), fields)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn prod(browser: FieldChange, destination: FieldChange) -> InstanceChange {
        InstanceChange {
            instance_id: "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11".into(),
            alias: Some("acme-prod".into()),
            browser,
            destination,
        }
    }

    fn write(path: &std::path::Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn only_the_keys_given_change_and_every_comment_and_other_key_stays() {
        let dir = tempfile::tempdir().unwrap();
        let deps = deps(dir.path());
        let path = deps.dirs.user_settings();
        write(&path, FILE);
        let resolved = save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: Some(vec![5, 60, 15, 60]),
                instances: vec![prod(
                    FieldChange::Keep,
                    FieldChange::Set(" agent-workspace ".into()),
                )],
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            FILE.replace("[30]", "[60, 15, 5]")
                .replace("destination = \"ccp\"", "destination = \"agent-workspace\"")
        );
        assert_eq!(resolved.settings.warning_lead_minutes, [60, 15, 5]);
        let prod = resolved
            .settings
            .instance("5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11", Some("acme-prod"));
        assert_eq!(
            (prod.browser.as_deref(), prod.destination.as_deref()),
            (
                Some("google-chrome --profile-directory=\"Profile 2\""),
                Some("agent-workspace")
            )
        );
    }

    #[test]
    fn a_new_file_gets_the_keys_and_a_table_named_by_the_alias() {
        let dir = tempfile::tempdir().unwrap();
        let deps = deps(dir.path());
        save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: Some(vec![10]),
                instances: vec![
                    prod(
                        FieldChange::Set("firefox -P prod".into()),
                        FieldChange::Keep,
                    ),
                    InstanceChange {
                        instance_id: "9c3e5a7b-1d2f-4a6c-8e0b-3f5d7a9c1e22".into(),
                        alias: None,
                        browser: FieldChange::Keep,
                        destination: FieldChange::Set("/ccp-v2/softphone".into()),
                    },
                ],
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(deps.dirs.user_settings()).unwrap();
        assert_eq!(
            text,
            "warning_lead_minutes = [10]\n\n[instances.acme-prod]\nbrowser = \"firefox -P prod\"\n\n\
             [instances.9c3e5a7b-1d2f-4a6c-8e0b-3f5d7a9c1e22]\ndestination = \"/ccp-v2/softphone\"\n"
        );
        assert_eq!(
            deps.settings(Flags::default())
                .unwrap()
                .settings
                .warning_lead_minutes,
            [10]
        );
    }

    #[test]
    fn removing_a_choice_removes_it_from_every_table_of_the_instance_and_empty_tables_go() {
        let dir = tempfile::tempdir().unwrap();
        let deps = deps(dir.path());
        let path = deps.dirs.user_settings();
        write(
            &path,
            &format!("{FILE}\n[instances.5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11]\nbrowser = \"chromium\"\n"),
        );
        save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: None,
                instances: vec![prod(FieldChange::Remove, FieldChange::Keep)],
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            table_names(&text),
            BTreeMap::from([
                ("acme-prod".to_owned(), vec!["destination".to_owned()]),
                ("acme-staging".to_owned(), vec!["browser".to_owned()]),
            ])
        );
        assert!(text.contains("# The supervisor profile\n[instances.acme-prod]\ndestination"));
        // Removing a table's last field removes the table, and only its own comments.
        save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: None,
                instances: vec![prod(FieldChange::Keep, FieldChange::Remove)],
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            table_names(&text),
            BTreeMap::from([("acme-staging".to_owned(), vec!["browser".to_owned()])])
        );
        assert!(text.contains("# staging always in Firefox"));
        assert!(text.contains("default_destination = \"agent-workspace\" # CCP is too small"));
    }

    #[test]
    fn inline_and_dotted_instance_tables_are_edited_in_their_own_form() {
        let dir = tempfile::tempdir().unwrap();
        let deps = deps(dir.path());
        let path = deps.dirs.user_settings();
        for (before, after) in [
            (
                "instances = { acme-prod = { browser = \"firefox\" } } # mine\n",
                "instances = { acme-prod = { browser = \"firefox\" , destination = \"admin\" } } # mine\n",
            ),
            (
                "instances.acme-prod.browser = \"firefox\"\n",
                "instances.acme-prod.browser = \"firefox\"\ninstances.acme-prod.destination = \"admin\"\n",
            ),
        ] {
            write(&path, before);
            let resolved = save(
                &deps,
                &SettingsChange {
                    warning_lead_minutes: None,
                    instances: vec![prod(FieldChange::Keep, FieldChange::Set("admin".into()))],
                },
            )
            .unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
            let table = resolved.settings.instance("i-x", Some("acme-prod"));
            assert_eq!(table.browser.as_deref(), Some("firefox"));
            assert_eq!(table.destination.as_deref(), Some("admin"));
        }
    }

    #[test]
    fn a_key_the_policy_locks_is_refused_with_the_lock_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let deps = deps(dir.path());
        std::fs::write(
            &deps.dirs.policy_file,
            "warning_lead_minutes = [30, 5]\nlocked = [\"warning_lead_minutes\", \"instances\"]\n",
        )
        .unwrap();
        let path = deps.dirs.user_settings();
        write(&path, "# mine\nbrowser = \"firefox\"\n");
        let err = save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: Some(vec![60]),
                instances: Vec::new(),
            },
        )
        .unwrap_err();
        assert!(matches!(err, SaveError::Locked(_)), "{err:?}");
        assert!(
            err.to_string().starts_with(&format!(
                "`warning_lead_minutes` is locked: IT set it in the managed policy at {}",
                deps.dirs.policy_file.display()
            )),
            "{err}"
        );
        let err = save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: None,
                instances: vec![prod(FieldChange::Set("chromium".into()), FieldChange::Keep)],
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("`instances` is locked"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# mine\nbrowser = \"firefox\"\n"
        );
        // The locked value itself is not a change.
        let resolved = save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: Some(vec![5, 30]),
                instances: Vec::new(),
            },
        )
        .unwrap();
        assert_eq!(resolved.settings.warning_lead_minutes, [30, 5]);
    }

    #[test]
    fn invalid_values_say_why_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let deps = deps(dir.path());
        let path = deps.dirs.user_settings();
        for minutes in [vec![0], vec![60, config::MAX_WARNING_LEAD_MINUTES + 1]] {
            let err = save(
                &deps,
                &SettingsChange {
                    warning_lead_minutes: Some(minutes),
                    instances: Vec::new(),
                },
            )
            .unwrap_err();
            let SaveError::Invalid(why) = &err else {
                panic!("{err:?}")
            };
            assert!(why.contains("from 1 to 1440"), "{why}");
        }
        let err = save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: None,
                instances: vec![prod(
                    FieldChange::Keep,
                    FieldChange::Set("ftp://example.com".into()),
                )],
            },
        )
        .unwrap_err();
        let SaveError::Invalid(why) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            why,
            &format!(
                "`ftp://example.com` is not a page acme-prod can open: a destination is {}",
                Key::DefaultDestination.expected()
            )
        );
        assert!(!path.exists());
    }

    #[test]
    fn a_broken_file_is_named_where_it_is_broken_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let deps = deps(dir.path());
        let path = deps.dirs.user_settings();
        write(&path, "region = \n");
        let err = save(
            &deps,
            &SettingsChange {
                warning_lead_minutes: Some(vec![60]),
                instances: Vec::new(),
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, SaveError::Config(ConfigError::Syntax { line: 1, .. })),
            "{err:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "region = \n");
    }

    #[test]
    fn field_changes_compare_what_is_with_what_is_wanted() {
        assert_eq!(field_change(Some("ccp"), Some("ccp")), FieldChange::Keep);
        assert_eq!(field_change(None, Some(" ")), FieldChange::Keep);
        assert_eq!(field_change(Some("ccp"), None), FieldChange::Remove);
        assert_eq!(
            field_change(None, Some("admin")),
            FieldChange::Set("admin".into())
        );
    }
}
