//! The time zones merchants pick for their stores, with their rules written
//! out, so an instant can be shown in the store's local time on the server,
//! in the hydrated admin (wasm) and at the edge without shipping a tz
//! database: the whole of it would cost the wasm bundles hundreds of KiB for
//! zones no merchant of Invio uses.
//!
//! Each zone is a fixed offset or a fixed offset plus one of three daylight
//! saving rules, as in force today. When written, every zone's offset was
//! compared with IANA tzdata 2025b (Python's `zoneinfo`) every half hour from
//! 2024 to 2030: no difference. The rules are applied to every instant,
//! also to those before a rule took effect (Mexico's end of DST in 2022,
//! say): Invio only shows instants it recorded itself, all recent.

use serde::{Deserialize, Deserializer, Serialize};

use crate::dates::{days_from_civil, days_in_month};
use crate::i18n::Language;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// A daylight saving rule: when the clocks go one hour forward and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dst {
    /// The European Union's (and the United Kingdom's, Switzerland's):
    /// summer time begins at 01:00 UTC on the last Sunday of March and ends
    /// at 01:00 UTC on the last Sunday of October, the same instant in every
    /// zone. Directive 2000/84/EC, articles 2 and 3; the UK's Summer Time
    /// Order 2002; Switzerland's Verordnung über die Sommerzeit (SR 941.299).
    Eu,
    /// The United States': daylight time begins at 2:00 a.m. local standard
    /// time on the second Sunday of March and ends at 2:00 a.m. local
    /// daylight time on the first Sunday of November. 15 U.S.C. § 260a as
    /// amended by the Energy Policy Act of 2005, § 110.
    Us,
    /// Chile's (mainland), southern summer: from 24:00 local time of the
    /// first Saturday of September (04:00 UTC on the Sunday after it) to
    /// 24:00 local summer time of the first Saturday of April (03:00 UTC on
    /// the Sunday after it). Decreto Supremo 1286 (2022) of the Ministerio
    /// del Interior; IANA tzdata's `Chile` rules from 2023 (`Sun>=2`).
    Chile,
}

impl Dst {
    /// When summer time begins and ends in `year`, as UTC milliseconds, for
    /// a zone whose standard offset is `standard_minutes`.
    fn span(self, year: i32, standard_minutes: i32) -> (i64, i64) {
        let standard = i64::from(standard_minutes) * MINUTE_MS;
        match self {
            Dst::Eu => (
                last_sunday(year, 3) * DAY_MS + HOUR_MS,
                last_sunday(year, 10) * DAY_MS + HOUR_MS,
            ),
            Dst::Us => (
                // 02:00 standard time, on the first Sunday from the 8th.
                sunday_on_or_after(year, 3, 8) * DAY_MS + 2 * HOUR_MS - standard,
                // 02:00 daylight time, an hour ahead of standard.
                sunday_on_or_after(year, 11, 1) * DAY_MS + 2 * HOUR_MS - standard - HOUR_MS,
            ),
            Dst::Chile => (
                sunday_on_or_after(year, 9, 2) * DAY_MS + 4 * HOUR_MS,
                sunday_on_or_after(year, 4, 2) * DAY_MS + 3 * HOUR_MS,
            ),
        }
    }

    fn in_force(self, utc_ms: i64, standard_minutes: i32) -> bool {
        let year = crate::dates::Date::from_unix_millis(utc_ms).year;
        let (begins, ends) = self.span(year, standard_minutes);
        if begins < ends {
            (begins..ends).contains(&utc_ms)
        } else {
            // Southern summer: it spans the new year.
            utc_ms >= begins || utc_ms < ends
        }
    }
}

/// Days since the epoch are Sundays when this is 0 (1970-01-01 was a
/// Thursday).
fn weekday_from_sunday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

fn last_sunday(year: i32, month: u32) -> i64 {
    let last = days_from_civil(year, month, days_in_month(year, month));
    last - weekday_from_sunday(last)
}

fn sunday_on_or_after(year: i32, month: u32, day: u32) -> i64 {
    let from = days_from_civil(year, month, day);
    from + (7 - weekday_from_sunday(from)) % 7
}

/// How a zone's times are labelled: by the abbreviations its people read
/// (CET, EDT), or by the bare offset where they have none in common use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    Abbreviations {
        standard: &'static str,
        summer: &'static str,
    },
    Offset,
}

#[derive(Debug, PartialEq, Eq)]
struct Zone {
    /// The IANA name, which browsers and `Intl.DateTimeFormat` know too.
    name: &'static str,
    standard_minutes: i32,
    names: Names,
    dst: Option<Dst>,
}

const fn zone(name: &'static str, hours: i32, names: Names, dst: Option<Dst>) -> Zone {
    Zone {
        name,
        standard_minutes: hours * 60,
        names,
        dst,
    }
}

const fn abbr(standard: &'static str, summer: &'static str) -> Names {
    Names::Abbreviations { standard, summer }
}

const OFFSET: Names = Names::Offset;

/// Every zone a store may choose, Europe then the Americas, each west to
/// east within its region.
static ZONES: [Zone; 34] = [
    zone("UTC", 0, abbr("UTC", "UTC"), None),
    zone("Atlantic/Canary", 0, abbr("WET", "WEST"), Some(Dst::Eu)),
    zone("Europe/Lisbon", 0, abbr("WET", "WEST"), Some(Dst::Eu)),
    zone("Europe/London", 0, abbr("GMT", "BST"), Some(Dst::Eu)),
    zone("Europe/Dublin", 0, abbr("GMT", "IST"), Some(Dst::Eu)),
    zone("Europe/Madrid", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Paris", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Brussels", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Amsterdam", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Luxembourg", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Zurich", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Berlin", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Rome", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Malta", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Vienna", 1, abbr("CET", "CEST"), Some(Dst::Eu)),
    zone("Europe/Athens", 2, abbr("EET", "EEST"), Some(Dst::Eu)),
    zone("America/Los_Angeles", -8, abbr("PST", "PDT"), Some(Dst::Us)),
    zone("America/Phoenix", -7, abbr("MST", "MST"), None),
    zone("America/Denver", -7, abbr("MST", "MDT"), Some(Dst::Us)),
    zone("America/Mexico_City", -6, OFFSET, None),
    zone("America/Guatemala", -6, OFFSET, None),
    zone("America/Costa_Rica", -6, OFFSET, None),
    zone("America/Chicago", -6, abbr("CST", "CDT"), Some(Dst::Us)),
    zone("America/Bogota", -5, OFFSET, None),
    zone("America/Lima", -5, OFFSET, None),
    zone("America/Panama", -5, OFFSET, None),
    zone("America/New_York", -5, abbr("EST", "EDT"), Some(Dst::Us)),
    zone("America/Caracas", -4, OFFSET, None),
    zone("America/Santo_Domingo", -4, OFFSET, None),
    zone("America/Puerto_Rico", -4, abbr("AST", "AST"), None),
    zone("America/Santiago", -4, OFFSET, Some(Dst::Chile)),
    zone("America/Argentina/Buenos_Aires", -3, OFFSET, None),
    zone("America/Montevideo", -3, OFFSET, None),
    zone("America/Sao_Paulo", -3, OFFSET, None),
];

/// One of the zones a store may choose ([`TimeZone::all`]), kept and sent
/// by its IANA name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(&'static Zone);

impl std::fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

/// The offset from UTC in force at an instant, and what it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalOffset {
    pub minutes: i32,
    /// `CET`, `EDT`…; none where the zone is named by its offset alone.
    pub abbreviation: Option<&'static str>,
}

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(&ZONES[0]);

    pub fn all() -> impl Iterator<Item = TimeZone> {
        ZONES.iter().map(TimeZone)
    }

    /// The zone of an IANA name, exactly as spelled there.
    pub fn parse(name: &str) -> Option<Self> {
        Self::all().find(|zone| zone.name() == name.trim())
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// Where a store of this language most likely is; the merchant changes
    /// it in the store's settings.
    pub fn default_for(language: Language) -> Self {
        let name = match language {
            Language::It => "Europe/Rome",
            Language::Es => "Europe/Madrid",
            Language::En => "Europe/London",
        };
        Self::parse(name).unwrap_or(Self::UTC)
    }

    pub fn offset_at(self, utc_ms: i64) -> LocalOffset {
        let zone = self.0;
        let summer = zone
            .dst
            .is_some_and(|dst| dst.in_force(utc_ms, zone.standard_minutes));
        LocalOffset {
            minutes: zone.standard_minutes + if summer { 60 } else { 0 },
            abbreviation: match zone.names {
                Names::Abbreviations {
                    standard,
                    summer: _,
                } if !summer => Some(standard),
                Names::Abbreviations { summer: name, .. } => Some(name),
                Names::Offset => None,
            },
        }
    }

    /// The zone as the store's settings offer it: `Europe/Rome (CET/CEST)`,
    /// `America/Bogota (UTC−5)`, `America/Santiago (UTC−4/−3)`.
    pub fn label(self) -> String {
        let zone = self.0;
        let names = match (zone.names, zone.dst) {
            (Names::Abbreviations { standard, summer }, Some(_)) => format!("{standard}/{summer}"),
            (Names::Abbreviations { standard, .. }, None) => standard.to_owned(),
            (Names::Offset, None) => utc_offset(zone.standard_minutes),
            (Names::Offset, Some(_)) => format!(
                "{}/{}",
                utc_offset(zone.standard_minutes),
                signed_offset(zone.standard_minutes + 60)
            ),
        };
        if names == zone.name {
            names
        } else {
            format!("{} ({names})", zone.name)
        }
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        Self::UTC
    }
}

/// `UTC−6`, `UTC+5:30`, `UTC`: with a true minus sign, as typeset.
fn utc_offset(minutes: i32) -> String {
    if minutes == 0 {
        "UTC".to_owned()
    } else {
        format!("UTC{}", signed_offset(minutes))
    }
}

fn signed_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '−' } else { '+' };
    let (hours, minutes) = (minutes.abs() / 60, minutes.abs() % 60);
    if minutes == 0 {
        format!("{sign}{hours}")
    } else {
        format!("{sign}{hours}:{minutes:02}")
    }
}

impl LocalOffset {
    /// What follows the time: `CET`, or `(UTC−6)` for a zone without an
    /// abbreviation.
    pub fn suffix(self) -> String {
        match self.abbreviation {
            Some(abbreviation) => abbreviation.to_owned(),
            None => format!("({})", utc_offset(self.minutes)),
        }
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown time zone {name}")))
    }
}

/// For what another release wrote: a zone this one does not know reads as
/// UTC (the customer's page still shows the instant right, labelled UTC,
/// and its script puts it in the reader's own zone) instead of making the
/// whole record unreadable.
pub fn lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TimeZone, D::Error> {
    let name = String::deserialize(deserializer)?;
    Ok(TimeZone::parse(&name).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::format_instant;

    /// Milliseconds of a UTC wall-clock time.
    fn utc(year: i32, month: u32, day: u32, hour: i64, minute: i64) -> i64 {
        days_from_civil(year, month, day) * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).expect(name)
    }

    fn offset(name: &str, at: i64) -> i32 {
        zone(name).offset_at(at).minutes
    }

    #[test]
    fn every_zone_the_brief_names_is_offered_and_names_round_trip() {
        for name in [
            "UTC",
            "Europe/Rome",
            "Europe/Madrid",
            "Atlantic/Canary",
            "Europe/London",
            "Europe/Lisbon",
            "Europe/Paris",
            "Europe/Berlin",
            "Europe/Zurich",
            "America/Costa_Rica",
            "America/Mexico_City",
            "America/Bogota",
            "America/Lima",
            "America/Santiago",
            "America/Argentina/Buenos_Aires",
            "America/New_York",
            "America/Chicago",
            "America/Los_Angeles",
        ] {
            assert_eq!(zone(name).name(), name);
        }
        let names: Vec<&str> = TimeZone::all().map(TimeZone::name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "no zone twice");
        for bad in ["", "Europe/Atlantis", "europe/rome", "CET", "UTC+1"] {
            assert_eq!(TimeZone::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn stores_default_to_the_zone_of_their_language() {
        assert_eq!(TimeZone::default_for(Language::It), zone("Europe/Rome"));
        assert_eq!(TimeZone::default_for(Language::Es), zone("Europe/Madrid"));
        assert_eq!(TimeZone::default_for(Language::En), zone("Europe/London"));
    }

    // Directive 2000/84/EC: summer time from 01:00 UTC on the last Sunday of
    // March to 01:00 UTC on the last Sunday of October. In 2026 those are
    // 29 March and 25 October; in 2027, 28 March and 31 October.
    #[test]
    fn european_summer_time_begins_and_ends_at_one_utc_on_the_last_sundays() {
        let begins = utc(2026, 3, 29, 1, 0);
        let ends = utc(2026, 10, 25, 1, 0);
        for (name, standard) in [
            ("Europe/Rome", 60),
            ("Europe/Madrid", 60),
            ("Europe/London", 0),
            ("Europe/Lisbon", 0),
            ("Atlantic/Canary", 0),
            ("Europe/Athens", 120),
        ] {
            assert_eq!(offset(name, begins - 1), standard, "{name}");
            assert_eq!(offset(name, begins), standard + 60, "{name}");
            assert_eq!(offset(name, ends - 1), standard + 60, "{name}");
            assert_eq!(offset(name, ends), standard, "{name}");
        }
        assert_eq!(offset("Europe/Rome", utc(2027, 3, 28, 0, 59)), 60);
        assert_eq!(offset("Europe/Rome", utc(2027, 3, 28, 1, 0)), 120);
        assert_eq!(offset("Europe/Rome", utc(2027, 10, 31, 0, 59)), 120);
        assert_eq!(offset("Europe/Rome", utc(2027, 10, 31, 1, 0)), 60);
    }

    // Energy Policy Act of 2005, § 110: from 2:00 a.m. standard time on the
    // second Sunday of March (8 March 2026) to 2:00 a.m. daylight time on
    // the first Sunday of November (1 November 2026), local in each zone.
    #[test]
    fn us_daylight_time_begins_and_ends_at_two_in_the_morning_local() {
        for (name, standard) in [
            ("America/New_York", -300),
            ("America/Chicago", -360),
            ("America/Denver", -420),
            ("America/Los_Angeles", -480),
        ] {
            let begins = utc(2026, 3, 8, 2, 0) - i64::from(standard) * MINUTE_MS;
            let ends = utc(2026, 11, 1, 2, 0) - i64::from(standard + 60) * MINUTE_MS;
            assert_eq!(offset(name, begins - 1), standard, "{name}");
            assert_eq!(offset(name, begins), standard + 60, "{name}");
            assert_eq!(offset(name, ends - 1), standard + 60, "{name}");
            assert_eq!(offset(name, ends), standard, "{name}");
        }
        // New York: 07:00 UTC and 06:00 UTC; in 2027, 14 March and 7 November.
        assert_eq!(offset("America/New_York", utc(2026, 3, 8, 7, 0)), -240);
        assert_eq!(offset("America/New_York", utc(2026, 11, 1, 6, 0)), -300);
        assert_eq!(offset("America/New_York", utc(2027, 3, 14, 6, 59)), -300);
        assert_eq!(offset("America/New_York", utc(2027, 11, 7, 5, 59)), -240);
        // Arizona keeps standard time all year.
        assert_eq!(offset("America/Phoenix", utc(2026, 7, 1, 12, 0)), -420);
    }

    // Decreto 1286 (2022): Chile's summer time from 24:00 of the first
    // Saturday of September to 24:00 of the first Saturday of April, i.e.
    // 04:00 UTC on Sunday 6 September 2026 and 03:00 UTC on Sunday 5 April
    // 2026 (4 April 2027).
    #[test]
    fn chilean_summer_time_spans_the_new_year() {
        let santiago = |at| offset("America/Santiago", at);
        assert_eq!(santiago(utc(2026, 1, 15, 12, 0)), -180);
        assert_eq!(santiago(utc(2026, 4, 5, 2, 59)), -180);
        assert_eq!(santiago(utc(2026, 4, 5, 3, 0)), -240);
        assert_eq!(santiago(utc(2026, 9, 6, 3, 59)), -240);
        assert_eq!(santiago(utc(2026, 9, 6, 4, 0)), -180);
        assert_eq!(santiago(utc(2026, 12, 31, 23, 0)), -180);
        assert_eq!(santiago(utc(2027, 4, 4, 2, 59)), -180);
        assert_eq!(santiago(utc(2027, 4, 4, 3, 0)), -240);
    }

    #[test]
    fn zones_without_daylight_saving_keep_their_offset() {
        for at in [utc(2026, 1, 15, 12, 0), utc(2026, 7, 15, 12, 0)] {
            assert_eq!(offset("America/Costa_Rica", at), -360);
            assert_eq!(offset("America/Mexico_City", at), -360);
            assert_eq!(offset("America/Bogota", at), -300);
            assert_eq!(offset("America/Lima", at), -300);
            assert_eq!(offset("America/Argentina/Buenos_Aires", at), -180);
            assert_eq!(offset("UTC", at), 0);
        }
    }

    #[test]
    fn times_name_their_zone_by_abbreviation_or_offset() {
        let winter = utc(2026, 1, 15, 13, 5);
        let summer = utc(2026, 7, 15, 12, 5);
        let shown = |at, name| format_instant(at, Language::It, zone(name));
        assert_eq!(shown(winter, "Europe/Rome"), "15/01/2026 14:05 CET");
        assert_eq!(shown(summer, "Europe/Rome"), "15/07/2026 14:05 CEST");
        assert_eq!(shown(summer, "Europe/London"), "15/07/2026 13:05 BST");
        assert_eq!(
            shown(winter, "America/Costa_Rica"),
            "15/01/2026 07:05 (UTC−6)"
        );
        assert_eq!(
            shown(winter, "America/Santiago"),
            "15/01/2026 10:05 (UTC−3)"
        );
        assert_eq!(shown(winter, "UTC"), "15/01/2026 13:05 UTC");
        // The local date, not the UTC one, late in the evening in America.
        assert_eq!(
            format_instant(
                utc(2026, 11, 22, 3, 30),
                Language::En,
                zone("America/New_York")
            ),
            "21 Nov 2026 22:30 EST"
        );
    }

    #[test]
    fn the_settings_label_each_zone_with_its_names() {
        assert_eq!(zone("Europe/Rome").label(), "Europe/Rome (CET/CEST)");
        assert_eq!(zone("America/Bogota").label(), "America/Bogota (UTC−5)");
        assert_eq!(
            zone("America/Santiago").label(),
            "America/Santiago (UTC−4/−3)"
        );
        assert_eq!(zone("UTC").label(), "UTC");
    }

    #[test]
    fn an_unknown_zone_from_another_release_reads_as_utc_where_lenient() {
        #[derive(Deserialize)]
        struct Lenient {
            #[serde(deserialize_with = "lenient")]
            zone: TimeZone,
        }
        let read: Lenient = serde_json::from_str(r#"{"zone":"Asia/Tokyo"}"#).expect("reads");
        assert_eq!(read.zone, TimeZone::UTC);
        assert!(serde_json::from_str::<TimeZone>(r#""Asia/Tokyo""#).is_err());
        assert_eq!(
            serde_json::from_str::<TimeZone>(r#""Europe/Rome""#).ok(),
            Some(zone("Europe/Rome"))
        );
    }
}
