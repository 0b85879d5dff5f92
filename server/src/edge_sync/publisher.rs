//! Publishing to the edge: each issued invoice's frozen document, PDF and
//! links, and afterwards its changing state, as soon as it changes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use app::api::LinkRow;
use base64::Engine;
use invoice::document::DocumentLayout;
use invoice::events::{Publication, PublishedLink, Recipient, StatePublication};
use invoice::organisation::OrganisationId;

use crate::db::{edge_state, invoices, links, now_ms};
use crate::error::ServerError;
use crate::services::Services;

/// How often changed invoice states are looked for.
const EDGE_SYNC_POLL: Duration = Duration::from_secs(1);

/// Runs for the life of the process: publishes changed invoice states to the
/// edge as soon as they change, and at least every second.
pub async fn run_edge_sync(services: Arc<Services>) {
    loop {
        if let Err(error) = services.publish_changed_states().await {
            tracing::error!(%error, "publishing invoice states failed; trying again shortly");
        }
        tokio::select! {
            () = services.edge_wake.notified() => {}
            () = tokio::time::sleep(EDGE_SYNC_POLL) => {}
        }
    }
}

/// A publication and what it was read at, to record once the edge has it.
struct PublicationRead {
    publication: Publication,
    settled: invoice::pdf::Settlement,
    state_version: i64,
}

/// The links as the edge keeps them.
fn published_links(links: &[LinkRow]) -> Vec<PublishedLink> {
    links
        .iter()
        .map(|link| PublishedLink {
            link_id: link.id.clone(),
            recipient: Recipient::parse(&link.recipient).unwrap_or(Recipient::Customer),
            revoked: link.revoked_at_ms.is_some(),
        })
        .collect()
}

/// One publication of an invoice at a time from this process. The emails
/// of a send, delivered side by side, each find their link unpublished: one
/// of them publishes the invoice (all its links at once) and the others wait
/// for it instead of publishing it again.
#[derive(Default)]
pub struct PublishGate {
    slots: Mutex<HashMap<i64, Arc<Slot>>>,
}

#[derive(Default)]
struct Slot {
    turn: tokio::sync::Mutex<()>,
    /// Attempts that failed: one who waited for a failed attempt does not
    /// try again at once.
    failures: AtomicU64,
}

/// An invoice's slot, held while publishing or waiting to; the last holder
/// removes it.
struct SlotLease<'a> {
    gate: &'a PublishGate,
    invoice_id: i64,
    slot: Arc<Slot>,
}

impl PublishGate {
    fn lease(&self, invoice_id: i64) -> SlotLease<'_> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = slots.entry(invoice_id).or_default().clone();
        SlotLease {
            gate: self,
            invoice_id,
            slot,
        }
    }
}

impl Drop for SlotLease<'_> {
    fn drop(&mut self) {
        let mut slots = self
            .gate
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The map's and this lease's: no one else holds or waits.
        if Arc::strong_count(&self.slot) == 2 {
            slots.remove(&self.invoice_id);
        }
    }
}

impl Services {
    /// Tells the edge at once, when it answers; otherwise the publisher
    /// catches up, and the merchant's change stands either way.
    pub(crate) async fn publish_now(&self, organisation: OrganisationId, invoice_id: i64) {
        if let Err(error) = self.publish_state(organisation, invoice_id).await {
            tracing::warn!(invoice_id, %error, "the edge will hear of this change later");
            self.edge_wake.notify_one();
        }
    }

    /// Publishes the invoice of an email whose link the edge does not have
    /// yet, once for all the emails of its send (see [`PublishGate`]). An
    /// email that waited for another's attempt, which failed, does not try
    /// again: like it, it goes unpublished, and the edge asks for the link
    /// when the customer opens it.
    pub(crate) async fn publish_for_link(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
        link_id: &str,
    ) -> Result<(), ServerError> {
        let lease = self.publishing.lease(invoice_id);
        let failures = lease.slot.failures.load(Ordering::Relaxed);
        let _turn = lease.slot.turn.lock().await;
        if links::is_published(&self.db, link_id).await? {
            return Ok(());
        }
        if lease.slot.failures.load(Ordering::Relaxed) != failures {
            return Err(ServerError::Publish(
                "publishing this invoice failed moments ago".into(),
            ));
        }
        let published = self.publish_invoice(organisation, invoice_id).await;
        if published.is_err() {
            lease.slot.failures.fetch_add(1, Ordering::Relaxed);
        }
        published
    }

    /// Hands the edge the invoice's frozen document, its PDF and every link
    /// it was sent with (revoked ones marked), replacing what it had.
    pub async fn publish_invoice(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
    ) -> Result<(), ServerError> {
        let publication = self.publication(organisation, invoice_id).await?;
        self.edge.publish(&publication.publication).await?;
        self.published(invoice_id, &publication).await
    }

    /// What the edge asks for when a link is not in its KV (lost, or never
    /// published because the edge was down): the publication of the link's
    /// invoice, or None for a link the server does not know.
    pub async fn publication_for_link(
        &self,
        link_id: &str,
    ) -> Result<Option<Publication>, ServerError> {
        let Some((organisation, invoice_id)) = links::invoice_of(&self.db, link_id).await? else {
            return Ok(None);
        };
        let publication = self.publication(organisation, invoice_id).await?;
        self.published(invoice_id, &publication).await?;
        Ok(Some(publication.publication))
    }

    async fn publication(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
    ) -> Result<PublicationRead, ServerError> {
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        let document = invoice.document.clone().ok_or(ServerError::NotFound)?;
        let links = links::for_invoice(&self.db, organisation, invoice_id).await?;
        let (state, state_version) = edge_state::read(&self.db, organisation, invoice_id).await?;
        let pdf = self
            .render_pdf(document.clone(), invoice.settlement(), DocumentLayout::A4)
            .await?;
        Ok(PublicationRead {
            publication: Publication {
                invoice_key: invoice.edge_key.clone(),
                document,
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
                links: published_links(&links),
                state,
            },
            settled: invoice.settlement(),
            state_version,
        })
    }

    /// Records what the edge now has.
    async fn published(
        &self,
        invoice_id: i64,
        publication: &PublicationRead,
    ) -> Result<(), ServerError> {
        let ids: Vec<String> = publication
            .publication
            .links
            .iter()
            .map(|link| link.link_id.clone())
            .collect();
        links::mark_published(&self.db, invoice_id, &ids, now_ms()).await?;
        edge_state::mark_pdf_published(&self.db, invoice_id, publication.settled).await?;
        edge_state::mark_published(&self.db, invoice_id, publication.state_version).await
    }

    /// Hands the edge an invoice's changed state: status, payments, the
    /// customer's history, revoked links.
    async fn publish_state(
        &self,
        organisation: OrganisationId,
        invoice_id: i64,
    ) -> Result<(), ServerError> {
        let invoice = invoices::get(&self.db, organisation, invoice_id).await?;
        if edge_state::pdf_settlement(&self.db, invoice_id).await? != Some(invoice.settlement()) {
            // The PDF shows what is paid and credited: after a payment or a
            // credit note it is rendered again.
            return self.publish_invoice(organisation, invoice_id).await;
        }
        let links = links::for_invoice(&self.db, organisation, invoice_id).await?;
        let (state, version) = edge_state::read(&self.db, organisation, invoice_id).await?;
        self.edge
            .publish_state(&StatePublication {
                invoice_key: invoice.edge_key,
                links: published_links(&links),
                state,
            })
            .await?;
        edge_state::mark_published(&self.db, invoice_id, version).await
    }

    /// Publishes every state that changed since the edge last had it;
    /// returns how many were published. An invoice whose publication fails,
    /// whatever the reason (the edge down, or refusing this one), backs off
    /// on its own (`edge_state::mark_failed`) and the round goes on with the
    /// others, so one invoice never holds back another organisation's
    /// payments, voids and revocations. The reason is logged once per
    /// failure streak; the state is read afresh at the next try.
    pub async fn publish_changed_states(&self) -> Result<usize, ServerError> {
        self.publish_changed_states_at(now_ms()).await
    }

    /// [`Self::publish_changed_states`] as if the clock read `now_ms`:
    /// invoices whose backoff ends by then are tried again.
    pub async fn publish_changed_states_at(&self, now_ms: i64) -> Result<usize, ServerError> {
        let mut published = 0;
        for (organisation, invoice_id) in edge_state::changed(&self.db, now_ms, 100).await? {
            match self.publish_state(organisation, invoice_id).await {
                Ok(()) => published += 1,
                Err(error) => {
                    let failures = edge_state::mark_failed(&self.db, invoice_id, now_ms).await?;
                    if failures == 1 {
                        tracing::warn!(
                            invoice_id,
                            %error,
                            "publishing an invoice's state failed; it backs off while the others go on"
                        );
                    } else {
                        tracing::debug!(invoice_id, failures, "an invoice's state failed again");
                    }
                }
            }
        }
        Ok(published)
    }
}
