//! The huella (fingerprint) of a record, exactly as the AEAT's
//! «Detalle de las especificaciones técnicas para generación de la huella o
//! hash de los registros de facturación» v0.1.2 defines it (REPORT.md §2):
//! the listed fields, in the listed order, as `name=value` joined by `&`,
//! each value trimmed, a missing one as `name=`, UTF-8, SHA-256, 64
//! uppercase hexadecimal characters.
//!
//! The hash is over the text written in the XML (the document's vector 4
//! gives different hashes for `241.4` and `241.40`), so each value is
//! formatted once, by the functions here, and that one string is both
//! written and hashed.

use sha2::{Digest, Sha256};

use crate::dates::Date;
use crate::time_zone::TimeZone;

/// The huella of `fields`, in the order given.
pub fn huella(fields: &[(&str, &str)]) -> String {
    let text = fields
        .iter()
        .map(|(name, value)| format!("{name}={}", value.trim()))
        .collect::<Vec<_>>()
        .join("&");
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect()
}

/// The hashed fields of a registro de alta (§3 a), as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AltaHashFields<'a> {
    pub issuer_nif: &'a str,
    pub number: &'a str,
    pub issue_date: &'a str,
    pub invoice_type: &'a str,
    pub tax_total: &'a str,
    pub total: &'a str,
    /// The previous record's huella; empty for the first record.
    pub previous_huella: &'a str,
    pub generated_at: &'a str,
}

/// The huella of a registro de alta.
pub fn alta_huella(fields: &AltaHashFields<'_>) -> String {
    huella(&[
        ("IDEmisorFactura", fields.issuer_nif),
        ("NumSerieFactura", fields.number),
        ("FechaExpedicionFactura", fields.issue_date),
        ("TipoFactura", fields.invoice_type),
        ("CuotaTotal", fields.tax_total),
        ("ImporteTotal", fields.total),
        ("Huella", fields.previous_huella),
        ("FechaHoraHusoGenRegistro", fields.generated_at),
    ])
}

/// The hashed fields of a registro de anulación (§3 b), as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnulacionHashFields<'a> {
    pub issuer_nif: &'a str,
    pub number: &'a str,
    pub issue_date: &'a str,
    pub previous_huella: &'a str,
    pub generated_at: &'a str,
}

/// The huella of a registro de anulación.
pub fn anulacion_huella(fields: &AnulacionHashFields<'_>) -> String {
    huella(&[
        ("IDEmisorFacturaAnulada", fields.issuer_nif),
        ("NumSerieFacturaAnulada", fields.number),
        ("FechaExpedicionFacturaAnulada", fields.issue_date),
        ("Huella", fields.previous_huella),
        ("FechaHoraHusoGenRegistro", fields.generated_at),
    ])
}

/// An amount in euro cents as `ImporteSgn12.2Type` writes it, always with
/// two decimals: 12345 → `123.45`, -1200 → `-12.00`. Callers check the
/// 12 integer digits first ([`super::AeatRule::AmountTooLarge`]).
pub fn amount_text(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// A date as the schema's `fecha` type writes it: `DD-MM-YYYY`.
pub fn fecha(date: Date) -> String {
    format!("{:02}-{:02}-{:04}", date.day, date.month, date.year)
}

/// Spain's peninsular time, in which the records state when they were made.
pub(super) fn madrid() -> TimeZone {
    TimeZone::parse("Europe/Madrid").unwrap_or(TimeZone::UTC)
}

/// The local date in Madrid at an instant.
pub(super) fn madrid_date(utc_ms: i64) -> Date {
    let offset = madrid().offset_at(utc_ms);
    Date::from_unix_millis(utc_ms + i64::from(offset.minutes) * 60_000)
}

/// `FechaHoraHusoGenRegistro` (`xs:dateTime`) of an instant: Madrid's local
/// time with the offset in force then, `2024-01-01T19:20:30+01:00`.
pub fn fecha_hora_huso(utc_ms: i64) -> String {
    let minutes = madrid().offset_at(utc_ms).minutes;
    let local = utc_ms + i64::from(minutes) * 60_000;
    let seconds_of_day = local.rem_euclid(86_400_000) / 1000;
    let sign = if minutes < 0 { '-' } else { '+' };
    format!(
        "{}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        Date::from_unix_millis(local),
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60,
        minutes.abs() / 60,
        minutes.abs() % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VECTOR_1: &str = "3C464DAF61ACB827C65FDA19F352A4E3BDC2C640E9E9FC4CC058073F38F12F60";
    const VECTOR_2: &str = "F7B94CFD8924EDFF273501B01EE5153E4CE8F259766F88CF6ACB8935802A2B97";

    fn vector_1() -> AltaHashFields<'static> {
        AltaHashFields {
            issuer_nif: "89890001K",
            number: "12345678/G33",
            issue_date: "01-01-2024",
            invoice_type: "F1",
            tax_total: "12.35",
            total: "123.45",
            previous_huella: "",
            generated_at: "2024-01-01T19:20:30+01:00",
        }
    }

    #[test]
    fn the_first_record_of_the_specification_hashes_to_its_huella() {
        assert_eq!(alta_huella(&vector_1()), VECTOR_1);
    }

    #[test]
    fn the_second_record_chains_to_the_first_as_the_specification_shows() {
        let second = AltaHashFields {
            number: "12345679/G34",
            previous_huella: VECTOR_1,
            generated_at: "2024-01-01T19:20:35+01:00",
            ..vector_1()
        };
        assert_eq!(alta_huella(&second), VECTOR_2);
    }

    #[test]
    fn the_cancellation_of_the_specification_hashes_to_its_huella() {
        let cancellation = AnulacionHashFields {
            issuer_nif: "89890001K",
            number: "12345679/G34",
            issue_date: "01-01-2024",
            previous_huella: VECTOR_2,
            generated_at: "2024-01-01T19:20:40+01:00",
        };
        assert_eq!(
            anulacion_huella(&cancellation),
            "177547C0D57AC74748561D054A9CEC14B4C4EA23D1BEFD6F2E69E3A388F90C68"
        );
    }

    #[test]
    fn the_aeat_sample_hashes_its_amounts_as_written_and_not_with_added_zeros() {
        let sample = AltaHashFields {
            issuer_nif: "89890001K",
            number: "12345678-G66",
            issue_date: "03-02-2025",
            invoice_type: "R3",
            tax_total: "41.4",
            total: "241.4",
            previous_huella: "C9AF4AF1EF5EBBA700350DE3EEF12C2D355C56AC56F13DB2A25E0031BD2B7ED5",
            generated_at: "2025-02-03T14:30:00+01:00",
        };
        assert_eq!(
            alta_huella(&sample),
            "FF954378B64ED331A9B2366AD317D86E9DEC1716B12DD0ACCB172A6DC4C105AA"
        );
        let padded = AltaHashFields {
            tax_total: "41.40",
            total: "241.40",
            ..sample
        };
        assert_ne!(
            alta_huella(&padded),
            "FF954378B64ED331A9B2366AD317D86E9DEC1716B12DD0ACCB172A6DC4C105AA"
        );
    }

    #[test]
    fn values_are_trimmed_before_hashing() {
        let spaced = AltaHashFields {
            number: "  12345678/G33 ",
            ..vector_1()
        };
        assert_eq!(alta_huella(&spaced), VECTOR_1);
    }

    #[test]
    fn amounts_are_written_with_two_decimals_and_their_sign() {
        assert_eq!(amount_text(12_345), "123.45");
        assert_eq!(amount_text(-1_200), "-12.00");
        assert_eq!(amount_text(5), "0.05");
        assert_eq!(amount_text(-5), "-0.05");
        assert_eq!(amount_text(0), "0.00");
        assert_eq!(amount_text(99_999_999_999_999), "999999999999.99");
    }

    #[test]
    fn the_generation_time_carries_madrid_s_offset_at_that_instant() {
        // 2024-01-01 18:20:30 UTC: winter, CET.
        assert_eq!(
            fecha_hora_huso(1_704_133_230_000),
            "2024-01-01T19:20:30+01:00"
        );
        // 2025-07-15 10:00:00 UTC: summer, CEST.
        assert_eq!(
            fecha_hora_huso(1_752_573_600_000),
            "2025-07-15T12:00:00+02:00"
        );
        // 2025-03-30 01:00:00 UTC: the clocks have just gone forward.
        assert_eq!(
            fecha_hora_huso(1_743_296_400_000),
            "2025-03-30T03:00:00+02:00"
        );
        // 2024-12-31 23:30 UTC is already the new year in Madrid.
        assert_eq!(
            madrid_date(1_735_687_800_000),
            Date {
                year: 2025,
                month: 1,
                day: 1
            }
        );
    }

    fn field_strategy() -> impl Strategy<Value = String> {
        "[!-~]{1,20}"
    }

    proptest! {
        #[test]
        fn changing_any_hashed_field_of_an_alta_changes_its_huella(
            field in 0usize..8,
            replacement in field_strategy(),
        ) {
            let original = vector_1();
            let mut values = [
                original.issuer_nif, original.number, original.issue_date,
                original.invoice_type, original.tax_total, original.total,
                original.previous_huella, original.generated_at,
            ];
            prop_assume!(values[field] != replacement.as_str());
            values[field] = &replacement;
            let changed = AltaHashFields {
                issuer_nif: values[0], number: values[1], issue_date: values[2],
                invoice_type: values[3], tax_total: values[4], total: values[5],
                previous_huella: values[6], generated_at: values[7],
            };
            prop_assert_ne!(alta_huella(&changed), VECTOR_1);
        }

        #[test]
        fn changing_any_hashed_field_of_an_anulacion_changes_its_huella(
            field in 0usize..5,
            replacement in field_strategy(),
        ) {
            let original = ["89890001K", "12345679/G34", "01-01-2024", VECTOR_2, "2024-01-01T19:20:40+01:00"];
            let mut values = original;
            prop_assume!(values[field] != replacement.as_str());
            values[field] = &replacement;
            let hash = |v: [&str; 5]| anulacion_huella(&AnulacionHashFields {
                issuer_nif: v[0], number: v[1], issue_date: v[2], previous_huella: v[3], generated_at: v[4],
            });
            prop_assert_ne!(hash(values), hash(original));
        }

        #[test]
        fn every_huella_is_64_uppercase_hexadecimal_characters(value in ".*") {
            let hash = huella(&[("Campo", &value)]);
            prop_assert_eq!(hash.len(), 64);
            prop_assert!(hash.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)));
        }
    }
}
