//! The domain: what a certification is and the rules that hold for it at an instant. Imports
//! nothing else from this crate; every other layer builds on it.
//!
//! | file               | what lives there                                              |
//! |--------------------|---------------------------------------------------------------|
//! | `certification.rs` | the stored record, a new certification, a change to one       |
//! | `status.rs`        | statuses, effective status, days until expiry, expiring soon |
//! | `timestamp.rs`     | the one timestamp format                                      |
//! | `clock.rs`         | injected time                                                 |
//! | `ids.rs`           | `cert-` + lower-case ULID                                     |
//! | `lifecycle/`       | the rules of every change: [`lifecycle::plan`] → a `Transition` |
pub mod certification;
pub mod clock;
pub mod ids;
pub mod lifecycle;
pub mod status;
pub mod timestamp;

pub use certification::{Certification, CertificationPatch, NewCertification, RenewalEntry, MAX_RENEWAL_HISTORY};
pub use clock::{Clock, FixedClock, SystemClock};
pub use status::Status;
