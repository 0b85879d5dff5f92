//! The merchant's day on every engine: the home page's figures and lists,
//! the invoice list they link to, a customer's page and statement, and the
//! organisation's walls around them.

mod support;

use app::api::{AdminBackend, AdminError, HomeView, InvoiceFilter};
use axum::http::{header, StatusCode};
use invoice::chase::{AgeBucket, Attention, Due, Figure};
use invoice::dates::Date;
use invoice::email::{EmailPurpose, SendInput};
use invoice::events::{DeviceClass, EdgeEvent, EdgeEventKind};
use invoice::payment::PaymentInput;
use invoice::tracking::Clue;
use server::db::{now_ms, random_id};
use support::{
    body_bytes, body_text, databases, deliver, draft, get, person_opened, router, send_with, World,
};

const DAY_MS: i64 = 86_400_000;

fn today() -> Date {
    Date::from_unix_millis(now_ms())
}

/// The invoices a merchant has on a morning: some late by different ages,
/// one paid, one due this week, one read by the customer, one whose email
/// bounced, and one a mail scanner fetched four days ago but nobody read.
struct Morning {
    late_10: i64,
    late_45: i64,
    late_90: i64,
    paid_late: i64,
    due_soon: i64,
    opened: i64,
    bounced: i64,
    scanned_only: i64,
}

/// Issues an invoice of 299.00 (the support draft) dated `issued_days_ago`
/// and due `due_in_days` from today.
async fn issued(world: &World, issued_days_ago: i64, due_in_days: i64) -> i64 {
    let mut input = draft(&world.merchant);
    input.issue_date = today().add_days(-issued_days_ago).to_string();
    input.due_date = today().add_days(due_in_days).to_string();
    let id = world
        .services
        .save_draft(world.user(), None, 0, input)
        .await
        .expect("draft saved");
    world
        .services
        .issue_invoice(world.user(), id, 1)
        .await
        .expect("issued");
    id
}

async fn send_to(world: &World, id: i64, to: &str) {
    send_with(
        &world.services,
        world.user(),
        id,
        EmailPurpose::Invoice,
        SendInput {
            to: to.into(),
            subject: "Fattura".into(),
            message: "Grazie".into(),
        },
        &format!("send-{id}"),
    )
    .await
    .expect("queued");
}

async fn link_of(world: &World, id: i64) -> String {
    sqlx::query_scalar("SELECT id FROM links WHERE invoice_id = $1 ORDER BY created_at DESC")
        .bind(id)
        .fetch_one(&world.db.pool)
        .await
        .expect("link")
}

/// A mail security scanner following the link: a fetch, and an "open" in a
/// headless browser, both judged automated at the edge.
fn scanner_visit(link_id: &str) -> Vec<EdgeEvent> {
    [EdgeEventKind::LinkFetched, EdgeEventKind::Opened]
        .into_iter()
        .map(|kind| EdgeEvent {
            id: random_id(),
            link_id: link_id.to_owned(),
            kind,
            automated: true,
            at_ms: now_ms(),
            device: DeviceClass::Desktop,
            browser: "Chrome".into(),
            clues: vec![Clue::DrivenBrowser],
        })
        .collect()
}

async fn morning(world: &World) -> Morning {
    let late_10 = issued(world, 40, -10).await;
    let late_45 = issued(world, 75, -45).await;
    let late_90 = issued(world, 120, -90).await;
    let paid_late = issued(world, 60, -30).await;
    world
        .services
        .record_payment(
            world.user(),
            paid_late,
            PaymentInput {
                amount: "299".into(),
                date: today().to_string(),
                method: "bank_transfer".into(),
                reference: String::new(),
            },
        )
        .await
        .expect("paid");
    let due_soon = issued(world, 1, 3).await;
    let opened = issued(world, 20, 10).await;
    let bounced = issued(world, 5, 25).await;
    let scanned_only = issued(world, 6, 24).await;

    world.sink.refuse("nobody@wrong.example");
    send_to(world, opened, support::CUSTOMER).await;
    send_to(world, bounced, "nobody@wrong.example").await;
    send_to(world, scanned_only, support::CUSTOMER).await;
    deliver(&world.services).await;

    let opened_link = link_of(world, opened).await;
    server::db::events::ingest(&world.db, &[person_opened(&opened_link)])
        .await
        .expect("ingest");
    let scanned_link = link_of(world, scanned_only).await;
    server::db::events::ingest(&world.db, &scanner_visit(&scanned_link))
        .await
        .expect("ingest");
    // Four days have passed since the scanned invoice was sent.
    sqlx::query("UPDATE outbox SET sent_at = $1 WHERE invoice_id = $2")
        .bind(now_ms() - 4 * DAY_MS)
        .bind(scanned_only)
        .execute(&world.db.pool)
        .await
        .expect("backdated");
    Morning {
        late_10,
        late_45,
        late_90,
        paid_late,
        due_soon,
        opened,
        bounced,
        scanned_only,
    }
}

async fn home(world: &World, store: Option<i64>) -> HomeView {
    world
        .services
        .home(world.user(), store)
        .await
        .expect("home")
}

/// What the invoice list shows under a figure's or a list's link.
async fn listed(world: &World, filter: InvoiceFilter) -> (i64, Vec<i64>) {
    let page = world
        .services
        .list_invoices(world.user(), filter)
        .await
        .expect("list");
    let mut ids: Vec<i64> = page.rows.iter().map(|row| row.id).collect();
    ids.sort();
    (page.count, ids)
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort();
    ids
}

fn only(figures: &[Figure]) -> Figure {
    assert_eq!(figures.len(), 1, "one currency: {figures:?}");
    figures[0]
}

fn list_total(view: &HomeView, attention: Attention) -> (usize, Vec<i64>) {
    let list = view
        .today
        .lists
        .iter()
        .find(|list| list.attention == attention)
        .expect("the list");
    (list.total, list.rows.iter().map(|row| row.id).collect())
}

#[tokio::test]
async fn every_home_figure_and_list_counts_exactly_what_its_filtered_list_shows() {
    for db in databases().await {
        let world = World::new(db).await;
        let m = morning(&world).await;
        let view = home(&world, None).await;

        let outstanding = only(&view.today.outstanding);
        assert_eq!(outstanding.invoices, 7, "all but the paid one");
        assert_eq!(outstanding.amount.minor, 7 * 29_900);
        let filter = |due: Option<Due>, age: Option<AgeBucket>, attention: Option<Attention>| {
            InvoiceFilter {
                due: due.map_or("", Due::code).into(),
                age: age.map_or("", AgeBucket::code).into(),
                attention: attention.map_or("", Attention::code).into(),
                currency: outstanding.amount.currency.code().into(),
                ..InvoiceFilter::default()
            }
        };
        let (count, ids) = listed(&world, filter(Some(Due::Open), None, None)).await;
        assert_eq!(count, 7);
        assert!(!ids.contains(&m.paid_late));

        let overdue = only(&view.today.overdue);
        let (count, ids) = listed(&world, filter(Some(Due::Overdue), None, None)).await;
        assert_eq!(overdue.invoices as i64, count);
        assert_eq!(ids, sorted(vec![m.late_10, m.late_45, m.late_90]));

        for (age, expected) in [
            (AgeBucket::Days1To30, m.late_10),
            (AgeBucket::Days31To60, m.late_45),
            (AgeBucket::Over60, m.late_90),
        ] {
            let figures = &view
                .today
                .by_age
                .iter()
                .find(|(bucket, _)| *bucket == age)
                .expect("bucket")
                .1;
            let (count, ids) = listed(&world, filter(None, Some(age), None)).await;
            assert_eq!(only(figures).invoices as i64, count, "{age:?}");
            assert_eq!(ids, vec![expected], "{age:?}");
        }

        for (attention, expected) in [
            (Attention::OpenedUnpaid, vec![m.opened]),
            (Attention::Unopened, vec![m.scanned_only]),
            (Attention::EmailFailed, vec![m.bounced]),
            (Attention::DueSoon, vec![m.due_soon]),
        ] {
            let (total, rows) = list_total(&view, attention);
            let unfiltered_by_currency = InvoiceFilter {
                attention: attention.code().into(),
                ..InvoiceFilter::default()
            };
            let (count, ids) = listed(&world, unfiltered_by_currency).await;
            assert_eq!(total as i64, count, "{attention:?}");
            assert_eq!(rows, expected, "{attention:?} on the home page");
            assert_eq!(ids, expected, "{attention:?} in the list");
        }
        let failed = view
            .today
            .lists
            .iter()
            .find(|list| list.attention == Attention::EmailFailed)
            .expect("failed list");
        assert_eq!(
            failed.rows[0].email_address.as_deref(),
            Some("nobody@wrong.example")
        );
        assert!(
            matches!(&failed.rows[0].email, invoice::views::EmailState::Failed { reason } if reason.contains("550")),
            "the SMTP reply is the reason: {:?}",
            failed.rows[0].email
        );
    }
}

#[tokio::test]
async fn a_mail_scanners_fetch_is_not_an_open_but_a_persons_is() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = issued(&world, 5, 20).await;
        send_to(&world, id, support::CUSTOMER).await;
        deliver(&world.services).await;
        let link = link_of(&world, id).await;
        server::db::events::ingest(&world.db, &scanner_visit(&link))
            .await
            .expect("ingest");
        sqlx::query("UPDATE outbox SET sent_at = $1 WHERE invoice_id = $2")
            .bind(now_ms() - 3 * DAY_MS)
            .bind(id)
            .execute(&world.db.pool)
            .await
            .expect("backdated");

        let view = home(&world, None).await;
        assert_eq!(list_total(&view, Attention::Unopened).1, vec![id]);
        assert_eq!(list_total(&view, Attention::OpenedUnpaid).0, 0);

        server::db::events::ingest(&world.db, &[person_opened(&link)])
            .await
            .expect("ingest");
        let view = home(&world, None).await;
        assert_eq!(list_total(&view, Attention::Unopened).0, 0);
        assert_eq!(list_total(&view, Attention::OpenedUnpaid).1, vec![id]);
    }
}

#[tokio::test]
async fn another_organisations_invoices_customers_and_stores_stay_out_of_sight() {
    for db in databases().await {
        let ours = World::new(db.clone()).await;
        let theirs = World::for_owner(db, "owner@altrabottega.it").await;
        issued(&ours, 40, -10).await;
        for _ in 0..3 {
            issued(&theirs, 40, -10).await;
        }

        let view = home(&ours, None).await;
        assert_eq!(only(&view.today.overdue).invoices, 1);
        let (count, _) = listed(
            &ours,
            InvoiceFilter {
                due: "overdue".into(),
                ..InvoiceFilter::default()
            },
        )
        .await;
        assert_eq!(count, 1);
        assert!(matches!(
            ours.services
                .home(ours.user(), Some(theirs.merchant.store_id))
                .await,
            Err(AdminError::NotFound)
        ));
        assert!(matches!(
            ours.services
                .customer_account(ours.user(), theirs.merchant.customer_id)
                .await,
            Err(AdminError::NotFound)
        ));
        let (count, _) = listed(
            &ours,
            InvoiceFilter {
                customer: Some(theirs.merchant.customer_id),
                ..InvoiceFilter::default()
            },
        )
        .await;
        assert_eq!(count, 0);

        let router = router(ours.services.clone());
        let session = ours.merchant.session.clone();
        let foreign = get(
            &router,
            &format!("/customers/{}/statement.pdf", theirs.merchant.customer_id),
            Some(&session),
        )
        .await;
        assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
        let signed_out = get(
            &router,
            &format!("/customers/{}/statement.pdf", ours.merchant.customer_id),
            None,
        )
        .await;
        assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    }
}

/// A PDF's text as poppler's pdftotext reads it (poppler-utils is installed by `make`).
fn pdf_text(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("invio-statement-{}.pdf", random_id()));
    std::fs::write(&path, pdf).expect("write pdf");
    let output = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext from poppler-utils");
    String::from_utf8(output.stdout).expect("utf-8 text")
}

#[tokio::test]
async fn a_customers_page_has_their_facts_and_their_statement_in_their_language() {
    for db in databases().await {
        let world = World::new(db).await;
        let m = morning(&world).await;
        let account = world
            .services
            .customer_account(world.user(), world.merchant.customer_id)
            .await
            .expect("customer");
        assert_eq!(only(&account.balance).invoices, 7);
        assert_eq!(only(&account.overdue).invoices, 3);
        assert_eq!(account.invoices.count, 8);
        assert_eq!(account.payments.len(), 1);
        assert_eq!(account.payments[0].invoice_id, m.paid_late);
        assert_eq!(
            account
                .activity
                .iter()
                .map(|seen| (seen.invoice_id, seen.kind))
                .collect::<Vec<_>>(),
            vec![(m.opened, EdgeEventKind::Opened)],
            "the person's open only: the scanner's visit is left out"
        );

        let router = router(world.services.clone());
        let response = get(
            &router,
            &format!("/customers/{}/statement.pdf", world.merchant.customer_id),
            Some(&world.merchant.session),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/pdf");
        let text = pdf_text(&body_bytes(response).await);
        // The support customer reads Spanish.
        for expected in [
            "Estado de cuenta",
            "Maria Pérez",
            "Días de retraso",
            "Total adeudado (EUR)",
            "2.093,00 €",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        let late_90 = text
            .lines()
            .find(|line| line.trim_end().ends_with(" 90"))
            .unwrap_or_else(|| panic!("no row 90 days overdue in:\n{text}"));
        assert!(late_90.contains("299,00 €"), "{late_90}");
    }
}

#[tokio::test]
async fn the_admin_lands_on_the_home_page() {
    for db in databases().await {
        let world = World::new(db).await;
        morning(&world).await;
        let router = router(world.services.clone());
        let session = world.merchant.session.clone();
        let login = get(&router, "/login", Some(&session)).await;
        assert_eq!(login.status(), StatusCode::SEE_OTHER);
        assert_eq!(login.headers()[header::LOCATION], "/");
        let page = get(&router, "/", Some(&session)).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = body_text(page).await;
        // The owner reads Italian.
        for expected in [
            "Cosa sollecitare oggi",
            "Aperte, non pagate",
            "nobody@wrong.example",
            "/invoices?due=overdue",
            "/invoices?age=60%2B",
            "attention=email-failed",
        ] {
            assert!(html.contains(expected), "missing {expected:?}");
        }
    }
}
