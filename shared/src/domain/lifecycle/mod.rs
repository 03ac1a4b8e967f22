//! The lifecycle of a certification as pure rules: [`plan`] takes what is stored, the change
//! asked for and the instant, and answers the [`Transition`] to write or the rule it breaks.
//! The store translates a transition into one conditional write (its [`Guard`]s become the
//! write's condition), and [`Transition::between`] describes two stored images the same way,
//! so a change can be explained after the fact (the table's stream) in the same terms.
//!
//! The rules, each decided here and nowhere else:
//! - revoked is final: no update of a revoked record;
//! - `active` cannot be set once `expires_at` has passed (renew with a later one instead);
//! - a PUT whose `expires_at` is later than the stored one is a **renewal**:
//!   `renewal_count` + 1, a history entry (the oldest dropped past `MAX_RENEWAL_HISTORY`), the
//!   reminder cycle restarts, and a stored `expired` becomes `active`; any other PUT is a plain
//!   update;
//! - `expires_at` stays later than `issued_at`;
//! - the expiry scan flips a stored `active` whose `expires_at` has passed to `expired`;
//! - a suspension or revocation stores the request's `status_reason` (or none), and every
//!   other status a write sets removes it.
//!
//! A plan made without the stored record ([`Stored::Unread`], the first attempt of a PUT that
//! changes neither status, type nor `expires_at`) states what it assumed as guards; when a guard fails the
//! store reads the record and plans again from it.
mod expiry;
mod plan;
mod transition;

pub use expiry::{ActiveExpiry, ExpiryStanding};
pub use plan::plan;
pub use transition::{Change, DomainError, FieldChanges, Guard, History, Moves, Renewal, Standing, Stored, Transition};

#[cfg(test)]
mod expiry_tests;
#[cfg(test)]
mod past_tests;
#[cfg(test)]
mod reason_tests;
#[cfg(test)]
mod tests;
