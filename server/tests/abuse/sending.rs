//! A free account used as a spam cannon: more emails than the day allows,
//! in one send or many at once; addresses typed into a store's copies and
//! failure list that never asked for mail; the admin's changes feed opened
//! until the database pool runs dry; the admin's pages framed or sniffed.

use app::api::AdminBackend;
use invoice::email::{EmailPurpose, SendInput};
use invoice::problem::Problem;
use server::db::Db;
use server::sending::AUTOMATIC_SEND_OVER_QUOTA;

use super::{count, refusal};
use crate::support::{databases, World};

/// The operator's own daily quota for the world's organisation.
async fn set_quota(world: &World, quota: i64) {
    sqlx::query("UPDATE organisations SET daily_email_quota = $1 WHERE id = $2")
        .bind(quota)
        .bind(world.user().organisation.0)
        .execute(&world.db.pool)
        .await
        .expect("quota set");
}

fn to_many(key: &str, recipients: usize) -> SendInput {
    SendInput {
        to: (0..recipients)
            .map(|n| format!("customer-{key}-{n}@example.es"))
            .collect::<Vec<_>>()
            .join("; "),
        subject: "Fattura".into(),
        message: "Grazie".into(),
    }
}

async fn send_to(
    world: &World,
    invoice_id: i64,
    key: &str,
    recipients: usize,
) -> Result<(), app::api::AdminError> {
    world
        .services
        .send_invoice(
            world.user(),
            invoice_id,
            EmailPurpose::Invoice,
            to_many(key, recipients),
            key.to_owned(),
        )
        .await
}

async fn written(db: &Db) -> (i64, i64, i64) {
    (
        count(db, "SELECT COUNT(*) FROM outbox").await,
        count(db, "SELECT COUNT(*) FROM links").await,
        count(db, "SELECT COUNT(*) FROM send_requests").await,
    )
}

#[tokio::test]
async fn a_send_past_the_days_quota_is_refused_whole_and_queues_nothing() {
    for db in databases().await {
        let world = World::new(db).await;
        set_quota(&world, 5).await;
        let id = world.issued().await;
        send_to(&world, id, "first", 3).await.expect("within quota");
        assert_eq!(written(&world.db).await, (3, 3, 1));

        assert_eq!(
            refusal(send_to(&world, id, "too-many", 3).await, "to"),
            Problem::DailySendingLimit { limit: 5, left: 2 }
        );
        assert_eq!(written(&world.db).await, (3, 3, 1), "nothing half-queued");

        send_to(&world, id, "the-rest", 2)
            .await
            .expect("fits exactly");
        assert_eq!(
            refusal(send_to(&world, id, "one-more", 1).await, "to"),
            Problem::DailySendingLimit { limit: 5, left: 0 }
        );
        // A retried request of a send that went is not a new send.
        send_to(&world, id, "the-rest", 2)
            .await
            .expect("idempotent");
        assert_eq!(written(&world.db).await, (5, 5, 2));
        let form = world
            .services
            .send_form(world.user(), id, EmailPurpose::Invoice)
            .await
            .expect("send dialog");
        assert_eq!((form.sent_today, form.daily_limit), (5, 5));
    }
}

#[tokio::test]
async fn sends_in_parallel_cannot_overshoot_the_quota() {
    for db in databases().await {
        let world = World::new(db).await;
        set_quota(&world, 10).await;
        let id = world.issued().await;
        let sends = (0..8).map(|n| {
            let services = world.services.clone();
            let user = world.user().clone();
            tokio::spawn(async move {
                let key = format!("parallel-{n}");
                services
                    .send_invoice(
                        &user,
                        id,
                        EmailPurpose::Invoice,
                        to_many(&key, 3),
                        key.clone(),
                    )
                    .await
            })
        });
        let outcomes = futures::future::join_all(sends).await;
        let admitted = outcomes
            .into_iter()
            .map(|outcome| outcome.expect("task"))
            .filter(Result::is_ok)
            .count();
        assert_eq!(admitted, 3);
        assert_eq!(written(&world.db).await, (9, 9, 3));
    }
}

#[tokio::test]
async fn an_invoice_issued_past_the_quota_is_issued_without_its_automatic_email() {
    for db in databases().await {
        let world = World::new(db).await;
        world
            .configure_customer(|customer| customer.email_invoices = true)
            .await;
        set_quota(&world, 1).await;
        let first = world.issued().await;
        assert_eq!(count(&world.db, "SELECT COUNT(*) FROM outbox").await, 1);
        let second = world.issued().await;
        assert_eq!(count(&world.db, "SELECT COUNT(*) FROM outbox").await, 1);
        let detail = world
            .services
            .get_invoice(world.user(), second)
            .await
            .expect("invoice");
        assert_eq!(detail.lifecycle, invoice::status::Lifecycle::Issued);
        assert!(detail
            .history
            .iter()
            .any(|entry| entry.kind == AUTOMATIC_SEND_OVER_QUOTA));
        assert!(!world
            .history_kinds(first)
            .await
            .contains(&AUTOMATIC_SEND_OVER_QUOTA.to_owned()));
    }
}
