//! Certification ids: `cert-` + a lower-case ULID (time-ordered, 26 characters).

/// What every certification id starts with.
pub const ID_PREFIX: &str = "cert-";

/// A fresh id for a new certification: [`ID_PREFIX`] + a lower-case ULID of this instant.
pub fn new_certification_id() -> String {
    format!("{ID_PREFIX}{}", ulid::Ulid::new().to_string().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_lowercase_ulids_and_unique() {
        let a = new_certification_id();
        let b = new_certification_id();
        assert_ne!(a, b);
        let ulid = a.strip_prefix(ID_PREFIX).unwrap();
        assert_eq!(ulid.len(), 26);
        assert!(ulid.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert!(ulid::Ulid::from_string(&ulid.to_ascii_uppercase()).is_ok());
    }
}
