//! Calendar dates and UTC instants without a clock: callers pass the time in.

use serde::{Deserialize, Serialize};

use crate::i18n::Language;
use crate::time_zone::TimeZone;

/// A calendar date (`YYYY-MM-DD`), as printed on an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a date (expected YYYY-MM-DD)")]
pub struct DateError(pub String);

impl Date {
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let error = || DateError(text.to_owned());
        let mut parts = text.trim().splitn(3, '-');
        let mut next = || parts.next().ok_or_else(error);
        let (year, month, day) = (next()?, next()?, next()?);
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return Err(error());
        }
        let date = Date {
            year: year.parse().map_err(|_| error())?,
            month: month.parse().map_err(|_| error())?,
            day: day.parse().map_err(|_| error())?,
        };
        if date.month == 0
            || date.month > 12
            || date.day == 0
            || date.day > days_in_month(date.year, date.month)
        {
            return Err(error());
        }
        Ok(date)
    }

    /// The UTC calendar date of an instant given in milliseconds since the epoch.
    pub fn from_unix_millis(millis: i64) -> Self {
        let (year, month, day) = civil_from_days(millis.div_euclid(86_400_000));
        Date { year, month, day }
    }

    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    pub fn add_days(self, days: i64) -> Self {
        let (year, month, day) = civil_from_days(self.days_since_epoch() + days);
        Date { year, month, day }
    }

    /// `22/11/2026` for it/es, `22 Nov 2026` for en.
    pub fn format(self, language: Language) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        match language {
            Language::It | Language::Es => {
                format!("{:02}/{:02}/{}", self.day, self.month, self.year)
            }
            Language::En => format!(
                "{} {} {}",
                self.day,
                MONTHS[(self.month - 1) as usize],
                self.year
            ),
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TryFrom<String> for Date {
    type Error = DateError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Date::parse(&text)
    }
}

impl From<Date> for String {
    fn from(date: Date) -> Self {
        date.to_string()
    }
}

/// An instant in `zone`'s local time: `22/11/2026 14:05 CET` (it/es) or
/// `22 Nov 2026 08:05 EST` (en), `(UTC−6)` for a zone without an
/// abbreviation.
pub fn format_instant(unix_millis: i64, language: Language, zone: TimeZone) -> String {
    let offset = zone.offset_at(unix_millis);
    let local = unix_millis + i64::from(offset.minutes) * 60_000;
    let minutes_of_day = local.rem_euclid(86_400_000) / 60_000;
    format!(
        "{} {:02}:{:02} {}",
        Date::from_unix_millis(local).format(language),
        minutes_of_day / 60,
        minutes_of_day % 60,
        offset.suffix()
    )
}

/// An instant as HTML's `datetime` attribute and machines read it:
/// `2026-11-22T13:50:00Z`.
pub fn rfc3339_utc(unix_millis: i64) -> String {
    let seconds_of_day = unix_millis.rem_euclid(86_400_000) / 1000;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Date::from_unix_millis(unix_millis),
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60
    )
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian.
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_are_parsed_strictly() {
        assert_eq!(
            Date::parse("2026-11-22").map(|d| d.to_string()),
            Ok("2026-11-22".into())
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "26-1-1",
            "2026/11/22",
            "",
            "2024-02-30",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2024-02-29").is_ok());
    }

    #[test]
    fn instants_are_shown_in_the_zone_in_the_readers_convention() {
        // 2026-11-22T13:50:00Z
        let instant = 1_795_355_400_000;
        assert_eq!(
            format_instant(instant, Language::It, TimeZone::UTC),
            "22/11/2026 13:50 UTC"
        );
        let rome = TimeZone::parse("Europe/Rome").expect("offered");
        assert_eq!(
            format_instant(instant, Language::En, rome),
            "22 Nov 2026 14:50 CET"
        );
        assert_eq!(rfc3339_utc(instant), "2026-11-22T13:50:00Z");
        assert_eq!(rfc3339_utc(instant + 59_999), "2026-11-22T13:50:59Z");
    }

    proptest! {
        #[test]
        fn day_numbers_round_trip(days in -1_000_000_i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
