//! Which expiry buckets count the days from a given day through today, with as few count
//! items to read as the calendar allows (`read/unflipped.rs` counts the lapsed records so).
use chrono::{Datelike, NaiveDate};

use crate::store::write::expiry_counts::Bucket;

/// Expiry buckets, each to be added (`1`) or taken away (`-1`), whose counts give the
/// stored-`active` records expiring from `from` through `today`. Nothing matching expires
/// before `from` (it is a lower bound of the unflipped ones' expiries), so the range may start
/// at `from`'s year: whole years and months up to this month, then this month's days through
/// today, or, when fewer, this month's count less its days after today. At most ~11 + years +
/// 16 buckets, whatever the table holds.
pub(super) fn through_today(from: NaiveDate, today: NaiveDate) -> Vec<(Bucket, i64)> {
    if from > today {
        return Vec::new();
    }
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let this_month = month_start(today);
    let mut out = Vec::new();
    let mut first = from;
    if from < this_month {
        if let Some(last) = this_month.pred_opt() {
            let year_start = NaiveDate::from_ymd_opt(from.year(), 1, 1).unwrap_or(from);
            out.extend(Bucket::covering(year_start, last).into_iter().map(|b| (b, 1)));
        }
        first = this_month;
    }
    let forward: Vec<Bucket> = first.iter_days().take_while(|d| *d <= today).map(Bucket::Day).collect();
    let after: Vec<Bucket> =
        today.iter_days().skip(1).take_while(|d| month_start(*d) == this_month).map(Bucket::Day).collect();
    if after.len() + 1 < forward.len() {
        out.push((Bucket::Month(today.year(), today.month()), 1));
        out.extend(after.into_iter().map(|b| (b, -1)));
    } else {
        out.extend(forward.into_iter().map(|b| (b, 1)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// How many times `d` is counted: the weights of the buckets holding it.
    fn net(d: NaiveDate, buckets: &[(Bucket, i64)]) -> i64 {
        let of = Bucket::of(d.and_hms_opt(12, 0, 0).unwrap().and_utc());
        buckets.iter().filter(|(b, _)| of.contains(b)).map(|(_, w)| w).sum()
    }

    #[test]
    fn the_days_through_today_are_counted_once_and_later_ones_never() {
        let cases = [
            ("2026-03-26", "2026-03-26", 1),
            ("2026-03-27", "2026-03-26", 0),
            ("2026-03-24", "2026-03-26", 3),
            // This month's count less its 5 days after today, instead of 7 or 26 days.
            ("2026-03-20", "2026-03-26", 6),
            ("2026-03-01", "2026-03-26", 6),
            ("2025-11-15", "2026-03-26", 3 + 6),
            ("2024-02-29", "2026-01-02", 2 + 2),
        ];
        for (from, today, n) in cases {
            let (from, today) = (day(from), day(today));
            let got = through_today(from, today);
            assert_eq!(got.len(), n, "{from}..={today}: {got:?}");
            let mut d = from - TimeDelta::days(40);
            while d < today + TimeDelta::days(40) {
                let want = if d > today {
                    Some(0)
                } else if d >= from {
                    Some(1)
                } else {
                    None // before `from` nothing matches, so any count is right
                };
                if let Some(w) = want {
                    assert_eq!(net(d, &got), w, "{from}..={today}: {d}");
                }
                d = d.succ_opt().unwrap();
            }
        }
    }
}
