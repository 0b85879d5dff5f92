//! The list's bulk actions and the accountant's export aimed where they must
//! not go: more invoices than a selection takes, another organisation's
//! invoices or store, a period of years, a body past the form's limit, and
//! customer names and references written to run as spreadsheet formulas.

use app::api::AdminBackend;
use axum::http::StatusCode;
use invoice::payment::PaymentInput;
use server::db::now_ms;
use server::limits::BULK_FORM_LIMIT;

use super::count;
use crate::support::{
    body_text, databases, get, post_form, read_csv, router, selection_form, World,
};

const BULK: &str = "/invoices/bulk";

fn today() -> invoice::dates::Date {
    invoice::dates::Date::from_unix_millis(now_ms())
}

#[tokio::test]
async fn a_selection_of_more_than_a_hundred_invoices_is_refused_and_sends_nothing() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        let mut ids: Vec<i64> = (1_000_000..1_000_100).collect();
        ids.push(id);
        let router = router(world.services.clone());

        for action in ["send", "remind", "zip"] {
            let response = post_form(
                &router,
                BULK,
                &world.merchant.session,
                &selection_form("form-many", action, &ids),
            )
            .await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(
                body_text(response).await,
                "Seleziona al massimo 100 fatture alla volta."
            );
        }
        assert_eq!(count(&world.db, "SELECT COUNT(*) FROM outbox").await, 0);
        assert_eq!(
            count(&world.db, "SELECT COUNT(*) FROM bulk_actions").await,
            0
        );
    }
}

#[tokio::test]
async fn a_selection_body_past_the_forms_limit_is_refused_before_it_is_read() {
    for db in databases().await {
        let world = World::new(db).await;
        let padding = "x".repeat(BULK_FORM_LIMIT);
        let response = post_form(
            &router(world.services.clone()),
            BULK,
            &world.merchant.session,
            &format!("key=k&action=send&invoice=1&pad={padding}"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn another_organisations_invoices_in_a_selection_are_not_found_and_untouched() {
    for db in databases().await {
        let world = World::new(db.clone()).await;
        let other = World::for_owner(db, "owner@altra.it").await;
        let theirs = [other.issued().await, other.issued().await];
        let router = router(world.services.clone());

        let response = post_form(
            &router,
            BULK,
            &world.merchant.session,
            &selection_form("form-theirs", "send", &theirs),
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let outcome = body_text(
            get(
                &router,
                response.headers()["location"].to_str().expect("location"),
                Some(&world.merchant.session),
            )
            .await,
        )
        .await;
        assert_eq!(outcome.matches("data-outcome=\"not-found\"").count(), 2);
        assert_eq!(count(&world.db, "SELECT COUNT(*) FROM outbox").await, 0);

        let zip = post_form(
            &router,
            BULK,
            &world.merchant.session,
            &selection_form("form-theirs", "zip", &theirs),
        )
        .await;
        assert_eq!(zip.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body_text(zip).await,
            "Nessuna delle fatture selezionate ha ancora un PDF: le bozze non ne hanno."
        );

        let unknown_store = get(
            &router,
            "/invoices/export.csv?what=invoices&from=2026-01-01&to=2026-12-31&store=999999",
            Some(&world.merchant.session),
        )
        .await;
        assert_eq!(unknown_store.status(), StatusCode::NOT_FOUND);
        let their_store = other.merchant.store_id;
        let export = get(
            &router,
            &format!("/invoices/export.csv?what=invoices&from=2026-01-01&to=2026-12-31&store={their_store}"),
            Some(&world.merchant.session),
        )
        .await;
        assert_eq!(
            export.status(),
            StatusCode::NOT_FOUND,
            "another organisation's store"
        );
    }
}

#[tokio::test]
async fn an_export_of_more_than_366_days_or_backwards_is_refused() {
    for db in databases().await {
        let world = World::new(db).await;
        let router = router(world.services.clone());
        for (from, to, refusal) in [
            (
                "2000-01-01",
                "2026-12-31",
                "Esporta al massimo 366 giorni alla volta.",
            ),
            (
                "2025-01-01",
                "2026-01-02",
                "Esporta al massimo 366 giorni alla volta.",
            ),
            (
                "2026-02-02",
                "2026-02-01",
                "Il periodo finisce prima di iniziare.",
            ),
        ] {
            let response = get(
                &router,
                &format!("/invoices/export.csv?what=history&from={from}&to={to}"),
                Some(&world.merchant.session),
            )
            .await;
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{from}..{to}"
            );
            assert_eq!(body_text(response).await, refusal);
        }
    }
}

#[tokio::test]
async fn names_and_references_written_as_formulas_export_as_text() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_customer(|customer| {
                customer.name = "=HYPERLINK(\"http://evil.example\";\"Paga qui\")".into()
            })
            .await;
        let id = world.issued().await;
        world
            .services
            .record_payment(
                world.user(),
                id,
                PaymentInput {
                    amount: "10".into(),
                    date: today().to_string(),
                    method: "other".into(),
                    reference: "@SUM(1+1)*cmd|' /C calc'!A0".into(),
                },
            )
            .await
            .expect("paid");
        let router = router(world.services.clone());
        let export = |what: &str| {
            format!(
                "/invoices/export.csv?what={what}&from={}&to={}",
                today(),
                today()
            )
        };

        let invoices = read_csv(
            &body_text(get(&router, &export("invoices"), Some(&world.merchant.session)).await)
                .await,
        );
        assert_eq!(
            invoices[1][5],
            "'=HYPERLINK(\"http://evil.example\";\"Paga qui\")"
        );
        let payments = read_csv(
            &body_text(get(&router, &export("payments"), Some(&world.merchant.session)).await)
                .await,
        );
        assert_eq!(payments[1][3], invoices[1][5]);
        assert_eq!(payments[1][5], "'@SUM(1+1)*cmd|' /C calc'!A0");
        assert!(
            payments
                .iter()
                .flatten()
                .all(|cell| !cell.starts_with(['=', '+', '@'])),
            "no cell starts as a formula"
        );
    }
}
