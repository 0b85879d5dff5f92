//! Working on many invoices at once from the list, and the accountant's CSV,
//! on every engine, through the routes the admin's forms use: the selection
//! sent, reminded or zipped with each invoice's own outcome, a second click
//! sending nothing, and the export read back as a spreadsheet would.

mod support;

use std::io::Read;

use app::api::AdminBackend;
use axum::http::{header, StatusCode};
use invoice::bulk::{BulkReport, ItemOutcome};
use invoice::dates::Date;
use invoice::payment::PaymentInput;
use invoice::problem::Problem;
use server::db::now_ms;
use support::{
    body_bytes, body_text, databases, deliver, draft, get, post_form, read_csv, router,
    selection_form, World, CUSTOMER,
};

const BULK: &str = "/invoices/bulk";

fn today() -> Date {
    Date::from_unix_millis(now_ms())
}

/// Posts the selection and follows the redirect to its outcome.
async fn submit(world: &World, body: &str) -> (String, BulkReport) {
    let router = router(world.services.clone());
    let response = post_form(&router, BULK, &world.merchant.session, body).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let key = location
        .strip_prefix("/invoices/bulk/")
        .expect("the outcome page")
        .to_owned();
    let report = world
        .services
        .bulk_report(world.user().organisation, &key)
        .await
        .expect("kept")
        .expect("finished");
    (location, report)
}

fn outcomes(report: &BulkReport) -> Vec<(i64, ItemOutcome)> {
    report
        .items
        .iter()
        .map(|item| (item.invoice_id, item.outcome.clone()))
        .collect()
}

#[tokio::test]
async fn a_bulk_send_reports_each_invoice_sent_skipped_or_not_found() {
    for db in databases().await {
        let world = World::new(db.clone()).await;
        let other = World::for_owner(db, "owner@altra.it").await;
        let services = &world.services;
        let draft_id = services
            .save_draft(world.user(), None, 0, draft(&world.merchant))
            .await
            .expect("draft");
        let void_id = world.issued().await;
        services
            .void_invoice(world.user(), void_id)
            .await
            .expect("voided");
        let valid_id = world.issued().await;
        let foreign_id = other.issued().await;

        let body = selection_form("form-1", "send", &[draft_id, void_id, valid_id, foreign_id]);
        let (location, report) = submit(&world, &body).await;

        assert_eq!(
            outcomes(&report),
            vec![
                (
                    draft_id,
                    ItemOutcome::Skipped {
                        reason: Problem::InvoiceIsDraft
                    }
                ),
                (
                    void_id,
                    ItemOutcome::Skipped {
                        reason: Problem::AlreadyVoid
                    }
                ),
                (valid_id, ItemOutcome::Sent),
                (foreign_id, ItemOutcome::NotFound),
            ]
        );
        let foreign = &report.items[3];
        assert!(
            foreign.number.is_none() && foreign.customer_name.is_empty(),
            "nothing of another organisation's invoice is told"
        );
        deliver(services).await;
        assert_eq!(world.mail_to(CUSTOMER).len(), 1, "only the valid one went");
        assert!(other.mail_to(CUSTOMER).is_empty());

        let page = body_text(
            get(
                &router(services.clone()),
                &location,
                Some(&world.merchant.session),
            )
            .await,
        )
        .await;
        assert!(page.contains("data-outcome=\"sent\""), "{page}");
        assert!(page.contains("Saltata: "), "the outcome is told in Italian");
    }
}

#[tokio::test]
async fn submitting_the_same_selection_twice_sends_each_invoice_once() {
    for db in databases().await {
        let world = World::new(db).await;
        let ids = [
            world.issued().await,
            world.issued().await,
            world.issued().await,
        ];
        let body = selection_form("form-twice", "send", &ids);

        let (first_location, first) = submit(&world, &body).await;
        let (second_location, second) = submit(&world, &body).await;

        assert_eq!(first_location, second_location);
        assert_eq!(first, second, "the second click shows the first outcome");
        assert!(first
            .items
            .iter()
            .all(|item| item.outcome == ItemOutcome::Sent));
        deliver(&world.services).await;
        assert_eq!(world.mail_to(CUSTOMER).len(), 3, "one email per invoice");
        assert_eq!(world.outbox_count("customer").await, 3);

        let (_, again) = submit(&world, &selection_form("form-twice", "send", &ids[..2])).await;
        assert!(
            again
                .items
                .iter()
                .all(|item| item.outcome == ItemOutcome::Sent),
            "another selection from the same page is new work"
        );
        deliver(&world.services).await;
        assert_eq!(world.mail_to(CUSTOMER).len(), 5);
    }
}

#[tokio::test]
async fn a_bulk_reminder_reminds_what_is_due_and_skips_what_is_not() {
    for db in databases().await {
        let world = World::new(db).await;
        let due = world.issued_due(today().add_days(10)).await;
        let no_due_date = world.issued().await;
        let paid = world.issued_due(today().add_days(10)).await;
        world
            .services
            .record_payment(
                world.user(),
                paid,
                PaymentInput {
                    amount: "299".into(),
                    date: today().to_string(),
                    method: "bank_transfer".into(),
                    reference: "TRF".into(),
                },
            )
            .await
            .expect("paid");

        let (_, report) = submit(
            &world,
            &selection_form("form-r", "remind", &[due, no_due_date, paid]),
        )
        .await;

        assert_eq!(
            outcomes(&report),
            vec![
                (due, ItemOutcome::Reminded),
                (
                    no_due_date,
                    ItemOutcome::Skipped {
                        reason: Problem::NoDueDate
                    }
                ),
                (
                    paid,
                    ItemOutcome::Skipped {
                        reason: Problem::NothingDue
                    }
                ),
            ]
        );
        assert!(world
            .history_kinds(due)
            .await
            .contains(&"reminder_queued".to_owned()));
    }
}

#[tokio::test]
async fn an_invoice_past_the_days_sending_limit_is_reported_and_not_sent() {
    for db in databases().await {
        let world = World::configured(db, "owner@bottega.it", |config| {
            config.daily_email_quota = 1
        })
        .await;
        let ids = [world.issued().await, world.issued().await];

        let (_, report) = submit(&world, &selection_form("form-q", "send", &ids)).await;

        assert_eq!(
            outcomes(&report),
            vec![
                (ids[0], ItemOutcome::Sent),
                (ids[1], ItemOutcome::OverLimit { limit: 1 })
            ]
        );
        deliver(&world.services).await;
        assert_eq!(world.mail_to(CUSTOMER).len(), 1);
    }
}

#[tokio::test]
async fn the_zip_holds_one_pdf_per_issued_invoice_named_by_its_number() {
    for db in databases().await {
        let world = World::new(db.clone()).await;
        let other = World::for_owner(db, "owner@altra.it").await;
        let first = world.issued().await;
        let second = world.issued().await;
        let draft_id = world
            .services
            .save_draft(world.user(), None, 0, draft(&world.merchant))
            .await
            .expect("draft");
        let foreign = other.issued().await;
        let mut numbers = Vec::new();
        for id in [first, second] {
            let invoice = world
                .services
                .get_invoice(world.user(), id)
                .await
                .expect("invoice");
            numbers.push(format!(
                "{}.pdf",
                invoice.number.expect("issued").replace('/', "-")
            ));
        }

        let response = post_form(
            &router(world.services.clone()),
            BULK,
            &world.merchant.session,
            &selection_form("form-z", "zip", &[first, draft_id, second, foreign]),
        )
        .await;

        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/zip");
        let bytes = body_bytes(response).await;
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        let mut sorted = names.clone();
        sorted.sort();
        numbers.sort();
        assert_eq!(
            sorted, numbers,
            "exactly the issued invoices of this organisation"
        );
        for name in names {
            let mut pdf = Vec::new();
            archive
                .by_name(&name)
                .expect("entry")
                .read_to_end(&mut pdf)
                .expect("read");
            assert!(pdf.starts_with(b"%PDF-"), "{name} is a PDF");
        }
    }
}

#[tokio::test]
async fn the_accountants_csv_reads_back_with_its_invoices_payments_and_history() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued_due(today().add_days(30)).await;
        world
            .services
            .record_payment(
                world.user(),
                id,
                PaymentInput {
                    amount: "100.50".into(),
                    date: today().to_string(),
                    method: "bank_transfer".into(),
                    reference: "TRF; 7".into(),
                },
            )
            .await
            .expect("paid");
        let number = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice")
            .number
            .expect("issued");
        let router = router(world.services.clone());
        let export = |what: &str| {
            format!(
                "/invoices/export.csv?what={what}&from={}&to={}&store=&language=it",
                today().add_days(-1),
                today()
            )
        };

        let response = get(&router, &export("invoices"), Some(&world.merchant.session)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        assert!(response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .expect("header")
            .starts_with("attachment; filename=\"fatture_"));
        let invoices = read_csv(&body_text(response).await);
        assert_eq!(invoices[0][0], "Numero");
        assert_eq!(invoices.len(), 2, "a header and the one invoice");
        let row = &invoices[1];
        let column = |name: &str| {
            let at = invoices[0]
                .iter()
                .position(|header| header == name)
                .expect(name);
            row[at].clone()
        };
        assert_eq!(column("Numero"), number);
        assert_eq!(column("Cliente"), "Maria Pérez");
        assert_eq!(column("Imponibile"), "250,00");
        assert_eq!(column("Imposta"), "49,00");
        assert_eq!(column("Totale"), "299,00");
        assert_eq!(column("Pagato"), "100,50");
        assert_eq!(column("Da pagare"), "198,50");
        assert_eq!(column("Stato"), "Parzialmente pagata");
        let d = today();
        assert_eq!(
            column("Data emissione"),
            format!("{:02}/{:02}/{}", d.day, d.month, d.year)
        );

        let payments = read_csv(
            &body_text(get(&router, &export("payments"), Some(&world.merchant.session)).await)
                .await,
        );
        assert_eq!(payments.len(), 2);
        assert_eq!(payments[1][1], number);
        assert_eq!(payments[1][4], "Bonifico");
        assert_eq!(
            payments[1][5], "TRF; 7",
            "a quoted separator reads back whole"
        );
        assert_eq!(payments[1][7], "100,50");

        let history = read_csv(
            &body_text(get(&router, &export("history"), Some(&world.merchant.session)).await).await,
        );
        let events: Vec<&str> = history[1..].iter().map(|row| row[5].as_str()).collect();
        assert!(
            events.contains(&"issued") && events.contains(&"payment_recorded"),
            "{events:?}"
        );
    }
}

#[tokio::test]
async fn the_list_offers_a_labelled_checkbox_per_row_that_joins_the_selection_form() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;

        let page = body_text(
            get(
                &router(world.services.clone()),
                "/invoices",
                Some(&world.merchant.session),
            )
            .await,
        )
        .await;

        assert!(page.contains("id=\"bulk-actions\""), "{page}");
        assert!(page.contains("action=\"/invoices/bulk\""), "{page}");
        assert!(page.contains("name=\"key\""), "{page}");
        assert!(
            page.contains(&format!(
                "id=\"select-{id}\" name=\"invoice\" value=\"{id}\" form=\"bulk-actions\""
            )),
            "{page}"
        );
        assert!(page.contains(&format!("for=\"select-{id}\"")), "{page}");
        assert!(page.contains("href=\"/invoices/export\""), "{page}");
    }
}
