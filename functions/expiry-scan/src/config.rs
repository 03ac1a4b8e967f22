//! The scan's environment: `TABLE_NAME`, `EXPIRY_REMINDER_DAYS`. Only these: the HTTP
//! functions' settings (`EXPIRING_SOON_DAYS`, `IDEMPOTENCY_TTL_HOURS`) reach every function
//! through the template's `Globals`, and a bad one must not stop the scan at start-up. The
//! scan publishes nothing (the table's stream announces its writes), so the event settings
//! belong to `publish-events`.

pub const DEFAULT_REMINDER_DAYS: &str = "90,60,30,7";
/// Largest reminder threshold accepted (ten years, like the `/expiring` `days` limit).
pub const MAX_REMINDER_DAYS: u32 = 3650;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanConfig {
    /// `TABLE_NAME`: required.
    pub table_name: String,
    /// `EXPIRY_REMINDER_DAYS`: comma-separated whole days, 0 to 3650, default `90,60,30,7`;
    /// kept ascending without duplicates. Empty turns reminders off.
    pub reminder_days: Vec<u32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(transparent)]
    Shared(#[from] shared::config::ConfigError),
    #[error("EXPIRY_REMINDER_DAYS must be comma-separated whole numbers from 0 to 3650, got {0:?}")]
    BadReminderDays(String),
}

impl ScanConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // Read here, not through `shared::Config::from_lookup`, which also parses the HTTP
        // functions' settings. The same rule and error as there.
        let table_name = lookup("TABLE_NAME")
            .filter(|t| !t.is_empty())
            .ok_or(ConfigError::Shared(shared::config::ConfigError::MissingTableName))?;
        let raw = lookup("EXPIRY_REMINDER_DAYS").unwrap_or_else(|| DEFAULT_REMINDER_DAYS.into());
        let reminder_days = parse_reminder_days(&raw).ok_or(ConfigError::BadReminderDays(raw))?;
        Ok(Self { table_name, reminder_days })
    }
}

/// `"90, 60,30,7"` → `[7, 30, 60, 90]`; `None` on anything else but blank.
pub fn parse_reminder_days(raw: &str) -> Option<Vec<u32>> {
    if raw.trim().is_empty() {
        return Some(Vec::new());
    }
    let mut days = raw
        .split(',')
        .map(|d| d.trim().parse::<u32>().ok().filter(|d| *d <= MAX_REMINDER_DAYS))
        .collect::<Option<Vec<_>>>()?;
    days.sort_unstable();
    days.dedup();
    Some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn defaults_and_parsing() {
        let c = ScanConfig::from_lookup(lookup(&[("TABLE_NAME", "certs")])).unwrap();
        assert_eq!(c, ScanConfig { table_name: "certs".into(), reminder_days: vec![7, 30, 60, 90] });
        let c = ScanConfig::from_lookup(lookup(&[("TABLE_NAME", "certs"), ("EXPIRY_REMINDER_DAYS", " 14, 0,14 ")]))
            .unwrap();
        assert_eq!(c.reminder_days, vec![0, 14]);
        let off = ScanConfig::from_lookup(lookup(&[("TABLE_NAME", "t"), ("EXPIRY_REMINDER_DAYS", "")])).unwrap();
        assert!(off.reminder_days.is_empty());
    }

    #[test]
    fn bad_values_are_named() {
        for bad in ["7,", "x", "-1", "3651", "7;30", "1.5"] {
            assert_eq!(
                ScanConfig::from_lookup(lookup(&[("TABLE_NAME", "t"), ("EXPIRY_REMINDER_DAYS", bad)])),
                Err(ConfigError::BadReminderDays(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            ScanConfig::from_lookup(lookup(&[])),
            Err(ConfigError::Shared(shared::config::ConfigError::MissingTableName))
        );
        assert_eq!(
            ScanConfig::from_lookup(lookup(&[("TABLE_NAME", "")])),
            Err(ConfigError::Shared(shared::config::ConfigError::MissingTableName))
        );
    }

    /// The HTTP functions' settings reach the scan too (template `Globals`), but it does not
    /// use them: a bad value stops those functions, never the scan.
    #[test]
    fn the_http_functions_settings_do_not_stop_the_scan() {
        let expected = ScanConfig::from_lookup(lookup(&[("TABLE_NAME", "certs")])).unwrap();
        for (name, bad) in [
            ("IDEMPOTENCY_TTL_HOURS", "0"),
            ("IDEMPOTENCY_TTL_HOURS", "721"),
            ("IDEMPOTENCY_TTL_HOURS", "x"),
            ("EXPIRING_SOON_DAYS", "-1"),
            ("EXPIRING_SOON_DAYS", "x"),
        ] {
            assert!(
                shared::Config::from_lookup(lookup(&[("TABLE_NAME", "certs"), (name, bad)])).is_err(),
                "{name}={bad} is bad for the HTTP functions"
            );
            assert_eq!(
                ScanConfig::from_lookup(lookup(&[("TABLE_NAME", "certs"), (name, bad)])),
                Ok(expected.clone()),
                "{name}={bad}"
            );
        }
    }
}
