//! When an unpaid invoice is reminded automatically.
//!
//! A store's schedule lists days relative to the due date (`-3`, `7`, `30`).
//! Each step is sent at most once per invoice; after downtime only the latest
//! step whose day has come is sent, never a burst of the missed ones.

use crate::dates::Date;

/// The schedule step to send on `today`, if any.
///
/// A step's day must have come and must fall after the day the invoice was
/// first emailed (`first_sent`): a step already past then would only echo
/// the invoice. Nothing is sent when that step, or a later one, was already
/// sent (`last_sent`).
pub fn due_step(
    schedule: &[i32],
    first_sent: Date,
    due_date: Date,
    today: Date,
    last_sent: Option<i32>,
) -> Option<i32> {
    let step = schedule
        .iter()
        .copied()
        .filter(|step| {
            let day = due_date.add_days(i64::from(*step));
            day <= today && day > first_sent
        })
        .max()?;
    match last_sent {
        Some(sent) if sent >= step => None,
        _ => Some(step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).expect("date")
    }

    const SCHEDULE: [i32; 3] = [-3, 7, 30];

    fn step_on(today: &str, last_sent: Option<i32>) -> Option<i32> {
        due_step(
            &SCHEDULE,
            date("2026-11-01"),
            date("2026-12-01"),
            date(today),
            last_sent,
        )
    }

    #[test]
    fn nothing_is_due_before_the_first_step() {
        assert_eq!(step_on("2026-11-27", None), None);
    }

    #[test]
    fn each_step_is_due_from_its_day() {
        assert_eq!(step_on("2026-11-28", None), Some(-3));
        assert_eq!(step_on("2026-12-08", Some(-3)), Some(7));
        assert_eq!(step_on("2026-12-31", Some(7)), Some(30));
    }

    #[test]
    fn a_step_already_sent_is_never_sent_again() {
        assert_eq!(step_on("2026-11-29", Some(-3)), None);
        assert_eq!(step_on("2027-03-01", Some(30)), None);
    }

    #[test]
    fn after_downtime_only_the_latest_due_step_is_sent() {
        assert_eq!(step_on("2027-01-15", None), Some(30));
        assert_eq!(step_on("2027-01-15", Some(-3)), Some(30));
    }

    #[test]
    fn steps_that_were_past_when_the_invoice_was_first_emailed_are_skipped() {
        let emailed_late = |today: &str| {
            due_step(
                &SCHEDULE,
                date("2026-11-30"),
                date("2026-12-01"),
                date(today),
                None,
            )
        };
        assert_eq!(emailed_late("2026-11-30"), None);
        assert_eq!(emailed_late("2026-12-08"), Some(7));
    }

    #[test]
    fn an_empty_schedule_never_reminds() {
        assert_eq!(
            due_step(
                &[],
                date("2026-11-01"),
                date("2026-12-01"),
                date("2027-01-01"),
                None
            ),
            None
        );
    }
}
