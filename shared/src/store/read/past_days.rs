//! Which expiry buckets count the days before today from a given day on, with as few count
//! items to read as the calendar allows (`read/unflipped.rs` counts the lapsed records so).
use chrono::{Datelike, NaiveDate};

use crate::store::write::expiry_counts::Bucket;

/// Expiry buckets whose counts, the first summed less the second, give the stored-`active`
/// records expiring from `from` to the day before `today`. Nothing matching expires before
/// `from` (it is a lower bound of the unflipped ones' expiries), so the range may start at
/// `from`'s year: whole years and months up to this month, then this month's days up to
/// yesterday, or, when fewer, this month's count less its days from today on. At most ~11 +
/// years + 16 buckets, whatever the table holds.
pub(super) fn before_today(from: NaiveDate, today: NaiveDate) -> (Vec<Bucket>, Vec<Bucket>) {
    let Some(yesterday) = today.pred_opt() else { return (Vec::new(), Vec::new()) };
    if from > yesterday {
        return (Vec::new(), Vec::new());
    }
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let this_month = month_start(today);
    let mut plus = Vec::new();
    let mut first = from;
    if from < this_month {
        if let Some(last) = this_month.pred_opt() {
            let year_start = NaiveDate::from_ymd_opt(from.year(), 1, 1).unwrap_or(from);
            plus = Bucket::covering(year_start, last);
        }
        first = this_month;
    }
    if first > yesterday {
        return (plus, Vec::new());
    }
    let forward: Vec<Bucket> = first.iter_days().take_while(|d| *d <= yesterday).map(Bucket::Day).collect();
    let rest: Vec<Bucket> = today.iter_days().take_while(|d| month_start(*d) == this_month).map(Bucket::Day).collect();
    if rest.len() + 1 < forward.len() {
        plus.push(Bucket::Month(today.year(), today.month()));
        (plus, rest)
    } else {
        plus.extend(forward);
        (plus, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// How many times `d` is counted: once per bucket of `plus` holding it, less `minus`'s.
    fn net(d: NaiveDate, (plus, minus): &(Vec<Bucket>, Vec<Bucket>)) -> i64 {
        let held = |bs: &Vec<Bucket>| {
            let of = Bucket::of(d.and_hms_opt(12, 0, 0).unwrap().and_utc());
            bs.iter().filter(|b| of.contains(b)).count() as i64
        };
        held(plus) - held(minus)
    }

    #[test]
    fn the_days_before_today_are_counted_once_and_today_on_never() {
        let cases = [
            ("2026-03-26", "2026-03-26", 0),
            ("2026-03-20", "2026-03-26", 6),
            // This month's count less its 6 days from today on, instead of 25 days.
            ("2026-03-01", "2026-03-26", 7),
            ("2025-11-15", "2026-03-26", 3 + 7),
            ("2024-02-29", "2026-01-02", 2 + 1),
        ];
        for (from, today, n) in cases {
            let (from, today) = (day(from), day(today));
            let got = before_today(from, today);
            assert_eq!(got.0.len() + got.1.len(), n, "{from}..{today}: {got:?}");
            let mut d = from - TimeDelta::days(40);
            while d < today + TimeDelta::days(40) {
                let want = if d >= today {
                    Some(0)
                } else if d >= from {
                    Some(1)
                } else {
                    None // before `from` nothing matches, so any count is right
                };
                if let Some(w) = want {
                    assert_eq!(net(d, &got), w, "{from}..{today}: {d}");
                }
                d = d.succ_opt().unwrap();
            }
        }
    }
}
