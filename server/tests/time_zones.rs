//! Times in the store's zone, on every engine: the store's setting, what the
//! admin's views carry to where times are shown, and what the customer's
//! page is published with (the zone and the customer's folded views).

mod support;

use app::api::{AdminBackend, InvoiceFilter};
use invoice::email::EmailPurpose;
use invoice::events::{EdgeEvent, EventBatch, PublicEventKind, EVENTS_PATH};
use invoice::problem::Problem;
use invoice::time_zone::TimeZone;
use server::db::now_ms;
use support::{
    databases, deliver, issued_invoice, person_opened, router, send, signed_request, World,
    EDGE_SECRET,
};
use tower::ServiceExt;

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).expect(name)
}

#[tokio::test]
async fn a_stores_zone_starts_from_its_language_is_saved_and_reaches_every_view_of_its_times() {
    for db in databases().await {
        let world = World::new(db).await;
        let (services, user, store_id) = (&world.services, world.user(), world.merchant.store_id);
        let store = services.get_store(user, store_id).await.expect("store");
        assert_eq!(
            store.time_zone, "Europe/Rome",
            "an Italian sign-up's store is in Italy"
        );

        let refused = services
            .save_store(
                user,
                Some(store_id),
                invoice::store::StoreInput {
                    time_zone: "Europe/Atlantis".into(),
                    ..store.clone()
                },
            )
            .await
            .expect_err("not a zone on offer");
        assert_eq!(
            refused
                .field("time_zone")
                .map(|field| field.problem.clone()),
            Some(Problem::UnknownTimeZone {
                name: "Europe/Atlantis".into()
            })
        );

        world
            .configure_store(|store| store.time_zone = "America/New_York".into())
            .await;
        assert_eq!(
            services
                .get_store(user, store_id)
                .await
                .expect("store")
                .time_zone,
            "America/New_York"
        );
        let id = issued_invoice(services, &world.merchant).await;
        let rows = services
            .list_invoices(user, InvoiceFilter::default())
            .await
            .expect("list")
            .rows;
        assert_eq!(rows[0].time_zone, zone("America/New_York"));
        let detail = services.get_invoice(user, id).await.expect("invoice");
        assert_eq!(detail.time_zone, zone("America/New_York"));

        // A new store takes the zone of its language when none is given.
        let spanish = services
            .save_store(
                user,
                None,
                invoice::store::StoreInput {
                    name: "Tienda".into(),
                    language: "es".into(),
                    time_zone: String::new(),
                    ..store
                },
            )
            .await
            .expect("saved");
        assert_eq!(
            services
                .get_store(user, spanish)
                .await
                .expect("store")
                .time_zone,
            "Europe/Madrid"
        );
    }
}

#[tokio::test]
async fn the_customers_page_is_published_in_the_stores_zone_with_their_views_folded() {
    for db in databases().await {
        let world = World::new(db).await;
        let (services, user) = (&world.services, world.user());
        let id = issued_invoice(services, &world.merchant).await;
        send(services, user, id, EmailPurpose::Invoice, "k")
            .await
            .expect("queued");
        deliver(services).await;
        let key = world.edge.publications()[0].invoice_key.clone();
        let link_id: String = sqlx::query_scalar("SELECT id FROM links")
            .fetch_one(&world.db.pool)
            .await
            .expect("link");
        // Two visits hours apart (two history entries), and a scanner's.
        let now = now_ms();
        let earlier = EdgeEvent {
            at_ms: now - 2 * 3_600_000,
            ..person_opened(&link_id)
        };
        let machine = EdgeEvent {
            automated: true,
            ..person_opened(&link_id)
        };
        let latest = EdgeEvent {
            at_ms: now,
            ..person_opened(&link_id)
        };
        let body = serde_json::to_vec(&EventBatch {
            events: vec![earlier.clone(), machine, latest],
        })
        .expect("json");
        router(services.clone())
            .oneshot(signed_request(
                "POST",
                EVENTS_PATH,
                &body,
                EDGE_SECRET,
                now / 1000,
            ))
            .await
            .expect("response");
        services.publish_changed_states().await.expect("published");
        let state = world.edge.latest_state(&key).expect("a state");
        assert_eq!(state.time_zone, zone("Europe/Rome"));
        let opens: Vec<_> = state
            .history
            .iter()
            .filter(|event| event.kind == PublicEventKind::Opened)
            .collect();
        assert_eq!(opens.len(), 1, "folded: {:?}", state.history);
        assert_eq!(opens[0].count, 2, "the scanner's is not the customer's");
        assert_eq!(opens[0].at_ms, earlier.at_ms);
        assert_eq!(opens[0].last_at(), now);

        // A new zone is a change the customer sees: published again.
        world
            .configure_store(|store| store.time_zone = "America/Santiago".into())
            .await;
        assert_eq!(
            services.publish_changed_states().await.expect("published"),
            1
        );
        let state = world.edge.latest_state(&key).expect("a state");
        assert_eq!(state.time_zone, zone("America/Santiago"));
    }
}
