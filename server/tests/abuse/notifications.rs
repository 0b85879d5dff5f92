//! A stranger with a customer's link cannot make the merchant's notices a
//! flood (`server::notifications`): however often the link is opened and its
//! PDF downloaded, and however often the edge's batches are replayed, each
//! user is emailed at most once per invoice per kind (opened, downloaded),
//! and a digest goes at most once per user per day.

use app::api::AdminBackend;
use invoice::events::{EdgeEvent, EdgeEventKind, EventBatch, EVENTS_PATH, MAX_BATCH_EVENTS};
use invoice::notifications::{EmailChoice, NoticeKind, NotifySettings};
use server::db::now_ms;

use super::{count, sent_invoice, status};
use crate::support::{
    databases, deliver, deliver_at, person_opened, router, signed_request, World, EDGE_SECRET,
};

const DAY_MS: i64 = 86_400_000;
/// Full batches through one link, each delivered twice.
const ROUNDS: usize = 20;

/// Floods `link` with a person's opens and downloads, every batch replayed.
async fn flood(world: &World, link: &str) {
    let router = router(world.services.clone());
    for round in 0..ROUNDS {
        let events: Vec<EdgeEvent> = (0..MAX_BATCH_EVENTS)
            .map(|n| EdgeEvent {
                kind: if (n + round) % 2 == 0 {
                    EdgeEventKind::Opened
                } else {
                    EdgeEventKind::PdfDownloaded
                },
                ..person_opened(link)
            })
            .collect();
        let body = serde_json::to_vec(&EventBatch { events }).expect("json");
        for _ in 0..2 {
            let request = signed_request("POST", EVENTS_PATH, &body, EDGE_SECRET, now_ms() / 1000);
            assert_eq!(status(&router, request).await.as_u16(), 204);
        }
    }
}

#[tokio::test]
async fn thousands_of_opens_and_downloads_through_one_link_email_each_user_once_per_kind_and_one_digest_a_day(
) {
    for db in databases().await {
        let world = World::new(db).await;
        let services = &world.services;
        let settings = |email| NotifySettings { email, live: true };
        services
            .save_notification_settings(world.user(), settings(EmailChoice::Immediately))
            .await
            .expect("settings");
        let (_, link) = sent_invoice(&world).await;
        deliver(services).await;
        flood(&world, &link).await;
        deliver(services).await;
        let notifications = "SELECT COUNT(*) FROM outbox WHERE purpose = 'notification'";
        assert_eq!(
            count(&world.db, notifications).await,
            NoticeKind::ALL.len() as i64,
            "one email per kind, however many events and replays"
        );

        // In a digest the same flood through another invoice is one line per
        // kind, and the digest goes once that day however often it is asked.
        services
            .save_notification_settings(world.user(), settings(EmailChoice::DailyDigest))
            .await
            .expect("settings");
        let (_, other) = sent_invoice(&world).await;
        deliver(services).await;
        flood(&world, &other).await;
        let tomorrow = now_ms() + DAY_MS;
        let mut digests = 0;
        for _ in 0..5 {
            digests += services.send_digests(tomorrow).await.expect("digests");
        }
        assert_eq!(digests, 1);
        deliver_at(services, tomorrow).await;
        assert_eq!(
            count(&world.db, notifications).await,
            NoticeKind::ALL.len() as i64 + 1
        );
        assert_eq!(
            count(&world.db, "SELECT COUNT(*) FROM notifications").await,
            2 * NoticeKind::ALL.len() as i64
        );
    }
}
