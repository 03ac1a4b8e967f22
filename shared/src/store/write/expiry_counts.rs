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
//! Each bucket is also kept per `cert_type` ([`ExpiryKey`]), so a list filtered by type can
//! count its stored-`active` records already past expiry without reading them:
//! `count#x=d#2027-03-26#t=<cert_type>#<sc>`. A `cert_type` never holds `#` and a shard is
//! digits, so `t=` tells the two apart; the global ids are unchanged.
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

    /// The id of this bucket's global count item `shard` (`ExpiryKey::item_id`).
    pub fn item_id(&self, shard: u32) -> String {
        format!("{PREFIX}{}#{shard:02}", self.part())
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

/// One expiry count: a bucket, over every type (`None`) or of one `cert_type`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpiryKey {
    /// The day, month or year.
    pub bucket: Bucket,
    /// One type's, or `None` for every type.
    pub cert_type: Option<String>,
}

impl ExpiryKey {
    /// The key of `bucket` for `cert_type` (`None`: every type).
    pub fn new(bucket: Bucket, cert_type: Option<&str>) -> Self {
        Self { bucket, cert_type: cert_type.map(str::to_owned) }
    }

    /// The id of this key's count item `shard`.
    pub fn item_id(&self, shard: u32) -> String {
        match &self.cert_type {
            None => self.bucket.item_id(shard),
            Some(t) => format!("{PREFIX}{}#t={t}#{shard:02}", self.bucket.part()),
        }
    }

    /// The key and shard of an expiry count item's id; `None` for any other id.
    pub fn parse(id: &str) -> Option<(ExpiryKey, u32)> {
        let mut parts = id.strip_prefix(PREFIX)?.split('#');
        let bucket = Bucket::from_parts(parts.next()?, parts.next()?)?;
        let next = parts.next()?;
        let (cert_type, shard) = match next.strip_prefix("t=") {
            Some("") => return None,
            Some(t) => (Some(t), parts.next()?),
            None => (None, next),
        };
        let shard = shard.parse().ok()?;
        parts.next().is_none().then(|| (ExpiryKey::new(bucket, cert_type), shard))
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
            for t in [None, Some("peer"), Some("level_1")] {
                let k = ExpiryKey::new(b, t);
                assert_eq!(ExpiryKey::parse(&k.item_id(7)), Some((k, 7)));
            }
        }
        // The global ids are the ones deployed before typed counts.
        assert_eq!(Bucket::Day(day("2027-03-26")).item_id(3), "count#x=d#2027-03-26#03");
        assert_eq!(ExpiryKey::new(Bucket::Month(2027, 3), None).item_id(0), "count#x=m#2027-03#00");
        assert_eq!(ExpiryKey::new(Bucket::Year(2027), Some("peer")).item_id(15), "count#x=y#2027#t=peer#15");
        // A type that looks like a shard stays a type.
        let k = ExpiryKey::new(Bucket::Year(2027), Some("12"));
        assert_eq!(ExpiryKey::parse(&k.item_id(1)), Some((k, 1)));
        for other in [
            "count#m=*#t=*#s=active#00",
            "count#m=*#t=peer#s=active#00",
            "count#x=m#2027-13#00",
            "count#x=y#2027#t=#00",
            "count#x=y#2027#t=peer",
            "count#x=y#2027#t=peer#00#01",
            "count#x=y#2027#00#01",
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

    /// The expiry-count moves of an `active` record moving from `from` to `to` (instant, type).
    fn moved(from: (&str, &str), to: (&str, &str)) -> Vec<(String, i64)> {
        let mut d = crate::store::write::counts::Deltas::default();
        let at = |s: &str| day(s).and_hms_opt(12, 0, 0).unwrap().and_utc();
        d.add_expiry(at(from.0), from.1, -1);
        d.add_expiry(at(to.0), to.1, 1);
        d.expiry().map(|(k, by)| (k.item_id(0), by)).collect()
    }

    #[test]
    fn a_type_change_moves_only_typed_keys_and_the_worst_case_is_twelve() {
        let retyped = moved(("2027-03-26", "a"), ("2027-03-26", "b"));
        assert_eq!(retyped.len(), 6, "{retyped:?}");
        assert!(retyped.iter().all(|(id, _)| id.contains("#t=")), "{retyped:?}");
        // Renewed within a month: the two days, global and typed.
        assert_eq!(moved(("2027-03-26", "a"), ("2027-03-28", "a")).len(), 4);
        // Renewed into another year with a type change: every bucket, global and typed.
        assert_eq!(moved(("2027-03-26", "a"), ("2028-03-26", "b")).len(), 12);
        assert!(moved(("2027-03-26", "a"), ("2027-03-26", "a")).is_empty());
    }
}
