//! Repeats of one thing, merged into one history entry.
//!
//! The customer's page reports a presence, a print or a download each time
//! the browser says so, and a script can say so ten thousand times a minute.
//! Kept one row each, that floods the merchant's history, the customer's,
//! and what the edge is sent. So events that come through the same link, of
//! the same kind, with the same verdict (a person's open is never folded
//! into a scanner's fetch) are one entry with a count while they keep coming
//! within [`REPEAT_WINDOW_MS`] of each other on the same UTC day. A person
//! who comes back after a pause, or on another day, makes a new entry: that
//! is a genuine re-open, and counts as one.

use crate::events::{EdgeEvent, EdgeEventKind};

/// How close to an entry an event of the same kind through the same link
/// must be to join it rather than start a new one.
pub const REPEAT_WINDOW_MS: i64 = 30 * 60 * 1000;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest an entry of repeats can span: its events share a UTC day, so
/// an entry that reaches an instant began at most this long before it.
pub const MAX_SPAN_MS: i64 = DAY_MS;

/// What makes two events repeats of one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepeatKey<'a> {
    pub link_id: &'a str,
    pub kind: EdgeEventKind,
    pub automated: bool,
}

impl<'a> RepeatKey<'a> {
    pub fn of(event: &'a EdgeEvent) -> Self {
        Self {
            link_id: &event.link_id,
            kind: event.kind,
            automated: event.automated,
        }
    }
}

/// One history entry of repeated events: when the first and the last came,
/// and how many there were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first_at_ms: i64,
    pub last_at_ms: i64,
    pub count: i64,
}

impl Span {
    pub fn single(at_ms: i64) -> Self {
        Self {
            first_at_ms: at_ms,
            last_at_ms: at_ms,
            count: 1,
        }
    }

    /// Whether an event at `at_ms` (possibly older, from a batch that was
    /// retried late) is a repeat of this entry.
    pub fn takes(&self, at_ms: i64) -> bool {
        at_ms.div_euclid(DAY_MS) == self.first_at_ms.div_euclid(DAY_MS)
            && at_ms >= self.first_at_ms - REPEAT_WINDOW_MS
            && at_ms <= self.last_at_ms + REPEAT_WINDOW_MS
    }

    /// Counts `other` into this entry.
    pub fn absorb(&mut self, other: &Span) {
        self.first_at_ms = self.first_at_ms.min(other.first_at_ms);
        self.last_at_ms = self.last_at_ms.max(other.last_at_ms);
        self.count += other.count;
    }
}

/// Counts an event at `at_ms` into the entry of `entries` (all of one
/// [`RepeatKey`]) that it repeats, or starts a new entry; returns the index
/// of the entry that holds it.
pub fn record(entries: &mut Vec<Span>, at_ms: i64) -> usize {
    match entries.iter().position(|span| span.takes(at_ms)) {
        Some(index) => {
            entries[index].absorb(&Span::single(at_ms));
            index
        }
        None => {
            entries.push(Span::single(at_ms));
            entries.len() - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    /// 2026-11-22 09:00 UTC.
    const MORNING: i64 = 1_795_338_000_000;

    /// The entries events at `times_ms` make, in the order they come.
    fn spans(times_ms: &[i64]) -> Vec<Span> {
        let mut entries = Vec::new();
        for &at_ms in times_ms {
            record(&mut entries, at_ms);
        }
        entries
    }

    #[test]
    fn a_flood_within_the_window_is_one_entry_with_its_count() {
        let flood: Vec<i64> = (0..10_000).map(|n| MORNING + n * 100).collect();
        assert_eq!(
            spans(&flood),
            [Span {
                first_at_ms: MORNING,
                last_at_ms: MORNING + 9_999 * 100,
                count: 10_000
            }]
        );
    }

    #[test]
    fn a_flood_that_keeps_going_stays_one_entry_for_the_day() {
        let steady: Vec<i64> = (0..(10 * 60)).map(|n| MORNING + n * MINUTE).collect();
        assert_eq!(spans(&steady).len(), 1);
    }

    #[test]
    fn a_reopen_after_a_pause_or_on_another_day_is_a_new_entry() {
        let times = [
            MORNING,
            MORNING + 10 * MINUTE,
            MORNING + 10 * MINUTE + REPEAT_WINDOW_MS + 1,
            MORNING + 20 * 60 * MINUTE,
        ];
        let counts: Vec<i64> = spans(&times).iter().map(|span| span.count).collect();
        assert_eq!(counts, [2, 1, 1]);
        // 23:50 and 00:10 are twenty minutes apart but on two days.
        let midnight = MORNING + 15 * 60 * MINUTE;
        assert_eq!(
            spans(&[midnight - 10 * MINUTE, midnight + 10 * MINUTE]).len(),
            2
        );
    }

    #[test]
    fn a_late_event_joins_the_entry_it_falls_next_to() {
        let mut span = Span::single(MORNING);
        assert!(
            span.takes(MORNING - 5 * MINUTE),
            "retried late, happened earlier"
        );
        span.absorb(&Span::single(MORNING - 5 * MINUTE));
        assert_eq!(span.first_at_ms, MORNING - 5 * MINUTE);
        assert_eq!(span.count, 2);
        assert!(!span.takes(MORNING - 5 * MINUTE - REPEAT_WINDOW_MS - 1));
    }

    #[test]
    fn repeats_are_of_one_link_one_kind_and_one_verdict() {
        let event = |link: &str, kind, automated| EdgeEvent {
            id: "e".into(),
            link_id: link.into(),
            kind,
            automated,
            at_ms: MORNING,
            device: crate::events::DeviceClass::Phone,
            browser: "Safari".into(),
            clues: Vec::new(),
        };
        let opened = event("a", EdgeEventKind::Opened, false);
        let key = RepeatKey::of(&opened);
        assert_eq!(
            key,
            RepeatKey::of(&event("a", EdgeEventKind::Opened, false))
        );
        assert_ne!(
            key,
            RepeatKey::of(&event("b", EdgeEventKind::Opened, false))
        );
        assert_ne!(
            key,
            RepeatKey::of(&event("a", EdgeEventKind::Printed, false))
        );
        assert_ne!(key, RepeatKey::of(&event("a", EdgeEventKind::Opened, true)));
    }
}
