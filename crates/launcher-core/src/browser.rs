//! Opening a URL in the user's browser: `$BROWSER` first (on every platform), then a configured
//! browser command, then the system default (`xdg-open`, `open`, the Windows URL handler).
//!
//! Promises: the URL is always one argument of its own, never passed through a shell, so nothing in
//! it can run a command; the browser is started and left running (we never wait for it to exit, and
//! we reap it so no zombie is left behind); a failure names the command that failed and the way
//! out (`--print`).

use std::process::{Command, Stdio};

use url::Url;

/// Opens URLs; production uses [`SystemBrowser`], tests a `$BROWSER` script or a recorder.
pub trait Opener: Send + Sync + std::fmt::Debug {
    fn open(&self, url: &Url) -> Result<(), BrowserError>;
}

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("cannot start the browser `{command}`: {detail}; set $BROWSER or the `browser` setting to a working browser, or use --print to get the address")]
    Spawn { command: String, detail: String },
    #[error("the browser command `{0}` is empty or unbalanced in its quotes; fix $BROWSER or the `browser` setting")]
    BadCommand(String),
}

/// The user's browser as configured.
#[derive(Debug, Clone, Default)]
pub struct SystemBrowser {
    /// `$BROWSER`: commands separated by the platform's path separator, each tried in turn.
    pub env_browser: Option<String>,
    /// The `browser` setting (a command line), used when `$BROWSER` is unset.
    pub configured: Option<String>,
}

/// Splits a command line into words, honouring single and double quotes (no other shell syntax).
pub fn split_command(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return None;
    }
    if in_word {
        words.push(cur);
    }
    (!words.is_empty()).then_some(words)
}

/// The argv for one browser command and a URL: `%s` is replaced, else the URL is appended.
pub fn argv_for(command: &str, url: &str) -> Option<Vec<String>> {
    let words = split_command(command)?;
    if words.iter().any(|w| w.contains("%s")) {
        Some(words.into_iter().map(|w| w.replace("%s", url)).collect())
    } else {
        let mut words = words;
        words.push(url.to_owned());
        Some(words)
    }
}

/// The platform's default way to open a URL.
pub fn system_default_argv(url: &str) -> Vec<String> {
    if cfg!(target_os = "macos") {
        vec!["open".into(), url.into()]
    } else if cfg!(windows) {
        vec![
            "rundll32".into(),
            "url.dll,FileProtocolHandler".into(),
            url.into(),
        ]
    } else {
        vec!["xdg-open".into(), url.into()]
    }
}

fn spawn(argv: &[String]) -> Result<(), BrowserError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| BrowserError::BadCommand(String::new()))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| BrowserError::Spawn {
            command: program.clone(),
            detail: e.to_string(),
        })?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

impl SystemBrowser {
    /// The command lines that will be tried, in order.
    pub fn candidates(&self) -> Vec<String> {
        let sep = if cfg!(windows) { ';' } else { ':' };
        let mut out: Vec<String> = self
            .env_browser
            .as_deref()
            .map(|b| {
                b.split(sep)
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if out.is_empty() {
            out.extend(self.configured.clone().filter(|c| !c.trim().is_empty()));
        }
        out
    }
}

impl Opener for SystemBrowser {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        let candidates = self.candidates();
        if candidates.is_empty() {
            return spawn(&system_default_argv(url.as_str()));
        }
        let mut last = None;
        for c in candidates {
            let argv =
                argv_for(&c, url.as_str()).ok_or_else(|| BrowserError::BadCommand(c.clone()))?;
            match spawn(&argv) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| BrowserError::BadCommand(String::new())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_words() {
        assert_eq!(
            split_command(r#"google-chrome --profile-directory="Profile 2""#).unwrap(),
            ["google-chrome", "--profile-directory=Profile 2"]
        );
        assert_eq!(
            split_command("'/opt/my browser/bin' -new-tab").unwrap(),
            ["/opt/my browser/bin", "-new-tab"]
        );
        assert!(split_command("firefox 'unclosed").is_none());
        assert!(split_command("   ").is_none());
    }

    #[test]
    fn url_is_one_argument() {
        let url = "https://x.example/a?b=1&c=$(rm -rf ~)";
        assert_eq!(argv_for("firefox", url).unwrap(), ["firefox", url]);
        assert_eq!(
            argv_for("chromium --app=%s", url).unwrap(),
            ["chromium".to_owned(), format!("--app={url}")]
        );
    }

    #[test]
    fn env_browser_wins_over_setting() {
        let b = SystemBrowser {
            env_browser: Some("a:b".into()),
            configured: Some("c".into()),
        };
        if cfg!(windows) {
            assert_eq!(b.candidates(), ["a:b"]);
        } else {
            assert_eq!(b.candidates(), ["a", "b"]);
        }
        let b = SystemBrowser {
            env_browser: None,
            configured: Some("c".into()),
        };
        assert_eq!(b.candidates(), ["c"]);
    }

    #[test]
    fn missing_browser_is_a_clear_error() {
        let b = SystemBrowser {
            env_browser: Some("/nonexistent/browser-xyz".into()),
            configured: None,
        };
        let e = b
            .open(&Url::parse("https://example.com/").unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/nonexistent/browser-xyz") && e.contains("--print"),
            "{e}"
        );
    }
}
