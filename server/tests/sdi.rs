//! The legal invoice through SdI by PEC, on both engines, against a real
//! Dovecot (`support::dovecot`) and the SMTP sink: a FatturaPA file leaves
//! through the outbox from the store's PEC mailbox to SdI's address, once;
//! SdI's receipts (RC, NS, MC, DT), appended to the mailbox in their PEC
//! envelopes, reach the history of their invoice once each; a receipt that
//! matches nothing is kept for the owner; a mailbox that refuses its
//! password is reported and stops no other store.

mod support;

use app::api::AdminBackend;
use invoice::events::PublicEventKind;
use invoice::fatturapa::samples::{company, document, line, seller};
use invoice::fatturapa::FatturaPa;
use invoice::history::HistoryEvent;
use invoice::pec::PecMailboxInput;
use invoice::sdi::samples::{delivered, message_file_name, not_delivered, rejected, terms_elapsed};
use invoice::sdi::SdiEvent;
use invoice::status::{InvoiceStatus, Lifecycle, MerchantStatus};
use invoice::Language;
use server::db::now_ms;
use server::sdi::queue_transmission;
use support::dovecot::{pec_envelope, Dovecot};
use support::{databases, deliver, sign_up, World};

const PEC_USER: &str = "bottega@pec.example.it";
const PEC_PASSWORD: &str = "s3cret-pec";

fn mailbox(world: &World, dovecot: &Dovecot, password: &str) -> PecMailboxInput {
    PecMailboxInput {
        pec_address: PEC_USER.into(),
        smtp_url: format!("smtp://127.0.0.1:{}", world.sink.port),
        imap_host: "127.0.0.1".into(),
        imap_port: dovecot.port.to_string(),
        username: PEC_USER.into(),
        password: password.into(),
    }
}

/// Gives the world's store its PEC mailbox on a throw-away Dovecot.
async fn with_mailbox(world: &World) -> Dovecot {
    let dovecot = Dovecot::start(&[(PEC_USER, PEC_PASSWORD)]).await;
    world
        .services
        .save_pec_mailbox(
            world.user(),
            world.merchant.store_id,
            mailbox(world, &dovecot, PEC_PASSWORD),
        )
        .await
        .expect("mailbox saved");
    dovecot
}

/// A FatturaPA file of the sample seller with its progressive.
fn fattura(progressive: &str) -> (String, String) {
    let standard = document("FPR 1/26", vec![line("Consulenza", 1_000, 10_000, 2_200)]);
    let xml = FatturaPa {
        document: &standard,
        seller: seller(),
        buyer: company(),
        legal_reference: None,
        progressive: progressive.into(),
    }
    .to_xml()
    .expect("a FatturaPA file");
    (format!("IT06363391001_{progressive}.xml"), xml)
}

/// Queues the file of `invoice_id` for SdI, in a transaction of its own.
async fn transmit(world: &World, invoice_id: i64, progressive: &str) -> (i64, String) {
    let (file_name, xml) = fattura(progressive);
    let mut tx = world.db.begin_write().await.expect("transaction");
    let transmission = queue_transmission(
        &mut tx,
        world.user().organisation,
        world.merchant.store_id,
        invoice_id,
        &file_name,
        &xml,
        now_ms(),
    )
    .await
    .expect("queued");
    tx.commit().await.expect("committed");
    (transmission, file_name)
}

async fn sdi_history(world: &World, invoice_id: i64) -> Vec<SdiEvent> {
    world
        .services
        .get_invoice(world.user(), invoice_id)
        .await
        .expect("invoice")
        .history
        .into_iter()
        .filter_map(|entry| match entry.event {
            HistoryEvent::Sdi(sdi) => Some(sdi),
            _ => None,
        })
        .collect()
}

fn kinds(events: &[SdiEvent]) -> Vec<&'static str> {
    events.iter().map(SdiEvent::kind).collect()
}

#[tokio::test]
async fn the_file_goes_to_sdi_once_and_each_receipt_reaches_its_invoices_history_once() {
    for db in databases().await {
        let world = World::new(db).await;
        let dovecot = with_mailbox(&world).await;

        // Transmitted once, however often it is queued.
        let delivered_invoice = world.issued().await;
        let (first, file) = transmit(&world, delivered_invoice, "00001").await;
        let (again, _) = transmit(&world, delivered_invoice, "00001").await;
        assert_eq!(first, again);
        deliver(&world.services).await;
        let to_sdi = world.sink.received_by("sdi01@pec.fatturapa.it");
        assert_eq!(to_sdi.len(), 1);
        assert_eq!(
            to_sdi[0].mailbox("From").map(|(_, address)| address),
            Some(PEC_USER.to_owned())
        );
        let attachments = to_sdi[0].attachments();
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0].0, file);
        assert_eq!(attachments[0].1, "application/xml");
        assert_eq!(
            kinds(&sdi_history(&world, delivered_invoice).await),
            ["sdi_transmitted"]
        );

        // One invoice per receipt: rejected, not delivered, terms elapsed.
        let rejected_invoice = world.issued().await;
        let (_, rejected_file) = transmit(&world, rejected_invoice, "00002").await;
        let undelivered_invoice = world.issued().await;
        let (_, undelivered_file) = transmit(&world, undelivered_invoice, "00003").await;
        let public_invoice = world.issued().await;
        let (_, public_file) = transmit(&world, public_invoice, "00004").await;
        deliver(&world.services).await;

        // The courtesy copies: the customer's page shows what SdI did.
        world.send(delivered_invoice, "courtesy-delivered").await;
        deliver(&world.services).await;
        let delivered_key = world.edge.publications()[0].invoice_key.clone();
        world.send(rejected_invoice, "courtesy-rejected").await;
        deliver(&world.services).await;
        let rejected_key = world
            .edge
            .publications()
            .into_iter()
            .map(|publication| publication.invoice_key)
            .find(|key| *key != delivered_key)
            .expect("the rejected invoice's publication");

        let receipts = [
            (
                delivered(&file, "4001"),
                message_file_name(&file, "RC", "001"),
            ),
            (
                rejected(
                    &rejected_file,
                    "4002",
                    &[
                        ("00404", "Fattura duplicata"),
                        ("00200", "File non conforme al formato"),
                    ],
                ),
                message_file_name(&rejected_file, "NS", "001"),
            ),
            (
                not_delivered(&undelivered_file, "4003"),
                message_file_name(&undelivered_file, "MC", "001"),
            ),
            (
                terms_elapsed(&public_file, "4004"),
                message_file_name(&public_file, "DT", "001"),
            ),
            // Matches no transmission: kept for the owner.
            (
                delivered("IT06363391001_99999.xml", "4999"),
                message_file_name("IT06363391001_99999.xml", "RC", "001"),
            ),
        ];
        for (xml, name) in &receipts {
            dovecot
                .append(PEC_USER, PEC_PASSWORD, &pec_envelope(name, xml))
                .await;
        }
        // A message that is not SdI's stays as the merchant left it.
        dovecot
            .append(PEC_USER, PEC_PASSWORD, b"From: a@example.it\r\nTo: bottega@pec.example.it\r\nSubject: hello\r\n\r\nciao\r\n")
            .await;
        let outcomes = world.services.read_mailboxes(now_ms()).await.expect("read");
        assert_eq!(outcomes.len(), 1);
        let read = outcomes[0].1.clone().expect("the mailbox was read");
        assert_eq!((read.matched, read.unmatched, read.again), (4, 1, 0));
        assert_eq!(
            dovecot.unseen(PEC_USER, PEC_PASSWORD).await,
            1,
            "only the message that is not SdI's is unread"
        );

        assert_eq!(
            kinds(&sdi_history(&world, delivered_invoice).await),
            ["sdi_transmitted", "sdi_delivered"]
        );
        let rejection = sdi_history(&world, rejected_invoice).await;
        assert_eq!(kinds(&rejection), ["sdi_transmitted", "sdi_rejected"]);
        let text = rejection[1].merchant_text(Language::En);
        assert!(text.starts_with("Rejected by SdI: the invoice is not issued. 00404 Fattura duplicata — SdI already accepted"), "{text}");
        assert!(
            text.ends_with("00200 File non conforme al formato"),
            "{text}"
        );
        assert_eq!(
            kinds(&sdi_history(&world, undelivered_invoice).await),
            ["sdi_transmitted", "sdi_not_delivered"]
        );
        assert_eq!(
            kinds(&sdi_history(&world, public_invoice).await),
            ["sdi_transmitted", "sdi_terms_elapsed"]
        );
        world
            .services
            .publish_changed_states()
            .await
            .expect("published");
        let customer_sees = |key: &str| {
            world
                .edge
                .latest_state(key)
                .expect("a state")
                .history
                .into_iter()
                .filter(|event| matches!(event.kind, PublicEventKind::ElectronicInvoice { .. }))
                .map(|event| event.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            customer_sees(&delivered_key),
            [PublicEventKind::ElectronicInvoice { delivered: true }]
        );
        assert_eq!(
            customer_sees(&rejected_key),
            [],
            "a rejection is the merchant's alone"
        );

        let unmatched = world
            .services
            .unmatched_receipts(world.user())
            .await
            .expect("unmatched");
        assert_eq!(unmatched.len(), 1);
        assert_eq!(unmatched[0].invoice_file, "IT06363391001_99999.xml");
        assert_eq!(unmatched[0].sdi_id, "4999");

        // The same receipt delivered twice is one entry; it is marked read all the same.
        let (xml, name) = &receipts[0];
        dovecot
            .append(PEC_USER, PEC_PASSWORD, &pec_envelope(name, xml))
            .await;
        let outcomes = world
            .services
            .read_mailboxes(now_ms() + 61_000)
            .await
            .expect("read");
        let read = outcomes[0].1.clone().expect("the mailbox was read");
        assert_eq!((read.matched, read.unmatched, read.again), (0, 0, 1));
        assert_eq!(
            kinds(&sdi_history(&world, delivered_invoice).await),
            ["sdi_transmitted", "sdi_delivered"]
        );
        assert_eq!(dovecot.unseen(PEC_USER, PEC_PASSWORD).await, 1);

        // The owner puts the unmatched receipt in an invoice's history, by
        // the number the admin shows; a number the organisation does not
        // have is not found.
        let number = world
            .services
            .get_invoice(world.user(), public_invoice)
            .await
            .expect("invoice")
            .number
            .expect("issued");
        let services = world.services.as_ref();
        assert!(matches!(
            app::routes::pec::ssr::PecBackend::assign_unmatched(
                services,
                world.user(),
                unmatched[0].id,
                "NOPE-1"
            )
            .await,
            Err(app::api::AdminError::NotFound)
        ));
        app::routes::pec::ssr::PecBackend::assign_unmatched(
            services,
            world.user(),
            unmatched[0].id,
            &number,
        )
        .await
        .expect("assigned");
        assert!(world
            .services
            .unmatched_receipts(world.user())
            .await
            .expect("unmatched")
            .is_empty());
        assert_eq!(
            kinds(&sdi_history(&world, public_invoice).await),
            ["sdi_transmitted", "sdi_terms_elapsed", "sdi_delivered"]
        );
    }
}

#[tokio::test]
async fn a_mailbox_that_refuses_its_password_is_reported_and_another_stores_is_still_read() {
    for db in databases().await {
        let world = World::new(db).await;
        let other = sign_up(&world.services, "owner@ferramenta.it", "luca@example.it").await;
        let dovecot = Dovecot::start(&[
            (PEC_USER, PEC_PASSWORD),
            ("ferramenta@pec.example.it", "right"),
        ])
        .await;
        world
            .services
            .save_pec_mailbox(
                world.user(),
                world.merchant.store_id,
                mailbox(&world, &dovecot, PEC_PASSWORD),
            )
            .await
            .expect("mailbox saved");
        let mut wrong = mailbox(&world, &dovecot, "wrong");
        wrong.pec_address = "ferramenta@pec.example.it".into();
        wrong.username = "ferramenta@pec.example.it".into();
        world
            .services
            .save_pec_mailbox(&other.owner, other.store_id, wrong)
            .await
            .expect("mailbox saved");

        let invoice = world.issued().await;
        let (_, file) = transmit(&world, invoice, "00001").await;
        dovecot
            .append(
                PEC_USER,
                PEC_PASSWORD,
                &pec_envelope(
                    &message_file_name(&file, "RC", "001"),
                    &delivered(&file, "5001"),
                ),
            )
            .await;

        let now = now_ms();
        let outcomes = world.services.read_mailboxes(now).await.expect("read");
        assert_eq!(outcomes.len(), 2);
        let mine = outcomes
            .iter()
            .find(|(store, _)| *store == world.merchant.store_id)
            .expect("mine");
        assert_eq!(mine.1.as_ref().map(|read| read.matched), Ok(1));
        let theirs = outcomes
            .iter()
            .find(|(store, _)| *store == other.store_id)
            .expect("theirs");
        let error = theirs.1.clone().expect_err("refused");
        assert!(
            error.starts_with("the server refused the user name or password"),
            "{error}"
        );
        assert_eq!(
            kinds(&sdi_history(&world, invoice).await),
            ["sdi_delivered"]
        );

        let view = world
            .services
            .pec_mailbox(&other.owner, other.store_id)
            .await
            .expect("view")
            .expect("a mailbox");
        assert_eq!(view.last_error.as_deref(), Some(error.as_str()));
        assert_eq!(view.failing_since, Some(now));
        assert!(view.has_password);
        // Never another organisation's mailbox.
        assert_eq!(
            world
                .services
                .pec_mailbox(world.user(), other.store_id)
                .await
                .expect("view"),
            None
        );

        // Backed off alone: not due again before 30 s, then tried again.
        let outcomes = world
            .services
            .read_mailboxes(now + 29_000)
            .await
            .expect("read");
        assert!(outcomes.is_empty(), "{outcomes:?}");
        let outcomes = world
            .services
            .read_mailboxes(now + 30_000)
            .await
            .expect("read");
        assert_eq!(
            outcomes.iter().map(|(store, _)| *store).collect::<Vec<_>>(),
            [other.store_id]
        );
        let view = world
            .services
            .pec_mailbox(&other.owner, other.store_id)
            .await
            .expect("view")
            .expect("a mailbox");
        assert_eq!(
            view.failing_since,
            Some(now),
            "failing since the first failure"
        );
    }
}

#[tokio::test]
async fn the_mailbox_form_never_returns_the_password_and_refuses_with_each_fields_reason() {
    use app::routes::pec::ssr::PecBackend;
    for db in databases().await {
        let world = World::new(db).await;
        let store = world.merchant.store_id;
        let services = world.services.as_ref();
        let refused = PecBackend::save_mailbox_form(
            services,
            world.user(),
            store,
            PecMailboxInput {
                pec_address: "bottega".into(),
                smtp_url: "smtp://smtp.pec.example.it:25".into(),
                imap_host: "imaps.pec.example.it".into(),
                imap_port: "993".into(),
                username: PEC_USER.into(),
                password: String::new(),
            },
        )
        .await
        .expect("answered");
        // The owner signed up in Italian.
        assert_eq!(
            refused,
            vec![
                (
                    "pec_address".to_owned(),
                    "Non è un indirizzo PEC valido.".to_owned()
                ),
                (
                    "smtp_url".to_owned(),
                    "Il collegamento deve essere cifrato (TLS): la password non viaggia in chiaro."
                        .to_owned()
                ),
                (
                    "password".to_owned(),
                    "Inserisci la password della casella PEC.".to_owned()
                ),
            ]
        );
        assert_eq!(
            PecBackend::mailbox_form(services, world.user(), store)
                .await
                .expect("view"),
            None
        );

        let form = PecMailboxInput {
            pec_address: PEC_USER.into(),
            smtp_url: "smtps://smtps.pec.example.it:465".into(),
            imap_host: "imaps.pec.example.it".into(),
            imap_port: String::new(),
            username: PEC_USER.into(),
            password: PEC_PASSWORD.into(),
        };
        let saved = PecBackend::save_mailbox_form(services, world.user(), store, form.clone())
            .await
            .expect("answered");
        assert!(saved.is_empty(), "{saved:?}");
        let view = PecBackend::mailbox_form(services, world.user(), store)
            .await
            .expect("view")
            .expect("a mailbox");
        assert!(view.has_password);
        assert_eq!(view.imap_port, 993);
        assert!(!serde_json::to_string(&view)
            .expect("json")
            .contains(PEC_PASSWORD));

        // An empty password keeps the stored one: the mailbox still has it.
        let mut keep = form.clone();
        keep.password.clear();
        keep.imap_port = "10993".into();
        assert!(
            PecBackend::save_mailbox_form(services, world.user(), store, keep)
                .await
                .expect("answered")
                .is_empty()
        );
        let stored: String =
            sqlx::query_scalar("SELECT password FROM pec_mailboxes WHERE store_id = $1")
                .bind(store)
                .fetch_one(&world.db.pool)
                .await
                .expect("stored");
        assert_eq!(stored, PEC_PASSWORD);

        // The store's page shows the card: the mailbox, "set" for its
        // password, never the password itself.
        let router = support::router(world.services.clone());
        let page = support::body_text(
            support::get(
                &router,
                &format!("/stores/{store}"),
                Some(&world.merchant.session),
            )
            .await,
        )
        .await;
        assert!(page.contains("Casella PEC per lo SdI"), "{page}");
        assert!(page.contains("imaps.pec.example.it"));
        assert!(page.contains("Impostata: scrivine una nuova per sostituirla"));
        assert!(!page.contains(PEC_PASSWORD));

        // Another organisation's store is not found, for reading and saving.
        let other = sign_up(&world.services, "owner@ferramenta.it", "luca@example.it").await;
        assert_eq!(
            PecBackend::mailbox_form(services, &other.owner, store)
                .await
                .expect("view"),
            None
        );
        assert!(matches!(
            PecBackend::save_mailbox_form(services, &other.owner, store, form).await,
            Err(app::api::AdminError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_transmission_the_pec_server_puts_off_is_retried_and_one_it_refuses_fails_with_its_reason(
) {
    for db in databases().await {
        let world = World::new(db).await;
        let _dovecot = with_mailbox(&world).await;

        // Busy (421) first: retried later, and sent once.
        let invoice = world.issued().await;
        transmit(&world, invoice, "00001").await;
        world.sink.busy_for(1);
        deliver(&world.services).await;
        assert!(world.sink.received_by("sdi01@pec.fatturapa.it").is_empty());
        assert!(sdi_history(&world, invoice).await.is_empty());
        support::deliver_at(&world.services, support::much_later()).await;
        support::deliver_at(&world.services, support::much_later()).await;
        assert_eq!(world.sink.received_by("sdi01@pec.fatturapa.it").len(), 1);
        assert_eq!(world.sink.distinct_and_doubled(), (1, 0));
        assert_eq!(
            kinds(&sdi_history(&world, invoice).await),
            ["sdi_transmitted"]
        );

        // Refused (550): failed with the server's reply, never sent again.
        world.sink.refuse("sdi01@pec.fatturapa.it");
        let refused = world.issued().await;
        transmit(&world, refused, "00002").await;
        deliver(&world.services).await;
        support::deliver_at(&world.services, support::much_later()).await;
        let history = sdi_history(&world, refused).await;
        assert_eq!(kinds(&history), ["sdi_transmission_failed"]);
        let SdiEvent::TransmissionFailed { file_name, reply } = &history[0] else {
            panic!("not a failure: {history:?}");
        };
        assert_eq!(file_name, "IT06363391001_00002.xml");
        assert!(reply.contains("550"), "{reply}");
        let state: String =
            sqlx::query_scalar("SELECT state FROM sdi_transmissions WHERE invoice_id = $1")
                .bind(refused)
                .fetch_one(&world.db.pool)
                .await
                .expect("state");
        assert_eq!(state, "failed");
        // The issuer hears of it, as of any email that failed.
        assert_eq!(world.mail_to(support::OWNER).len(), 1);
    }
}

/// An Italian store with a PEC mailbox transmits each invoice's FatturaPA
/// file as it is issued, in the issuing transaction; a transmitted invoice
/// is corrected by a credit note, never voided.
#[tokio::test]
async fn an_italian_invoice_goes_to_sdi_as_it_is_issued_and_is_then_never_voided() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_italian().await;
        let _dovecot = with_mailbox(&world).await;
        let id = world.issued().await;
        deliver(&world.services).await;
        let to_sdi = world.sink.received_by("sdi01@pec.fatturapa.it");
        assert_eq!(to_sdi.len(), 1);
        let attachments = to_sdi[0].attachments();
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0].0, "IT06363391001_00001.xml");
        assert_eq!(kinds(&sdi_history(&world, id).await), ["sdi_transmitted"]);
        let refused = world
            .services
            .void_invoice(world.user(), id)
            .await
            .expect_err("transmitted");
        assert_eq!(
            refused.field("invoice").map(|field| field.problem.clone()),
            Some(invoice::problem::Problem::TransmittedUseCreditNote)
        );
    }
}

/// An invoice issued before the store had a PEC mailbox is sent to SdI by
/// hand once there is one; pressing Send twice sends it once.
#[tokio::test]
async fn an_invoice_issued_before_the_mailbox_is_sent_by_hand_once() {
    for db in databases().await {
        let world = World::new(db).await;
        world.make_italian().await;
        let id = world.issued().await;
        let refused = world
            .services
            .transmit_to_sdi(world.user(), id)
            .await
            .expect_err("no mailbox yet");
        assert_eq!(
            refused.field("invoice").map(|field| field.problem.clone()),
            Some(invoice::problem::Problem::Fiscal(
                invoice::italy::FiscalProblem::NoPecMailbox
            ))
        );
        let _dovecot = with_mailbox(&world).await;
        for _ in 0..2 {
            world
                .services
                .transmit_to_sdi(world.user(), id)
                .await
                .expect("queued");
        }
        deliver(&world.services).await;
        let to_sdi = world.sink.received_by("sdi01@pec.fatturapa.it");
        assert_eq!(to_sdi.len(), 1, "sent once");
        assert_eq!(to_sdi[0].attachments()[0].0, "IT06363391001_00001.xml");
        assert!(
            world
                .services
                .get_invoice(world.user(), id)
                .await
                .expect("invoice")
                .transmitted
        );
    }
}

/// The merchant's invoice page reads "Rejected by SdI" while SdI's last
/// word on the invoice is a rejection; sending the file again ends it, and
/// the customer's page never shows it.
#[tokio::test]
async fn a_rejected_invoice_reads_rejected_by_sdi_to_the_merchant_until_it_is_sent_again() {
    for db in databases().await {
        let world = World::new(db).await;
        let dovecot = with_mailbox(&world).await;
        let id = world.issued().await;
        let (_, file) = transmit(&world, id, "00001").await;
        deliver(&world.services).await;
        world.send(id, "courtesy").await;
        deliver(&world.services).await;
        let key = world.edge.publications()[0].invoice_key.clone();
        let merchant_reads = || async {
            world
                .services
                .get_invoice(world.user(), id)
                .await
                .expect("invoice")
                .merchant_status
        };
        let issued = MerchantStatus::Status(InvoiceStatus::Issued);
        assert_eq!(merchant_reads().await, issued);

        let arrives = |name: String, xml: String, at: i64| {
            let dovecot = &dovecot;
            let world = &world;
            async move {
                dovecot
                    .append(PEC_USER, PEC_PASSWORD, &pec_envelope(&name, &xml))
                    .await;
                let outcomes = world.services.read_mailboxes(at).await.expect("read");
                let read = outcomes[0].1.clone().expect("the mailbox was read");
                assert_eq!(read.matched, 1, "{name}");
            }
        };
        arrives(
            message_file_name(&file, "NS", "001"),
            rejected(
                &file,
                "5101",
                &[("00311", "1.1.4 CodiceDestinatario non valido")],
            ),
            now_ms(),
        )
        .await;
        assert_eq!(merchant_reads().await, MerchantStatus::RejectedBySdi);
        let detail = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice");
        assert_eq!(
            detail.status,
            InvoiceStatus::Issued,
            "the status itself is unchanged"
        );
        assert_eq!(
            detail.merchant_status.label(Language::En),
            "Rejected by SdI"
        );
        world
            .services
            .publish_changed_states()
            .await
            .expect("published");
        let customer = world.edge.latest_state(&key).expect("a state");
        assert_eq!(customer.lifecycle, Lifecycle::Issued);
        assert!(
            customer
                .history
                .iter()
                .all(|event| !matches!(event.kind, PublicEventKind::ElectronicInvoice { .. })),
            "a rejection is the merchant's alone"
        );

        // Corrected and sent again under a new file name: the rejection no
        // longer stands, and SdI's delivery of the new file keeps it so.
        let (_, again) = transmit(&world, id, "00002").await;
        deliver(&world.services).await;
        assert_eq!(merchant_reads().await, issued);
        arrives(
            message_file_name(&again, "RC", "001"),
            delivered(&again, "5102"),
            now_ms() + 61_000,
        )
        .await;
        assert_eq!(merchant_reads().await, issued);
        assert_eq!(
            kinds(&sdi_history(&world, id).await),
            [
                "sdi_transmitted",
                "sdi_rejected",
                "sdi_transmitted",
                "sdi_delivered"
            ]
        );
    }
}
