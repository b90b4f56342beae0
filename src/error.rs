//! Typed configuration errors.

use std::fmt;

/// A configuration value was refused.
///
/// Every constructor and builder in this crate that takes user-supplied parameters
/// validates them and returns this error instead of panicking. The error names the
/// offending field, the value that was given, and what was expected.
///
/// # Examples
///
/// ```
/// use slo_router::sketch::TDigest;
///
/// let err = TDigest::new(0.0).unwrap_err();
/// assert_eq!(err.field(), "compression");
/// assert!(err.to_string().contains("compression"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    field: &'static str,
    value: String,
    expected: &'static str,
}

impl ConfigError {
    /// Creates an error for `field`, which was given `value` but must satisfy `expected`.
    pub fn new(field: &'static str, value: impl fmt::Display, expected: &'static str) -> Self {
        ConfigError {
            field,
            value: value.to_string(),
            expected,
        }
    }

    /// The name of the refused field.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The refused value, as text.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the field must satisfy.
    pub fn expected(&self) -> &'static str {
        self.expected
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}: got {}, expected {}",
            self.field, self.value, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

/// Returns `Ok(value)` when `value` is finite and strictly positive.
pub(crate) fn positive_finite(field: &'static str, value: f64) -> Result<f64, ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ConfigError::new(field, value, "a finite number > 0"))
    }
}
