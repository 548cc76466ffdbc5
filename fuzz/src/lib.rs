//! What the fuzz targets share: splitting an input into a selector and a body, and the checks every
//! target makes of an error (it says something) and of a secret (it never shows in `Debug`).

/// The first byte picks which parser of a family gets the rest (`% count`); an empty input picks
/// the first with an empty body.
pub fn select(data: &[u8], count: u8) -> (u8, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (first % count, rest),
        None => (0, data),
    }
}

/// An error must say something a person can act on: not empty, not just whitespace.
pub fn assert_says_something(err: &dyn std::fmt::Display) {
    let message = err.to_string();
    assert!(
        message.trim().len() >= 10,
        "an error with no message: {message:?}"
    );
}

/// `secret` must not appear in `debug` (a `{:?}` of a parsed value), unless it is too short to be
/// told apart from other text or the same text is also in a field that is not secret.
pub fn assert_not_shown(debug: &str, secret: &str, public_fields: &[&str]) {
    if secret.len() < 8 || public_fields.iter().any(|f| f.contains(secret)) {
        return;
    }
    assert!(!debug.contains(secret), "a secret shows in {debug}");
}
