//! Credit notes aimed where they must not go: at another organisation's
//! invoice, beyond what an invoice has left (two at once for the whole of
//! it), at a draft or a void invoice, at more of a line than it has.

use app::api::{AdminBackend, AdminError};
use invoice::credit_note::{CreditNoteInput, LINES, WHOLE};
use invoice::problem::Problem;

use super::{count, refusal};
use crate::support::{databases, draft, sign_up, World};

fn whole(reason: &str) -> CreditNoteInput {
    CreditNoteInput {
        scope: WHOLE.into(),
        quantities: Vec::new(),
        reason: reason.into(),
        ground: String::new(),
    }
}

async fn credit_notes(world: &World) -> i64 {
    count(
        &world.db,
        "SELECT COUNT(*) FROM invoices WHERE kind = 'credit_note'",
    )
    .await
}

#[tokio::test]
async fn crediting_another_organisations_invoice_is_not_found() {
    for db in databases().await {
        let world = World::new(db).await;
        let theirs = world.issued().await;
        let other = sign_up(&world.services, "other@negozio.es", "cliente@example.es").await;
        assert_eq!(
            world
                .services
                .issue_credit_note(&other.owner, theirs, whole("Not mine"))
                .await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            world
                .services
                .credit_note_form(&other.owner, theirs)
                .await
                .map(|_| ()),
            Err(AdminError::NotFound)
        );
        assert_eq!(credit_notes(&world).await, 0);
    }
}

#[tokio::test]
async fn two_credit_notes_at_once_for_the_whole_invoice_issue_exactly_one() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        let (first, second) = tokio::join!(
            world
                .services
                .issue_credit_note(world.user(), id, whole("Returned")),
            world
                .services
                .issue_credit_note(world.user(), id, whole("Returned")),
        );
        let (issued, refused): (Vec<_>, Vec<_>) =
            [first, second].into_iter().partition(Result::is_ok);
        assert_eq!((issued.len(), refused.len()), (1, 1), "{refused:?}");
        assert_eq!(
            refusal(refused.into_iter().next().expect("one"), "invoice"),
            Problem::FullyCredited
        );
        assert_eq!(credit_notes(&world).await, 1);
        let invoice = world
            .services
            .get_invoice(world.user(), id)
            .await
            .expect("invoice");
        assert_eq!(invoice.credited, invoice.total);
        // The refused one gave its number back: the series moved once.
        assert_eq!(
            count(&world.db, "SELECT MAX(last_number) FROM credit_note_series").await,
            1
        );
    }
}

#[tokio::test]
async fn a_draft_and_a_void_invoice_are_never_credited() {
    for db in databases().await {
        let world = World::new(db).await;
        let draft_id = world
            .services
            .save_draft(world.user(), None, 0, draft(&world.merchant))
            .await
            .expect("draft");
        assert_eq!(
            refusal(
                world
                    .services
                    .issue_credit_note(world.user(), draft_id, whole("Early"))
                    .await,
                "invoice"
            ),
            Problem::InvoiceIsDraft
        );
        let void = world.issued().await;
        world
            .services
            .void_invoice(world.user(), void)
            .await
            .expect("voided");
        assert_eq!(
            refusal(
                world
                    .services
                    .issue_credit_note(world.user(), void, whole("Late"))
                    .await,
                "invoice"
            ),
            Problem::AlreadyVoid
        );
        assert_eq!(credit_notes(&world).await, 0);
        assert_eq!(
            count(&world.db, "SELECT COUNT(*) FROM credit_note_series").await,
            0,
            "no number was kept"
        );
    }
}

#[tokio::test]
async fn more_of_a_line_than_it_has_left_is_refused_beside_it() {
    for db in databases().await {
        let world = World::new(db).await;
        let id = world.issued().await;
        let two_of_two = CreditNoteInput {
            scope: LINES.into(),
            quantities: vec!["2".into(), String::new()],
            reason: "Returned".into(),
            ground: String::new(),
        };
        world
            .services
            .issue_credit_note(world.user(), id, two_of_two)
            .await
            .expect("credited");
        let one_more = CreditNoteInput {
            scope: LINES.into(),
            quantities: vec!["1".into(), String::new()],
            reason: "Again".into(),
            ground: String::new(),
        };
        assert_eq!(
            refusal(
                world
                    .services
                    .issue_credit_note(world.user(), id, one_more)
                    .await,
                "quantities[0]"
            ),
            Problem::CreditExceedsLine { remaining_milli: 0 }
        );
        assert_eq!(credit_notes(&world).await, 1);
    }
}
