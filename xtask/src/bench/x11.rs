//! Takes the keyboard focus away from every window on the X display, as when an agent clicks into
//! the contact-centre panel and the launcher sits behind it: the idle state the desktop
//! benchmark's wake-ups are measured in. A few bytes of the X11 protocol (connection setup with
//! the display's MIT-MAGIC-COOKIE-1 from `$XAUTHORITY`, then `SetInputFocus(None)` and a
//! `GetInputFocus` round trip so the server has done it), over the display's local socket, in
//! safe code (the workspace forbids `unsafe`, which binding Xlib would need).
//!
//! Promises: only a local display (`:N`, the one Xvfb gives) is handled; anything else is an error
//! saying so, never a guess.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

const COOKIE: &[u8] = b"MIT-MAGIC-COOKIE-1";
const SET_INPUT_FOCUS: u8 = 42;
const GET_INPUT_FOCUS: u8 = 43;
const REVERT_TO_POINTER_ROOT: u8 = 1;

/// The display number of `$DISPLAY` (`:N` or `:N.S`).
pub fn display_number(display: &str) -> Result<String> {
    let Some(rest) = display.strip_prefix(':') else {
        bail!("DISPLAY={display} is not a local display (:N); run the benchmark under xvfb-run");
    };
    let n = rest.split('.').next().unwrap_or_default();
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        bail!("DISPLAY={display} is not a local display (:N)");
    }
    Ok(n.to_owned())
}

/// The MIT-MAGIC-COOKIE-1 for display `number` in an Xauthority file's bytes (any host: the
/// socket is local), or `None`.
pub fn cookie(xauthority: &[u8], number: &str) -> Option<Vec<u8>> {
    let mut at = 0;
    let field = |at: &mut usize| -> Option<Vec<u8>> {
        let len = u16::from_be_bytes([*xauthority.get(*at)?, *xauthority.get(*at + 1)?]) as usize;
        let out = xauthority.get(*at + 2..*at + 2 + len)?.to_vec();
        *at += 2 + len;
        Some(out)
    };
    while at < xauthority.len() {
        at += 2; // family
        let _address = field(&mut at)?;
        let display = field(&mut at)?;
        let name = field(&mut at)?;
        let data = field(&mut at)?;
        if name == COOKIE && display == number.as_bytes() {
            return Some(data);
        }
    }
    None
}

fn pad(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// The connection setup request (little-endian), with a cookie or none.
pub fn setup_request(cookie: Option<&[u8]>) -> Vec<u8> {
    let (name, data) = match cookie {
        Some(c) => (COOKIE, c),
        None => (&b""[..], &b""[..]),
    };
    let mut out = vec![b'l', 0];
    out.extend(11u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((name.len() as u16).to_le_bytes());
    out.extend((data.len() as u16).to_le_bytes());
    out.extend([0, 0]);
    out.extend(name);
    out.extend(std::iter::repeat_n(0, pad(name.len())));
    out.extend(data);
    out.extend(std::iter::repeat_n(0, pad(data.len())));
    out
}

/// Moves the keyboard focus on `$DISPLAY` to no window.
pub fn unfocus_all() -> Result<()> {
    let display = std::env::var("DISPLAY").context("DISPLAY is not set")?;
    let number = display_number(&display)?;
    let cookie = match std::env::var_os("XAUTHORITY")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".Xauthority")))
    {
        Some(path) => std::fs::read(&path)
            .ok()
            .and_then(|bytes| cookie(&bytes, &number)),
        None => None,
    };
    let socket = format!("/tmp/.X11-unix/X{number}");
    let mut x = UnixStream::connect(&socket).with_context(|| format!("connecting to {socket}"))?;
    x.write_all(&setup_request(cookie.as_deref()))?;
    let mut head = [0u8; 8];
    x.read_exact(&mut head)
        .context("reading the X server's setup reply")?;
    let extra = u16::from_le_bytes([head[6], head[7]]) as usize * 4;
    let mut rest = vec![0u8; extra];
    x.read_exact(&mut rest)?;
    if head[0] != 1 {
        bail!(
            "the X server on {display} refused the connection: {}",
            String::from_utf8_lossy(rest.get(..head[1] as usize).unwrap_or_default())
        );
    }
    // SetInputFocus(focus = None, revert-to = PointerRoot, time = CurrentTime), then a request
    // with a reply, so the focus has moved when this returns.
    let mut req = vec![SET_INPUT_FOCUS, REVERT_TO_POINTER_ROOT];
    req.extend(3u16.to_le_bytes());
    req.extend(0u32.to_le_bytes());
    req.extend(0u32.to_le_bytes());
    req.extend([GET_INPUT_FOCUS, 0]);
    req.extend(1u16.to_le_bytes());
    x.write_all(&req)?;
    let mut reply = [0u8; 32];
    x.read_exact(&mut reply)
        .context("reading the X server's reply")?;
    if reply[0] != 1 {
        bail!(
            "the X server refused to move the focus (error {})",
            reply[1]
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_display_number() {
        assert_eq!(display_number(":99").unwrap(), "99");
        assert_eq!(display_number(":0.1").unwrap(), "0");
        assert!(display_number("host:0").is_err());
        assert!(display_number(":").is_err());
    }

    #[test]
    fn finds_the_cookie_for_the_display() {
        let entry = |display: &str, name: &[u8], data: &[u8]| {
            let mut out = vec![1, 0];
            for f in [&b"vm"[..], display.as_bytes(), name, data] {
                out.extend((f.len() as u16).to_be_bytes());
                out.extend(f);
            }
            out
        };
        let mut file = entry("0", COOKIE, &[1, 2]);
        file.extend(entry("100", COOKIE, &[9; 16]));
        assert_eq!(cookie(&file, "100"), Some(vec![9; 16]));
        assert_eq!(cookie(&file, "0"), Some(vec![1, 2]));
        assert_eq!(cookie(&file, "7"), None);
        assert_eq!(cookie(&file[..5], "100"), None);
    }

    #[test]
    fn the_setup_request_is_padded_to_four_bytes() {
        let r = setup_request(Some(&[7; 16]));
        assert_eq!(r.len(), 12 + 20 + 16);
        assert_eq!(&r[..2], b"l\0");
        assert_eq!(u16::from_le_bytes([r[6], r[7]]), 18);
        assert_eq!(setup_request(None).len(), 12);
    }
}
