//! The publisher's environment: `EVENT_BUS_NAME` and `EVENTS_INCLUDE_MENTOR_NAME`, read as the
//! expiry scan reads them (the same template parameters feed both).

/// The bus when `EVENT_BUS_NAME` is unset or blank.
pub const DEFAULT_EVENT_BUS: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishConfig {
    /// `EVENT_BUS_NAME`: the bus, default `default`.
    pub event_bus_name: String,
    /// `EVENTS_INCLUDE_MENTOR_NAME`: `true` (any case, trimmed) adds `mentor_name` to every
    /// event; anything else, unset by default, leaves it out.
    pub include_mentor_name: bool,
}

impl PublishConfig {
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let event_bus_name =
            lookup("EVENT_BUS_NAME").filter(|b| !b.trim().is_empty()).unwrap_or_else(|| DEFAULT_EVENT_BUS.into());
        let include_mentor_name =
            lookup("EVENTS_INCLUDE_MENTOR_NAME").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        Self { event_bus_name, include_mentor_name }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_the_opt_in() {
        let c = PublishConfig::from_lookup(|_| None);
        assert_eq!(c, PublishConfig { event_bus_name: "default".into(), include_mentor_name: false });
        let c = PublishConfig::from_lookup(|k| match k {
            "EVENT_BUS_NAME" => Some("mentoring".into()),
            "EVENTS_INCLUDE_MENTOR_NAME" => Some(" TRUE ".into()),
            _ => None,
        });
        assert_eq!(c, PublishConfig { event_bus_name: "mentoring".into(), include_mentor_name: true });
        for off in ["false", "1", "yes", ""] {
            let v = off.to_owned();
            assert!(!PublishConfig::from_lookup(move |_| Some(v.clone())).include_mentor_name, "{off}");
        }
    }
}
