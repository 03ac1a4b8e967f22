//! The one tracing set-up, for the Lambdas and the local server. It reads the variables of
//! Lambda's advanced logging controls the way `lambda_runtime::tracing` does:
//! `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO) and `AWS_LAMBDA_LOG_FORMAT`. One
//! difference, on purpose: with no format set the output is JSON (lambda_runtime's default is
//! text), because the template asks Lambda for JSON and the local server logs JSON lines.
//! Inside Lambda the runtime's per-invocation span carries the `requestId`, and every line
//! logged during the invocation includes it.
//!
//! The filter is tracing-subscriber's [`Targets`]: a level (`debug`) and `target=level` pairs
//! (`warn,shared=debug`), which is all `AWS_LAMBDA_LOG_LEVEL` and our `RUST_LOG` uses need.
//! Not `EnvFilter`: its span and field directives (`[span{field=x}]=debug`) need the regex
//! engine, 187 KiB of every Lambda's `.text` (README, "Package size"). A directive string
//! `Targets` cannot parse (such as one of those) falls back to INFO, as an invalid one always did.
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written (`AWS_LAMBDA_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, with the current span: the default.
    Json,
    /// Plain text without colours (`AWS_LAMBDA_LOG_FORMAT=Text`).
    Text,
}

/// What [`init_tracing`] installs: the line format and the level filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// JSON unless the environment asks for text.
    pub format: LogFormat,
    /// A [`Targets`] directive string: levels and `target=level` pairs, comma separated.
    pub filter: String,
}

impl LogSettings {
    /// From the environment as `lookup` reads it. `extra` is appended to the level as further
    /// directives (the local server quiets the embedded engine with `dynoxide=error`);
    /// a `RUST_LOG` directive string replaces both.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, extra: &str) -> Self {
        let format = match lookup("AWS_LAMBDA_LOG_FORMAT") {
            Some(f) if f.eq_ignore_ascii_case("text") => LogFormat::Text,
            _ => LogFormat::Json,
        };
        let filter = match (lookup("AWS_LAMBDA_LOG_LEVEL"), lookup("RUST_LOG")) {
            (Some(level), _) if !level.is_empty() => with_extra(&level.to_ascii_lowercase(), extra),
            (_, Some(directives)) if !directives.is_empty() => directives,
            _ => with_extra("info", extra),
        };
        Self { format, filter }
    }
}

fn with_extra(level: &str, extra: &str) -> String {
    if extra.is_empty() {
        level.to_owned()
    } else {
        format!("{level},{extra}")
    }
}

/// Installs the subscriber once (later calls are no-ops), from the process environment.
pub fn init_tracing(extra: &str) {
    let settings = LogSettings::from_lookup(|k| std::env::var(k).ok(), extra);
    let filter = settings.targets();
    let registry = tracing_subscriber::registry().with(filter);
    let layer = tracing_subscriber::fmt::layer().with_target(false);
    let _ = match settings.format {
        LogFormat::Json => registry.with(layer.json().with_current_span(true).with_span_list(false)).try_init(),
        LogFormat::Text => registry.with(layer.with_ansi(false)).try_init(),
    };
}

impl LogSettings {
    /// The filter of [`LogSettings::filter`], or INFO for everything when it does not parse.
    pub fn targets(&self) -> Targets {
        self.filter.parse().unwrap_or_else(|_| Targets::new().with_default(tracing::Level::INFO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)], extra: &str) -> LogSettings {
        LogSettings::from_lookup(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()), extra)
    }

    #[test]
    fn lambda_s_log_controls_win_then_rust_log_then_info() {
        assert_eq!(settings(&[], ""), LogSettings { format: LogFormat::Json, filter: "info".into() });
        assert_eq!(settings(&[], "dynoxide=error").filter, "info,dynoxide=error");
        assert_eq!(settings(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG"), ("RUST_LOG", "trace")], "").filter, "debug");
        assert_eq!(settings(&[("RUST_LOG", "warn,shared=debug")], "dynoxide=error").filter, "warn,shared=debug");
        assert_eq!(settings(&[("AWS_LAMBDA_LOG_FORMAT", "Text")], "").format, LogFormat::Text);
        assert_eq!(settings(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")], "").format, LogFormat::Json);
    }

    #[test]
    fn levels_and_target_levels_filter_and_anything_else_means_info() {
        use tracing::level_filters::LevelFilter;
        use tracing::Level;
        let targets = |filter: &str| LogSettings { format: LogFormat::Json, filter: filter.into() }.targets();

        let debug = targets("debug");
        assert!(debug.would_enable("shared::store", &Level::DEBUG));
        assert!(!debug.would_enable("shared::store", &Level::TRACE));

        let mixed = targets("warn,shared=debug,dynoxide=error");
        assert!(mixed.would_enable("shared::store", &Level::DEBUG));
        assert!(!mixed.would_enable("aws_smithy_runtime", &Level::INFO));
        assert!(mixed.would_enable("aws_smithy_runtime", &Level::WARN));
        assert!(!mixed.would_enable("dynoxide::engine", &Level::WARN));

        // Lambda's levels come upper case (lowered by from_lookup; Targets accepts either).
        assert_eq!(targets("ERROR").default_level(), Some(LevelFilter::ERROR));
        assert_eq!(targets("off").default_level(), Some(LevelFilter::OFF));
        // EnvFilter's span directives, and garbage: INFO for everything.
        for bad in ["[request{id=1}]=debug", "shared=loud", "a=b=c"] {
            let fallback = targets(bad);
            assert_eq!(fallback.default_level(), Some(LevelFilter::INFO), "{bad}");
            assert!(!fallback.would_enable("shared", &Level::DEBUG), "{bad}");
        }
    }
}
