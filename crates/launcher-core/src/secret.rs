//! Secrets in memory: tokens, client secrets, authorization codes.
//!
//! Promises: a [`Secret`] never prints its value (`Debug` and `Display` show `[redacted]`), and its
//! bytes are overwritten with zeros when it is dropped. The value leaves only through
//! [`Secret::expose`] or serde serialisation (for the keychain's JSON), so every place that reveals
//! a secret is greppable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

/// What `Debug` and `Display` print in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// A secret string: redacted when printed, zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value; the original `String`'s buffer is moved, not copied.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call it only where the value must go on the wire or into the keychain.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "aoaAAAAAtoken-value";

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = Secret::new(VALUE);
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(format!("{:#?}", Some(&secret)), "Some(\n    [redacted],\n)");
        assert_eq!(secret.expose(), VALUE);
    }

    #[test]
    fn redacted_inside_derived_debug_of_a_containing_struct() {
        #[derive(Debug)]
        #[allow(dead_code)] // read only through Debug
        struct Token {
            access_token: Secret,
        }
        let printed = format!(
            "{:?}",
            Token {
                access_token: Secret::new(VALUE)
            }
        );
        assert!(!printed.contains(VALUE), "{printed}");
        assert!(printed.contains(REDACTED), "{printed}");
    }

    #[test]
    fn serde_round_trip_keeps_the_value() {
        let json = serde_json::to_string(&Secret::new(VALUE)).expect("serialises");
        assert_eq!(json, format!("\"{VALUE}\""));
        let back: Secret = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back.expose(), VALUE);
    }
}
