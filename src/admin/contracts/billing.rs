//! Billing, as a pure function. The billing period is the calendar month; each day is
//! charged with the contract in force that day (the latest one that took effect on or
//! before it), prorated by the days of the month. Suspended days are charged like any
//! other (a suspension does not appear here at all); days after the termination day are
//! not. Days before the first contract cost nothing.

use chrono::NaiveDate;

/// A contract that took effect on a day, with its monthly cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contract {
    pub effective: NaiveDate,
    pub monthly_cost: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceBilling {
    /// In any order.
    pub contracts: Vec<Contract>,
    /// The last charged day of a terminated service.
    pub terminated_on: Option<NaiveDate>,
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    let first = NaiveDate::from_ymd_opt(year, month, 1);
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    match (first, next) {
        (Some(a), Some(b)) => u32::try_from((b - a).num_days()).unwrap_or(30),
        _ => 30,
    }
}

/// The charge of one month; with `through`, only the days up to it (an estimate to date).
pub fn month_charge(s: &ServiceBilling, year: i32, month: u32, through: Option<NaiveDate>) -> i64 {
    let dim = days_in_month(year, month);
    // Callers usually pass them sorted; sort a copy only when they are not.
    let contracts: std::borrow::Cow<'_, [Contract]> =
        if s.contracts.is_sorted_by_key(|c| c.effective) {
            std::borrow::Cow::Borrowed(&s.contracts)
        } else {
            let mut v = s.contracts.clone();
            v.sort_by_key(|c| c.effective);
            std::borrow::Cow::Owned(v)
        };
    // Each contract is charged for the days from its effective day to the day before the
    // next one, within this month, up to `through` and the termination day.
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, month, 1),
        NaiveDate::from_ymd_opt(year, month, dim),
    ) else {
        return 0;
    };
    let end = [Some(last), through, s.terminated_on]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(last);
    let mut sum: i128 = 0;
    for (i, c) in contracts.iter().enumerate() {
        let start = c.effective.max(first);
        let until = match contracts.get(i + 1) {
            Some(next) => next.effective.pred_opt().unwrap_or(next.effective),
            None => end,
        }
        .min(end);
        if until >= start {
            let days = (until - start).num_days() + 1;
            sum += i128::from(c.monthly_cost) * i128::from(days);
        }
    }
    // Round half up to the currency's smallest unit.
    let dim = i128::from(dim);
    i64::try_from((sum * 2 + dim) / (2 * dim)).unwrap_or(i64::MAX)
}

/// The months from `from` to `to` (inclusive), as (year, month).
pub fn months(from: (i32, u32), to: (i32, u32)) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let (mut y, mut m) = from;
    while (y, m) <= to && out.len() < 1200 {
        out.push((y, m));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

/// The month `n` months before (year, month).
pub fn months_back(year: i32, month: u32, n: u32) -> (i32, u32) {
    let idx = year * 12 + month as i32 - 1 - n as i32;
    (idx.div_euclid(12), (idx.rem_euclid(12) + 1) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The charge the slow way: day by day, the contract in force that day.
    fn daily(s: &ServiceBilling, year: i32, month: u32, through: Option<NaiveDate>) -> i64 {
        let dim = days_in_month(year, month);
        let mut c = s.contracts.clone();
        c.sort_by_key(|c| c.effective);
        let mut sum: i128 = 0;
        for day in 1..=dim {
            let d = NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default();
            if through.is_some_and(|t| d > t) || s.terminated_on.is_some_and(|t| d > t) {
                continue;
            }
            if let Some(k) = c.iter().rev().find(|k| k.effective <= d) {
                sum += i128::from(k.monthly_cost);
            }
        }
        let dim = i128::from(dim);
        i64::try_from((sum * 2 + dim) / (2 * dim)).unwrap_or(i64::MAX)
    }

    #[test]
    fn intervals_agree_with_day_by_day() {
        // A small deterministic generator: many shapes of contract history.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let base = NaiveDate::from_ymd_opt(2023, 11, 1).unwrap_or_default();
        for _ in 0..400 {
            let mut contracts = Vec::new();
            for _ in 0..next(6) {
                contracts.push(Contract {
                    effective: base + chrono::Duration::days(next(200) as i64),
                    monthly_cost: next(5_000_000) as i64,
                });
            }
            contracts.sort_by_key(|c| c.effective);
            contracts.dedup_by_key(|c| c.effective);
            let terminated_on =
                (next(3) == 0).then(|| base + chrono::Duration::days(next(220) as i64));
            let s = ServiceBilling {
                contracts,
                terminated_on,
            };
            for (y, m) in months((2023, 11), (2024, 6)) {
                let through =
                    (next(4) == 0).then(|| base + chrono::Duration::days(next(240) as i64));
                assert_eq!(month_charge(&s, y, m, through), daily(&s, y, m, through));
            }
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn one(effective: NaiveDate, cost: i64) -> ServiceBilling {
        ServiceBilling {
            contracts: vec![Contract {
                effective,
                monthly_cost: cost,
            }],
            terminated_on: None,
        }
    }

    #[test]
    fn days_per_month() {
        assert_eq!(days_in_month(2026, 2), 28);
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2026, 4), 30);
        assert_eq!(days_in_month(2026, 1), 31);
        assert_eq!(days_in_month(2026, 12), 31);
    }

    #[test]
    fn a_full_month_costs_the_monthly_cost_whatever_its_length() {
        for (y, m) in [(2026, 2), (2028, 2), (2026, 4), (2026, 1)] {
            assert_eq!(
                month_charge(&one(d(2025, 1, 1), 31_000), y, m, None),
                31_000,
                "{y}-{m}"
            );
        }
    }

    #[test]
    fn prorated_by_days_in_month() {
        // Added on the 16th of a 30-day month: 15 of 30 days.
        assert_eq!(
            month_charge(&one(d(2026, 4, 16), 30_000), 2026, 4, None),
            15_000
        );
        // Added on the 15th of February 2026 (28 days): 14 days.
        assert_eq!(
            month_charge(&one(d(2026, 2, 15), 28_000), 2026, 2, None),
            14_000
        );
        // Leap year: 29 days, added on the 15th: 15 days.
        assert_eq!(
            month_charge(&one(d(2028, 2, 15), 29_000), 2028, 2, None),
            15_000
        );
        // 31 days, added on the last day: 1 day, rounded.
        assert_eq!(
            month_charge(&one(d(2026, 1, 31), 10_000), 2026, 1, None),
            323
        );
        // Before the service existed: nothing.
        assert_eq!(month_charge(&one(d(2026, 5, 1), 10_000), 2026, 4, None), 0);
    }

    #[test]
    fn mid_month_contract_change() {
        let s = ServiceBilling {
            contracts: vec![
                Contract {
                    effective: d(2026, 6, 11),
                    monthly_cost: 60_000,
                },
                Contract {
                    effective: d(2026, 5, 1),
                    monthly_cost: 30_000,
                },
            ],
            terminated_on: None,
        };
        // June has 30 days: 10 days at 30,000 and 20 days at 60,000.
        assert_eq!(month_charge(&s, 2026, 6, None), 10_000 + 40_000);
        assert_eq!(month_charge(&s, 2026, 7, None), 60_000);
        assert_eq!(month_charge(&s, 2026, 5, None), 30_000);
    }

    #[test]
    fn termination_stops_billing_after_the_day() {
        let mut s = one(d(2026, 1, 1), 31_000);
        s.terminated_on = Some(d(2026, 3, 10));
        assert_eq!(month_charge(&s, 2026, 3, None), 10_000);
        assert_eq!(month_charge(&s, 2026, 4, None), 0);
        assert_eq!(month_charge(&s, 2026, 2, None), 31_000);
    }

    #[test]
    fn suspension_is_charged() {
        // A suspension is not an input: a suspended month costs the same as an active one.
        let s = one(d(2026, 1, 1), 31_000);
        assert_eq!(
            month_charge(&s, 2026, 3, None),
            month_charge(&s, 2026, 1, None)
        );
    }

    #[test]
    fn estimate_to_date() {
        let s = one(d(2026, 1, 1), 31_000);
        assert_eq!(month_charge(&s, 2026, 1, Some(d(2026, 1, 10))), 10_000);
    }

    #[test]
    fn month_ranges() {
        assert_eq!(
            months((2025, 11), (2026, 2)),
            vec![(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
        );
        assert!(months((2026, 3), (2026, 2)).is_empty());
        assert_eq!(months_back(2026, 3, 5), (2025, 10));
        assert_eq!(months_back(2026, 1, 0), (2026, 1));
        assert_eq!(months_back(2026, 1, 1), (2025, 12));
    }
}
