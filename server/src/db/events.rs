//! The append-only history of each invoice. Every event has a unique id, so
//! a batch delivered twice is recorded once.

use invoice::events::{EdgeEvent, Recipient};
use invoice::history::{HistoryEvent, LinkEvent, StoredEvent};
use invoice::organisation::OrganisationId;
use invoice::repeats::{self, RepeatKey, Span, MAX_SPAN_MS, REPEAT_WINDOW_MS};
use invoice::tracking::{self, Actor, SAME_MOMENT_MS};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{list_placeholders, random_id, Db};
use crate::error::ServerError;

/// An entry as its row keeps it (`kind`, `detail`, `recipient`,
/// `automated`, `counts_as_open`, `device`, `browser`).
pub fn stored_event(row: &AnyRow) -> Result<StoredEvent, ServerError> {
    Ok(StoredEvent {
        kind: row.try_get("kind")?,
        detail: row.try_get("detail")?,
        recipient: row.try_get("recipient")?,
        automated: row.try_get::<i64, _>("automated")? != 0,
        counts_as_open: row.try_get::<i64, _>("counts_as_open")? != 0,
        device: row.try_get("device")?,
        browser: row.try_get("browser")?,
    })
}

/// Appends an entry to an invoice's history, with the user who asked for it
/// if any, and marks what changed for the admin's live pages and the edge.
pub async fn append(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
    event: &HistoryEvent,
    user_id: Option<i64>,
    at_ms: i64,
) -> Result<(), ServerError> {
    let stored = event.to_stored();
    sqlx::query(
        "INSERT INTO events (id, organisation_id, invoice_id, kind, automated, counts_as_open, recipient, detail, user_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(random_id())
    .bind(organisation.0)
    .bind(invoice_id)
    .bind(stored.kind)
    .bind(i64::from(stored.automated))
    .bind(i64::from(stored.counts_as_open))
    .bind(stored.recipient)
    .bind(stored.detail)
    .bind(user_id)
    .bind(at_ms)
    .execute(&mut **tx)
    .await?;
    invoice_changed(
        tx,
        organisation,
        invoice_id,
        event.changes_what_the_customer_sees(),
    )
    .await
}

/// Tells the organisation's open admin pages that an invoice changed, and
/// marks its customer-visible state for publishing to the edge when the
/// change is one the customer sees.
async fn invoice_changed(
    tx: &mut Transaction<'_, Any>,
    organisation: OrganisationId,
    invoice_id: i64,
    customer_visible: bool,
) -> Result<(), ServerError> {
    if customer_visible {
        // Only invoices sent at least once have a state at the edge; the
        // others would only crowd the publisher's index.
        sqlx::query(
            "UPDATE invoices SET state_version = state_version + 1
             WHERE id = $1 AND EXISTS (SELECT 1 FROM links l WHERE l.invoice_id = $1)",
        )
        .bind(invoice_id)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("UPDATE organisations SET change_version = change_version + 1 WHERE id = $1")
        .bind(organisation.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The organisation's change counter (see [`invoice_changed`]).
pub async fn change_version(db: &Db, organisation: OrganisationId) -> Result<i64, ServerError> {
    Ok(
        sqlx::query("SELECT change_version FROM organisations WHERE id = $1")
            .bind(organisation.0)
            .fetch_one(&db.pool)
            .await?
            .try_get(0)?,
    )
}

/// The owner of a link, as an event of that link is recorded.
struct LinkOwner {
    organisation: i64,
    invoice: i64,
    recipient: Recipient,
    /// Where the link was sent.
    address: String,
    /// When the link was made: the links of one send share it.
    created_at: i64,
    revoked_at: Option<i64>,
}

/// How long a delivered batch is remembered, so that delivering it again
/// changes nothing: beyond the edge's queue retries (a day) and a while for
/// its dead-letter queue to be replayed by hand.
const BATCH_MEMORY_MS: i64 = 30 * 24 * 3_600_000;

/// A history entry of repeated edge events, as stored or about to be.
struct Entry<'a> {
    id: String,
    /// The event that starts a new entry; None for a row already stored.
    first: Option<&'a EdgeEvent>,
    changed: bool,
}

/// Records events forwarded by the edge; returns how many were new. Events
/// of links the server does not know are dropped (and logged): they cannot
/// belong to any organisation. Events of a link that was revoked before
/// they happened are dropped too: a withdrawn link records nothing.
///
/// Repeats (`invoice::repeats`) are merged: an event joins the entry of its
/// link, kind and verdict that it repeats (its count goes up) or starts one.
/// Idempotent twice over: an event whose id is an entry's is already there,
/// and a batch delivered again (same event ids) is recognised by its digest,
/// so the repeats merged into entries are not counted twice.
///
/// A batch costs a fixed number of statements per repeat key (link, kind,
/// verdict) in it, however many events repeat it.
pub async fn ingest(db: &Db, events: &[EdgeEvent]) -> Result<usize, ServerError> {
    if events.is_empty() {
        return Ok(0);
    }
    let now = super::now_ms();
    let mut tx = db.begin_write().await?;
    let first_delivery = sqlx::query(
        "INSERT INTO edge_batches (digest, received_at) VALUES ($1, $2)
         ON CONFLICT (digest) DO NOTHING RETURNING digest",
    )
    .bind(batch_digest(events))
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?
    .is_some();
    if !first_delivery {
        tx.commit().await?;
        return Ok(0);
    }
    sqlx::query("DELETE FROM edge_batches WHERE received_at < $1")
        .bind(now - BATCH_MEMORY_MS)
        .execute(&mut *tx)
        .await?;

    let owners = link_owners(&mut tx, events).await?;
    let mut unique: HashSet<&str> = HashSet::new();
    let mut revoked = 0_usize;
    let candidates: Vec<&EdgeEvent> = events
        .iter()
        .filter(|event| unique.insert(event.id.as_str()))
        .filter(|event| match owners.get(&event.link_id) {
            None => {
                tracing::warn!(link = %event.link_id, "event for an unknown link dropped");
                false
            }
            Some(owner) if owner.revoked_at.is_some_and(|at| at <= event.at_ms) => {
                revoked += 1;
                false
            }
            Some(_) => true,
        })
        .collect();
    if revoked > 0 {
        tracing::info!(revoked, "events of revoked links dropped");
    }
    let stored = stored_ids(&mut tx, &candidates).await?;
    let fresh: Vec<&EdgeEvent> = candidates
        .into_iter()
        .filter(|event| !stored.contains(&event.id))
        .collect();
    let judged = judge_by_the_clock(&mut tx, &owners, &fresh).await?;
    let mut groups: BTreeMap<RepeatKey<'_>, Vec<&EdgeEvent>> = BTreeMap::new();
    for event in &judged {
        groups.entry(RepeatKey::of(event)).or_default().push(event);
    }

    let mut recorded = 0;
    // Per invoice that gained events: whether the customer sees any of them.
    let mut changed: BTreeMap<(i64, i64), bool> = BTreeMap::new();
    for (key, group) in groups {
        let Some(owner) = owners.get(key.link_id) else {
            continue;
        };
        merge_repeats(&mut tx, key, &group, owner).await?;
        recorded += group.len();
        let visible = key_event(key, owner, group[0]).changes_what_the_customer_sees();
        *changed
            .entry((owner.organisation, owner.invoice))
            .or_default() |= visible;
    }
    for ((organisation, invoice), customer_visible) in changed {
        invoice_changed(
            &mut tx,
            OrganisationId(organisation),
            invoice,
            customer_visible,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(recorded)
}

/// What identifies a delivery of a batch: its event ids, in any order.
fn batch_digest(events: &[EdgeEvent]) -> String {
    let ids: BTreeSet<&str> = events.iter().map(|event| event.id.as_str()).collect();
    let mut digest = Sha256::new();
    for id in ids {
        digest.update(id.as_bytes());
        digest.update(b"\n");
    }
    digest
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Which of these events are already the first event of a stored entry.
async fn stored_ids(
    tx: &mut Transaction<'_, Any>,
    events: &[&EdgeEvent],
) -> Result<HashSet<String>, ServerError> {
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let placeholders = list_placeholders(1, events.len());
    let sql = format!("SELECT id FROM events WHERE id IN ({})", placeholders);
    let mut lookup = sqlx::query(&sql);
    for event in events {
        lookup = lookup.bind(event.id.clone());
    }
    lookup
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok(row.try_get::<String, _>(0)?))
        .collect()
}

/// Counts a group of events of one repeat key into the stored entries they
/// repeat, and stores the entries they start.
async fn merge_repeats(
    tx: &mut Transaction<'_, Any>,
    key: RepeatKey<'_>,
    group: &[&EdgeEvent],
    owner: &LinkOwner,
) -> Result<(), ServerError> {
    let earliest = group.iter().map(|event| event.at_ms).min().unwrap_or(0);
    let latest = group.iter().map(|event| event.at_ms).max().unwrap_or(0);
    let nearby = sqlx::query(
        "SELECT id, at, COALESCE(last_at, at) AS last_at, repeat_count FROM events
         WHERE link_id = $1 AND kind = $2 AND automated = $3
           AND at <= $4 AND COALESCE(last_at, at) >= $5
         ORDER BY at",
    )
    .bind(key.link_id.to_owned())
    .bind(key.kind.as_str())
    .bind(i64::from(key.automated))
    .bind(latest + REPEAT_WINDOW_MS)
    .bind(earliest - REPEAT_WINDOW_MS)
    .fetch_all(&mut **tx)
    .await?;
    let mut spans: Vec<Span> = Vec::with_capacity(nearby.len() + 1);
    let mut entries: Vec<Entry<'_>> = Vec::with_capacity(nearby.len() + 1);
    for row in &nearby {
        spans.push(Span {
            first_at_ms: row.try_get("at")?,
            last_at_ms: row.try_get("last_at")?,
            count: row.try_get("repeat_count")?,
        });
        entries.push(Entry {
            id: row.try_get("id")?,
            first: None,
            changed: false,
        });
    }
    let mut in_order = group.to_vec();
    in_order.sort_by_key(|event| event.at_ms);
    for event in in_order {
        let index = repeats::record(&mut spans, event.at_ms);
        if index == entries.len() {
            entries.push(Entry {
                id: event.id.clone(),
                first: Some(event),
                changed: true,
            });
        } else {
            entries[index].changed = true;
        }
    }
    for (entry, span) in entries.iter().zip(&spans) {
        if !entry.changed {
            continue;
        }
        match entry.first {
            Some(event) => {
                let stored = key_event(key, owner, event).to_stored();
                sqlx::query(
                    "INSERT INTO events (id, organisation_id, invoice_id, link_id, kind, automated, counts_as_open, recipient, device, browser, at, last_at, repeat_count, detail)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(entry.id.clone())
                .bind(owner.organisation)
                .bind(owner.invoice)
                .bind(key.link_id.to_owned())
                .bind(stored.kind)
                .bind(i64::from(stored.automated))
                .bind(i64::from(stored.counts_as_open))
                .bind(stored.recipient)
                .bind(stored.device)
                .bind(stored.browser)
                .bind(span.first_at_ms)
                .bind(span.last_at_ms)
                .bind(span.count)
                .bind(stored.detail)
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE events SET at = $1, last_at = $2, repeat_count = $3 WHERE id = $4",
                )
                .bind(span.first_at_ms)
                .bind(span.last_at_ms)
                .bind(span.count)
                .bind(entry.id.clone())
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// The history entry an edge event of a repeat key makes.
fn key_event(key: RepeatKey<'_>, owner: &LinkOwner, event: &EdgeEvent) -> HistoryEvent {
    HistoryEvent::Link(LinkEvent {
        kind: key.kind,
        recipient: owner.recipient,
        automated: key.automated,
        device: event.device,
        browser: event.browser.clone(),
        // A person's visit keeps no reasons: what it showed was not enough.
        reasons: if key.automated {
            event.clues.clone()
        } else {
            Vec::new()
        },
        copy_to: (owner.recipient == Recipient::Copy).then(|| owner.address.clone()),
    })
}

/// The batch's new events with what the clock adds to the edge's clues: how
/// soon after the latest email of its link each came, and whether other
/// recipients' links of the same send were visited at the same moment
/// (`invoice::tracking::timing_clues`). Judged again on all their clues; an
/// edge's automated verdict stays.
async fn judge_by_the_clock(
    tx: &mut Transaction<'_, Any>,
    owners: &HashMap<String, LinkOwner>,
    events: &[&EdgeEvent],
) -> Result<Vec<EdgeEvent>, ServerError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let link_ids: BTreeSet<&str> = events.iter().map(|event| event.link_id.as_str()).collect();
    let sent = sent_times(tx, &link_ids).await?;
    let siblings = send_siblings(tx, owners).await?;
    let sibling_ids: BTreeSet<&str> = siblings.values().flatten().map(String::as_str).collect();
    let earliest = events.iter().map(|event| event.at_ms).min().unwrap_or(0);
    let latest = events.iter().map(|event| event.at_ms).max().unwrap_or(0);
    let mut visits = sibling_visits(tx, &sibling_ids, earliest, latest).await?;
    visits.extend(
        events
            .iter()
            .map(|event| (event.link_id.clone(), event.at_ms, event.at_ms)),
    );
    Ok(events
        .iter()
        .map(|event| {
            let sent_at = sent
                .get(&event.link_id)
                .and_then(|times| times.iter().copied().filter(|at| *at <= event.at_ms).max());
            let others = siblings.get(&event.link_id).map_or(0, |siblings| {
                tracking::recipients_in_step(
                    event.at_ms,
                    visits
                        .iter()
                        .filter(|(link, _, _)| siblings.contains(link))
                        .map(|(link, first, last)| (link.as_str(), *first, *last)),
                )
            });
            let mut judged = (*event).clone();
            judged
                .clues
                .extend(tracking::timing_clues(event.at_ms, sent_at, others));
            judged.automated =
                event.automated || tracking::verdict(&judged.clues) == Actor::Automated;
            judged
        })
        .collect())
}

/// When the emails carrying each link were sent.
async fn sent_times(
    tx: &mut Transaction<'_, Any>,
    link_ids: &BTreeSet<&str>,
) -> Result<HashMap<String, Vec<i64>>, ServerError> {
    let placeholders = list_placeholders(1, link_ids.len());
    let sql = format!(
        "SELECT link_id, sent_at FROM outbox WHERE sent_at IS NOT NULL AND link_id IN ({})",
        placeholders
    );
    let mut lookup = sqlx::query(&sql);
    for link_id in link_ids {
        lookup = lookup.bind(link_id.to_string());
    }
    let mut sent: HashMap<String, Vec<i64>> = HashMap::new();
    for row in lookup.fetch_all(&mut **tx).await? {
        sent.entry(row.try_get("link_id")?)
            .or_default()
            .push(row.try_get("sent_at")?);
    }
    Ok(sent)
}

/// For each link of the batch, the other links made by the same send (for
/// the customer and the copies), which share the link's creation time.
async fn send_siblings(
    tx: &mut Transaction<'_, Any>,
    owners: &HashMap<String, LinkOwner>,
) -> Result<HashMap<String, Vec<String>>, ServerError> {
    let invoices: BTreeSet<i64> = owners.values().map(|owner| owner.invoice).collect();
    if invoices.is_empty() {
        return Ok(HashMap::new());
    }
    let placeholders = list_placeholders(1, invoices.len());
    let sql = format!(
        "SELECT id, invoice_id, created_at FROM links WHERE invoice_id IN ({})",
        placeholders
    );
    let mut lookup = sqlx::query(&sql);
    for invoice in &invoices {
        lookup = lookup.bind(*invoice);
    }
    let mut by_send: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    for row in lookup.fetch_all(&mut **tx).await? {
        by_send
            .entry((row.try_get("invoice_id")?, row.try_get("created_at")?))
            .or_default()
            .push(row.try_get("id")?);
    }
    Ok(owners
        .iter()
        .map(|(link_id, owner)| {
            let others = by_send
                .get(&(owner.invoice, owner.created_at))
                .map(|links| links.iter().filter(|id| *id != link_id).cloned().collect())
                .unwrap_or_default();
            (link_id.clone(), others)
        })
        .collect())
}

/// The stored visits (first and last time of each entry) to these links
/// that reach within [`SAME_MOMENT_MS`] of the span of the batch.
async fn sibling_visits(
    tx: &mut Transaction<'_, Any>,
    link_ids: &BTreeSet<&str>,
    earliest: i64,
    latest: i64,
) -> Result<Vec<(String, i64, i64)>, ServerError> {
    if link_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = list_placeholders(4, link_ids.len());
    let sql = format!(
        "SELECT link_id, at, COALESCE(last_at, at) AS last_at FROM events
         WHERE at <= $1 AND at >= $3 AND COALESCE(last_at, at) >= $2 AND link_id IN ({})",
        placeholders
    );
    let mut lookup = sqlx::query(&sql)
        .bind(latest + SAME_MOMENT_MS)
        .bind(earliest - SAME_MOMENT_MS)
        // No entry spans more than a day: the bound lets the index skip the rest.
        .bind(earliest - SAME_MOMENT_MS - MAX_SPAN_MS);
    for link_id in link_ids {
        lookup = lookup.bind(link_id.to_string());
    }
    lookup
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("link_id")?,
                row.try_get("at")?,
                row.try_get("last_at")?,
            ))
        })
        .collect()
}

/// The owners of the links a batch's events came through, by link id.
async fn link_owners(
    tx: &mut Transaction<'_, Any>,
    events: &[EdgeEvent],
) -> Result<HashMap<String, LinkOwner>, ServerError> {
    let link_ids: BTreeSet<&str> = events.iter().map(|event| event.link_id.as_str()).collect();
    let placeholders = list_placeholders(1, link_ids.len());
    let sql = format!(
        "SELECT id, organisation_id, invoice_id, recipient, email, created_at, revoked_at FROM links WHERE id IN ({})",
        placeholders
    );
    let mut lookup = sqlx::query(&sql);
    for link_id in link_ids {
        lookup = lookup.bind(link_id.to_owned());
    }
    lookup
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                LinkOwner {
                    organisation: row.try_get("organisation_id")?,
                    invoice: row.try_get("invoice_id")?,
                    recipient: Recipient::parse(&row.try_get::<String, _>("recipient")?)
                        .ok_or_else(|| ServerError::Corrupt("a link's recipient".into()))?,
                    address: row.try_get("email")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                },
            ))
        })
        .collect()
}
