//! Expiry counts: how many certifications are stored `active` with an `expires_at` in a UTC
//! day, month or year, kept in the same `TransactWriteItems` as every write that changes
//! whether or when an `active` record expires (create, delete, the scan's flip, a status
//! change to or from `active`, a renewal or any `expires_at` change of an `active` record:
//! `Transition::expiry_tally`). `/expiring`'s total is then the sum of the whole days, months
//! and years inside its window plus a `COUNT` over its two partial edge days.
//!
//! Ids follow the count items' (`count#` prefix, number `n`): `count#x=d#2027-03-26#<sc>`,
//! `count#x=m#2027-03#<sc>`, `count#x=y#2027#<sc>`. Each bucket is as hot as the `active`
//! count (a day of creates all expire on one day a year later), so each is split into
//! [`EXPIRY_COUNT_SHARDS`]: a write adds to a random shard, a read sums them all.
//!
//! Each bucket is also kept per `cert_type`, per `mentor_id` and per mentor and type
//! ([`ExpiryKey`]), so a list filtered by type and/or mentor can count its stored-`active`
//! records already past expiry without reading them: `count#x=d#2027-03-26#t=<cert_type>#<sc>`,
//! `count#x=d#2027-03-26#m=<mentor_id>#00` and `count#x=d#2027-03-26#m=<mentor_id>#t=<cert_type>#00`.
//! Neither a `mentor_id` nor a `cert_type` holds `#`, a shard is digits, and the mentor comes
//! before the type, so `m=` and `t=` tell them apart; the global ids are unchanged. A mentor's
//! keys are one item each, like the mentor's other counts (`counts.rs`): one mentor's records
//! are not written 1,000 times a second.
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// The prefix of an expiry count item's id: `counts::COUNT_ID_PREFIX` (`count#`) and `x=`.
const PREFIX: &str = "count#x=";

/// Shards of each expiry bucket. A window reads at most ~92 buckets × this many items.
pub const EXPIRY_COUNT_SHARDS: u32 = 16;

/// One expiry bucket: the stored-`active` certifications expiring in a UTC day, month or year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// One day.
    Day(NaiveDate),
    /// One month (year, month 1–12).
    Month(i32, u32),
    /// One year.
    Year(i32),
}

impl Bucket {
    /// The day, month and year buckets `at` counts in.
    pub fn of(at: DateTime<Utc>) -> [Bucket; 3] {
        let d = at.date_naive();
        [Bucket::Day(d), Bucket::Month(d.year(), d.month()), Bucket::Year(d.year())]
    }

    /// The bucket's part of an id: `d#2027-03-26`, `m#2027-03` or `y#2027`.
    fn part(&self) -> String {
        match self {
            Bucket::Day(d) => format!("d#{}", d.format("%Y-%m-%d")),
            Bucket::Month(y, m) => format!("m#{y:04}-{m:02}"),
            Bucket::Year(y) => format!("y#{y:04}"),
        }
    }

    /// The bucket of an id's `kind` (`d`, `m`, `y`) and value; `None` when malformed.
    fn from_parts(kind: &str, value: &str) -> Option<Bucket> {
        Some(match kind {
            "d" => Bucket::Day(NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?),
            "m" => {
                let (y, m) = value.split_once('-')?;
                let (y, m) = (y.parse().ok()?, m.parse().ok()?);
                NaiveDate::from_ymd_opt(y, m, 1)?;
                Bucket::Month(y, m)
            }
            "y" => Bucket::Year(value.parse().ok()?),
            _ => return None,
        })
    }

    /// The fewest buckets covering the whole days `first..=last` exactly (none when empty):
    /// days up to a month's start, months up to a year's start, whole years, then months
    /// and days again. At most ~30 + 11 + (years) + 11 + 30 buckets, whatever the table holds.
    pub fn covering(first: NaiveDate, last: NaiveDate) -> Vec<Bucket> {
        let mut out = Vec::new();
        let mut d = first;
        while d <= last {
            let (y, m) = (d.year(), d.month());
            let year_end = NaiveDate::from_ymd_opt(y, 12, 31);
            let month_end =
                NaiveDate::from_ymd_opt(if m == 12 { y + 1 } else { y }, if m == 12 { 1 } else { m + 1 }, 1)
                    .and_then(|n| n.pred_opt());
            let (bucket, end) = match (year_end, month_end) {
                (Some(e), _) if d.ordinal() == 1 && e <= last => (Bucket::Year(y), e),
                (_, Some(e)) if d.day() == 1 && e <= last => (Bucket::Month(y, m), e),
                _ => (Bucket::Day(d), d),
            };
            out.push(bucket);
            match end.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        out
    }
}

/// One expiry count: a bucket, over every mentor or of one, over every type or of one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpiryKey {
    /// The day, month or year.
    pub bucket: Bucket,
    /// One mentor's, or `None` for every mentor.
    pub mentor_id: Option<String>,
    /// One type's, or `None` for every type.
    pub cert_type: Option<String>,
}

impl ExpiryKey {
    /// The key of `bucket` for `mentor_id` and `cert_type` (`None`: any).
    pub fn new(bucket: Bucket, mentor_id: Option<&str>, cert_type: Option<&str>) -> Self {
        Self { bucket, mentor_id: mentor_id.map(str::to_owned), cert_type: cert_type.map(str::to_owned) }
    }

    /// How many count items this key is split over: [`EXPIRY_COUNT_SHARDS`], or one item
    /// (shard `00`) for a mentor's key.
    pub fn shards(&self) -> u32 {
        match self.mentor_id {
            Some(_) => 1,
            None => EXPIRY_COUNT_SHARDS,
        }
    }

    /// The id of this key's count item `shard`.
    pub fn item_id(&self, shard: u32) -> String {
        let m = self.mentor_id.as_deref().map(|m| format!("#m={m}")).unwrap_or_default();
        let t = self.cert_type.as_deref().map(|t| format!("#t={t}")).unwrap_or_default();
        format!("{PREFIX}{}{m}{t}#{shard:02}", self.bucket.part())
    }

    /// The key and shard of an expiry count item's id; `None` for any other id.
    pub fn parse(id: &str) -> Option<(ExpiryKey, u32)> {
        let mut parts = id.strip_prefix(PREFIX)?.split('#');
        let bucket = Bucket::from_parts(parts.next()?, parts.next()?)?;
        // The optional parts in their places (`m=` first, `t=` second), then the shard.
        let mut next = parts.next()?;
        let mentor_id = match next.strip_prefix("m=") {
            Some(m) => {
                next = parts.next()?;
                Some(m)
            }
            None => None,
        };
        let cert_type = match next.strip_prefix("t=") {
            Some(t) => {
                next = parts.next()?;
                Some(t)
            }
            None => None,
        };
        let empty = mentor_id == Some("") || cert_type == Some("");
        if empty || next.is_empty() || !next.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let shard = next.parse().ok()?;
        parts.next().is_none().then(|| (ExpiryKey::new(bucket, mentor_id, cert_type), shard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ids_round_trip_and_stay_apart_from_the_other_counts() {
        for b in [Bucket::Day(day("2027-03-26")), Bucket::Month(2027, 3), Bucket::Year(2027)] {
            // Mentor ids that look like a type tag, a shard or a mentor tag stay mentor ids.
            for m in [None, Some("mentor-42"), Some("org:team.a_1"), Some("t=x"), Some("12"), Some("m=y")] {
                for t in [None, Some("peer"), Some("level_1"), Some("12")] {
                    let k = ExpiryKey::new(b, m, t);
                    assert_eq!(ExpiryKey::parse(&k.item_id(7)), Some((k.clone(), 7)), "{}", k.item_id(7));
                    assert_eq!(k.shards(), if m.is_some() { 1 } else { EXPIRY_COUNT_SHARDS });
                }
            }
        }
        // The global ids are the ones deployed before typed counts, the typed ones before
        // mentors' counts.
        assert_eq!(ExpiryKey::new(Bucket::Day(day("2027-03-26")), None, None).item_id(3), "count#x=d#2027-03-26#03");
        assert_eq!(ExpiryKey::new(Bucket::Month(2027, 3), None, None).item_id(0), "count#x=m#2027-03#00");
        assert_eq!(ExpiryKey::new(Bucket::Year(2027), None, Some("peer")).item_id(15), "count#x=y#2027#t=peer#15");
        let mentor = ExpiryKey::new(Bucket::Day(day("2027-03-26")), Some("mentor-42"), None);
        assert_eq!(mentor.item_id(0), "count#x=d#2027-03-26#m=mentor-42#00");
        let both = ExpiryKey::new(Bucket::Year(2027), Some("mentor-42"), Some("peer"));
        assert_eq!(both.item_id(0), "count#x=y#2027#m=mentor-42#t=peer#00");
        // A type that looks like a shard stays a type; a mentor `t=x` is no type `x`.
        let k = ExpiryKey::new(Bucket::Year(2027), None, Some("12"));
        assert_eq!(ExpiryKey::parse(&k.item_id(1)), Some((k, 1)));
        let (k, _) = ExpiryKey::parse("count#x=y#2027#m=t=x#00").unwrap();
        assert_eq!((k.mentor_id.as_deref(), k.cert_type.as_deref()), (Some("t=x"), None));
        let (k, _) = ExpiryKey::parse("count#x=y#2027#m=12#00").unwrap();
        assert_eq!((k.mentor_id.as_deref(), k.cert_type.as_deref()), (Some("12"), None));
        for other in [
            "count#m=*#t=*#s=active#00",
            "count#m=*#t=peer#s=active#00",
            "count#m=mentor-42#t=*#s=active#00",
            "count#x=m#2027-13#00",
            "count#x=y#2027#t=#00",
            "count#x=y#2027#t=peer",
            "count#x=y#2027#t=peer#00#01",
            "count#x=y#2027#00#01",
            "count#x=y#2027#m=#00",
            "count#x=y#2027#m=a",
            "count#x=y#2027#m=a#t=#00",
            "count#x=y#2027#m=a#t=peer",
            "count#x=y#2027#m=a#t=peer#00#01",
            // The mentor comes before the type, never after.
            "count#x=y#2027#t=peer#m=a#00",
            "count#x=y#2027#m=a#+1",
            "cert-01",
        ] {
            assert_eq!(ExpiryKey::parse(other), None, "{other}");
        }
    }

    #[test]
    fn a_window_is_covered_exactly_by_few_buckets() {
        let cases = [
            ("2026-03-27", "2026-03-26", 0),
            ("2026-03-27", "2026-03-27", 1),
            // 5 days, 9 months, 9 years, 2 months, 24 days.
            ("2026-03-27", "2036-03-24", 5 + 9 + 9 + 2 + 24),
            ("2027-01-01", "2027-12-31", 1),
        ];
        for (first, last, n) in cases {
            let got = Bucket::covering(day(first), day(last));
            assert_eq!(got.len(), n, "{first}..={last}: {got:?}");
            // Every day in the range is in exactly one bucket.
            let mut d = day(first);
            while d <= day(last) {
                let holding = got.iter().filter(|b| Bucket::of(d.and_hms_opt(12, 0, 0).unwrap().and_utc()).contains(b));
                assert_eq!(holding.count(), 1, "{d}");
                d = d.succ_opt().unwrap();
            }
        }
    }

    /// The expiry-count moves of `mentor-1`'s `active` record moving from `from` to `to`
    /// (day, type).
    fn moved(from: (&str, &str), to: (&str, &str)) -> Vec<(String, i64)> {
        let mut d = crate::store::write::counts::Deltas::default();
        let at = |s: &str| day(s).and_hms_opt(12, 0, 0).unwrap().and_utc();
        d.add_expiry(at(from.0), "mentor-1", from.1, -1);
        d.add_expiry(at(to.0), "mentor-1", to.1, 1);
        d.expiry().map(|(k, by)| (k.item_id(0), by)).collect()
    }

    #[test]
    fn a_type_change_moves_only_typed_keys_and_the_worst_case_is_twenty_four() {
        let retyped = moved(("2027-03-26", "a"), ("2027-03-26", "b"));
        // Day, month and year, out of a and into b, over every mentor and of mentor-1.
        assert_eq!(retyped.len(), 12, "{retyped:?}");
        assert!(retyped.iter().all(|(id, _)| id.contains("#t=")), "{retyped:?}");
        assert_eq!(retyped.iter().filter(|(id, _)| id.contains("#m=mentor-1#")).count(), 6, "{retyped:?}");
        // Renewed within a month: the two days, global, typed, the mentor's and its typed.
        let renewed = moved(("2027-03-26", "a"), ("2027-03-28", "a"));
        assert_eq!(renewed.len(), 8, "{renewed:?}");
        assert!(renewed.contains(&("count#x=d#2027-03-26#m=mentor-1#00".into(), -1)), "{renewed:?}");
        assert!(renewed.contains(&("count#x=d#2027-03-28#m=mentor-1#t=a#00".into(), 1)), "{renewed:?}");
        // Renewed into another year with a type change: every bucket of every kind.
        assert_eq!(moved(("2027-03-26", "a"), ("2028-03-26", "b")).len(), 24);
        assert!(moved(("2027-03-26", "a"), ("2027-03-26", "a")).is_empty());
    }
}
