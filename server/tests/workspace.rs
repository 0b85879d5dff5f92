//! The merchant workspace on every engine: accounts, stores, customers,
//! drafts, numbering, payments, scoping, and the HTTP guards around them.

mod support;

use std::sync::Arc;

use app::api::{AdminBackend, AdminError, InvoiceFilter, InvoiceSort, OrganisationId, Role};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use invoice::account::NewUserInput;
use invoice::customer::CustomerInput;
use invoice::email::{EmailPurpose, SendInput};
use invoice::payment::PaymentInput;
use invoice::problem::Problem;
use invoice::status::{InvoiceStatus, Lifecycle};
use server::services::Services;
use support::{
    body_bytes, body_text, databases, draft, get, issued_invoice, router, services, sign_up,
    FakeEdge, Merchant,
};
use tower::ServiceExt;

async fn workspaces() -> Vec<(Services, Merchant)> {
    let mut all = Vec::new();
    for db in databases().await {
        let (_edge, edge_url) = FakeEdge::start().await;
        let services = services(db, &edge_url, 9);
        let merchant = sign_up(&services, "owner@bottega.it", "maria@example.es").await;
        all.push((services, merchant));
    }
    all
}

fn problem(error: &AdminError, field: &str) -> Option<Problem> {
    error.field(field).map(|field| field.problem.clone())
}

fn payment(amount: &str) -> PaymentInput {
    PaymentInput {
        amount: amount.into(),
        date: "2026-11-20".into(),
        method: "bank_transfer".into(),
        reference: "CRO 123".into(),
    }
}

#[tokio::test]
async fn an_email_can_own_only_one_account() {
    for (services, _merchant) in workspaces().await {
        services
            .signup(invoice::account::SignupInput {
                business_name: "Other".into(),
                name: "Other".into(),
                email: "OWNER@bottega.it".into(),
                password: "another long password".into(),
                language: "en".into(),
            })
            .await
            .expect("the same answer as a new account");
        let organisations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
            .fetch_one(&services.db.pool)
            .await
            .expect("count");
        assert_eq!(organisations, 1, "no second account");
        services
            .login(
                "owner@bottega.it".into(),
                "another long password".into(),
                "10.0.0.1".into(),
            )
            .await
            .expect_err("the first account's password is unchanged");
    }
}

#[tokio::test]
async fn signing_in_checks_the_password_and_stops_guessing_after_five_failures() {
    for (services, _merchant) in workspaces().await {
        let (_, language) = services
            .login(
                "owner@bottega.it".into(),
                "correct horse battery".into(),
                "10.0.0.1".into(),
            )
            .await
            .expect("signed in");
        assert_eq!(language, invoice::Language::It);
        for _ in 0..5 {
            let wrong = services
                .login(
                    "owner@bottega.it".into(),
                    "wrong password!".into(),
                    "10.0.0.2".into(),
                )
                .await
                .expect_err("refused");
            assert_eq!(problem(&wrong, "password"), Some(Problem::WrongCredentials));
        }
        let limited = services
            .login(
                "owner@bottega.it".into(),
                "correct horse battery".into(),
                "10.0.0.3".into(),
            )
            .await
            .expect_err("rate limited even with the right password");
        assert!(matches!(
            problem(&limited, "password"),
            Some(Problem::TooManyAttempts { .. })
        ));
    }
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_stopped_too() {
    for (services, _merchant) in workspaces().await {
        for attempt in 0..20 {
            let refused = services
                .login(
                    format!("guess{attempt}@bottega.it"),
                    "wrong password!".into(),
                    "10.9.9.9".into(),
                )
                .await
                .expect_err("unknown account");
            assert_eq!(
                problem(&refused, "password"),
                Some(Problem::WrongCredentials)
            );
        }
        let limited = services
            .login(
                "owner@bottega.it".into(),
                "correct horse battery".into(),
                "10.9.9.9".into(),
            )
            .await
            .expect_err("the address is limited");
        assert!(matches!(
            problem(&limited, "password"),
            Some(Problem::TooManyAttempts { .. })
        ));
        services
            .login(
                "owner@bottega.it".into(),
                "correct horse battery".into(),
                "10.9.9.10".into(),
            )
            .await
            .expect("another address still signs in");
    }
}

#[tokio::test]
async fn the_owner_adds_staff_who_share_the_invoices_but_cannot_add_users() {
    for (services, merchant) in workspaces().await {
        let id = issued_invoice(&services, &merchant).await;
        services
            .add_user(
                &merchant.owner,
                NewUserInput {
                    name: "Luca".into(),
                    email: "luca@bottega.it".into(),
                    password: "luca's long password".into(),
                },
            )
            .await
            .expect("staff added");
        let users = services.list_users(&merchant.owner).await.expect("users");
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].role, Role::Staff);

        let (token, _) = services
            .login(
                "luca@bottega.it".into(),
                "luca's long password".into(),
                "10.0.0.9".into(),
            )
            .await
            .expect("staff signs in");
        let staff = server::db::accounts::session_user(
            &services.db,
            &server::auth::token_hash(&token),
            server::db::now_ms(),
        )
        .await
        .expect("lookup")
        .expect("session");
        assert_eq!(staff.organisation, merchant.owner.organisation);
        assert_eq!(
            services.get_invoice(&staff, id).await.expect("shared").id,
            id
        );
        let refused = services
            .add_user(
                &staff,
                NewUserInput {
                    name: "Eve".into(),
                    email: "eve@bottega.it".into(),
                    password: "eve's long password".into(),
                },
            )
            .await;
        assert_eq!(refused, Err(AdminError::OwnerOnly));
    }
}

#[tokio::test]
async fn every_entity_of_another_organisation_is_not_found() {
    for (services, merchant) in workspaces().await {
        let id = issued_invoice(&services, &merchant).await;
        services
            .record_payment(&merchant.owner, id, payment("10"))
            .await
            .expect("paid");
        let payment_id = services
            .get_invoice(&merchant.owner, id)
            .await
            .expect("invoice")
            .payments[0]
            .id;
        let draft_id = services
            .save_draft(&merchant.owner, None, 0, draft(&merchant))
            .await
            .expect("draft");
        let other = sign_up(&services, "other@shop.es", "x@example.es").await;
        let stranger = &other.owner;
        assert_ne!(stranger.organisation, merchant.owner.organisation);

        assert_eq!(
            services.get_store(stranger, merchant.store_id).await,
            Err(AdminError::NotFound)
        );
        let store_input = services
            .get_store(&merchant.owner, merchant.store_id)
            .await
            .expect("store");
        assert_eq!(
            services
                .save_store(stranger, Some(merchant.store_id), store_input)
                .await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services.get_customer(stranger, merchant.customer_id).await,
            Err(AdminError::NotFound)
        );
        let customer_input = services
            .get_customer(&merchant.owner, merchant.customer_id)
            .await
            .expect("customer");
        assert_eq!(
            services
                .save_customer(stranger, Some(merchant.customer_id), customer_input)
                .await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services.get_invoice(stranger, id).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services
                .save_draft(stranger, Some(draft_id), 1, draft(&other))
                .await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services.issue_invoice(stranger, draft_id, 1).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services.void_invoice(stranger, id).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services.duplicate_invoice(stranger, id).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services.record_payment(stranger, id, payment("1")).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services.delete_payment(stranger, id, payment_id).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            AdminBackend::send_form(&services, stranger, id, EmailPurpose::Invoice)
                .await
                .map(|_| ()),
            Err(AdminError::NotFound)
        );
        assert_eq!(
            services
                .send_invoice(
                    stranger,
                    id,
                    EmailPurpose::Invoice,
                    SendInput {
                        to: "maria@example.es".into(),
                        subject: "Fattura".into(),
                        message: String::new(),
                    },
                    "k".into()
                )
                .await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            AdminBackend::revoke_link(&services, stranger, id, "00".into()).await,
            Err(AdminError::NotFound)
        );
        assert_eq!(
            AdminBackend::customer_old_links(&services, stranger, merchant.customer_id)
                .await
                .map(|_| ()),
            Err(AdminError::NotFound)
        );
        assert_eq!(
            AdminBackend::revoke_old_links(&services, stranger, merchant.customer_id).await,
            Err(AdminError::NotFound)
        );
        assert!(services
            .list_invoices(stranger, InvoiceFilter::default())
            .await
            .expect("list")
            .rows
            .is_empty());
        assert!(services
            .list_customers(stranger, String::new(), None)
            .await
            .expect("list")
            .rows
            .iter()
            .all(|c| c.id != merchant.customer_id));
        // A draft may not name a store or customer of another organisation either.
        let mut foreign = draft(&other);
        foreign.customer_id = merchant.customer_id.to_string();
        let refused = services
            .save_draft(stranger, None, 0, foreign)
            .await
            .expect_err("refused");
        assert_eq!(
            problem(&refused, "customer_id"),
            Some(Problem::UnknownCustomer)
        );
    }
}

#[tokio::test]
async fn a_draft_saved_by_someone_else_meanwhile_is_not_overwritten() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let id = services
            .save_draft(user, None, 0, draft(&merchant))
            .await
            .expect("created");
        let mut first = draft(&merchant);
        first.notes = "first edit".into();
        services
            .save_draft(user, Some(id), 1, first)
            .await
            .expect("saved at version 1");
        let mut stale = draft(&merchant);
        stale.notes = "stale edit".into();
        let refused = services
            .save_draft(user, Some(id), 1, stale)
            .await
            .expect_err("stale");
        assert_eq!(problem(&refused, "invoice"), Some(Problem::EditedElsewhere));
        assert_eq!(
            services
                .get_invoice(user, id)
                .await
                .expect("draft")
                .draft
                .notes,
            "first edit"
        );
    }
}

#[tokio::test]
async fn invalid_drafts_are_refused_field_by_field_and_nothing_is_saved() {
    for (services, merchant) in workspaces().await {
        let mut bad = draft(&merchant);
        bad.lines[0].quantity = "-1".into();
        bad.lines[1].tax_rate = "120".into();
        bad.due_date = "not a date".into();
        let refused = services
            .save_draft(&merchant.owner, None, 0, bad)
            .await
            .expect_err("refused");
        assert!(
            problem(&refused, "lines[0].quantity").is_some(),
            "{refused:?}"
        );
        assert!(
            problem(&refused, "lines[1].tax_rate").is_some(),
            "{refused:?}"
        );
        assert!(problem(&refused, "due_date").is_some(), "{refused:?}");
        assert!(services
            .list_invoices(&merchant.owner, InvoiceFilter::default())
            .await
            .expect("list")
            .rows
            .is_empty());
    }
}

#[tokio::test]
async fn issuing_freezes_the_document_with_the_stores_next_number() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let mut store = services
            .get_store(user, merchant.store_id)
            .await
            .expect("store");
        store.number_format = "FT/{YY}/{NNN}".into();
        services
            .save_store(user, Some(merchant.store_id), store)
            .await
            .expect("saved");
        let first = issued_invoice(&services, &merchant).await;
        let second = issued_invoice(&services, &merchant).await;
        let year = invoice::dates::Date::from_unix_millis(server::db::now_ms()).year % 100;
        let first = services.get_invoice(user, first).await.expect("first");
        let second = services.get_invoice(user, second).await.expect("second");
        assert_eq!(
            first.number.as_deref(),
            Some(format!("FT/{year:02}/001").as_str())
        );
        assert_eq!(
            second.number.as_deref(),
            Some(format!("FT/{year:02}/002").as_str())
        );
        assert_eq!(first.lifecycle, Lifecycle::Issued);
        assert_eq!(first.total.minor, 29_900);
        let edit = services
            .save_draft(user, Some(first.id), first.version, draft(&merchant))
            .await;
        assert_eq!(
            edit.map_err(|e| problem(&e, "invoice")),
            Err(Some(Problem::NotEditable))
        );
    }
}

#[tokio::test]
async fn a_numbering_without_the_year_never_restarts() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let mut store = services
            .get_store(user, merchant.store_id)
            .await
            .expect("store");
        store.number_format = "A{NNN}".into();
        services
            .save_store(user, Some(merchant.store_id), store)
            .await
            .expect("saved");
        let mut last_year = draft(&merchant);
        last_year.issue_date = "2025-12-31".into();
        let old = services
            .save_draft(user, None, 0, last_year)
            .await
            .expect("draft");
        services.issue_invoice(user, old, 1).await.expect("issued");
        let new = issued_invoice(&services, &merchant).await;
        let mut issued = Vec::new();
        for id in [old, new] {
            issued.push(
                services
                    .get_invoice(user, id)
                    .await
                    .expect("invoice")
                    .number,
            );
        }
        assert_eq!(issued, [Some("A001".to_owned()), Some("A002".to_owned())]);
    }
}

#[tokio::test]
async fn concurrent_issuing_gives_consecutive_numbers_without_gaps() {
    for (services, merchant) in workspaces().await {
        let services = Arc::new(services);
        let merchant = Arc::new(merchant);
        let mut drafts = Vec::new();
        for _ in 0..12 {
            drafts.push(
                services
                    .save_draft(&merchant.owner, None, 0, draft(&merchant))
                    .await
                    .expect("draft"),
            );
        }
        let tasks: Vec<_> = drafts
            .iter()
            .map(|&id| {
                let services = services.clone();
                let merchant = merchant.clone();
                tokio::spawn(async move { services.issue_invoice(&merchant.owner, id, 1).await })
            })
            .collect();
        for task in tasks {
            task.await.expect("joined").expect("issued");
        }
        let mut numbers = Vec::new();
        for id in drafts {
            let invoice = services
                .get_invoice(&merchant.owner, id)
                .await
                .expect("invoice");
            numbers.push(invoice.number.expect("numbered"));
        }
        numbers.sort();
        let year = invoice::dates::Date::from_unix_millis(server::db::now_ms()).year;
        let expected: Vec<String> = (1..=12).map(|n| format!("{year}-{n:04}")).collect();
        assert_eq!(numbers, expected, "{:?}", services.db.engine);
    }
}

/// The rule that payments never exceed the total is `invoice::transitions`;
/// it is judged on the invoice's state read under the write transaction's
/// lock, so payments recorded at the same moment are judged one after the
/// other and never add up past the total.
#[tokio::test]
async fn payments_recorded_at_the_same_moment_never_add_up_past_the_total() {
    for (services, merchant) in workspaces().await {
        let services = Arc::new(services);
        let merchant = Arc::new(merchant);
        let id = issued_invoice(&services, &merchant).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let services = services.clone();
                let merchant = merchant.clone();
                tokio::spawn(async move {
                    services
                        .record_payment(&merchant.owner, id, payment("60"))
                        .await
                })
            })
            .collect();
        let mut accepted = 0;
        for task in tasks {
            match task.await.expect("joined") {
                Ok(()) => accepted += 1,
                // Refused for what is left: 59.00 once four are in, or
                // nothing when a refusal reads a fully settled invoice.
                Err(error) => assert!(
                    matches!(
                        error.field("amount").map(|field| field.problem.clone()),
                        Some(Problem::NothingDue)
                            | Some(Problem::PaymentExceedsDue {
                                due_minor: 5_900,
                                ..
                            })
                    ),
                    "{error:?}"
                ),
            }
        }
        let invoice = services
            .get_invoice(&merchant.owner, id)
            .await
            .expect("invoice");
        assert_eq!(
            accepted, 4,
            "four of 60.00 fit in 299.00: {:?}",
            services.db.engine
        );
        assert_eq!(invoice.amount_due.minor, 5_900);
        assert_eq!(
            invoice
                .history
                .iter()
                .filter(|entry| entry.event.kind() == "payment_recorded")
                .count(),
            4
        );
    }
}

#[tokio::test]
async fn partial_payments_add_up_to_paid_and_a_deleted_payment_stays_in_the_history() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;
        services
            .record_payment(user, id, payment("100"))
            .await
            .expect("first payment");
        let invoice = services.get_invoice(user, id).await.expect("invoice");
        assert_eq!(invoice.status, InvoiceStatus::PartiallyPaid);
        assert_eq!(invoice.amount_due.minor, 19_900);

        let too_much = services
            .record_payment(user, id, payment("200"))
            .await
            .expect_err("refused");
        assert!(
            matches!(
                problem(&too_much, "amount"),
                Some(Problem::PaymentExceedsDue { .. })
            ),
            "{too_much:?}"
        );

        services
            .record_payment(user, id, payment("199"))
            .await
            .expect("rest");
        let invoice = services.get_invoice(user, id).await.expect("invoice");
        assert_eq!(invoice.status, InvoiceStatus::Paid);
        assert_eq!(invoice.amount_due.minor, 0);

        let first = invoice.payments[0].id;
        services
            .delete_payment(user, id, first)
            .await
            .expect("deleted");
        let invoice = services.get_invoice(user, id).await.expect("invoice");
        assert_eq!(invoice.status, InvoiceStatus::PartiallyPaid);
        assert_eq!(invoice.paid.minor, 19_900);
        assert!(invoice.payments.iter().any(|payment| payment.deleted));
        assert!(invoice
            .history
            .iter()
            .any(|entry| entry.event.kind() == "payment_deleted"));
        assert_eq!(
            services.delete_payment(user, id, first).await,
            Err(AdminError::NotFound)
        );
    }
}

#[tokio::test]
async fn an_unpaid_invoice_past_its_due_date_is_overdue_and_found_by_the_filter() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let mut late = draft(&merchant);
        late.issue_date = "2025-01-10".into();
        late.due_date = "2025-02-10".into();
        let late_id = services
            .save_draft(user, None, 0, late)
            .await
            .expect("draft");
        services
            .issue_invoice(user, late_id, 1)
            .await
            .expect("issued");
        let on_time = issued_invoice(&services, &merchant).await;

        let overdue = services
            .list_invoices(
                user,
                InvoiceFilter {
                    status: "overdue".into(),
                    ..InvoiceFilter::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(
            overdue.rows.iter().map(|row| row.id).collect::<Vec<_>>(),
            [late_id]
        );
        assert_eq!(overdue.rows[0].status, InvoiceStatus::Overdue);
        let unpaid = services
            .list_invoices(
                user,
                InvoiceFilter {
                    status: "unpaid".into(),
                    ..InvoiceFilter::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(unpaid.rows.len(), 2);
        services
            .record_payment(user, on_time, payment("299"))
            .await
            .expect("paid");
        let paid = services
            .list_invoices(
                user,
                InvoiceFilter {
                    status: "paid".into(),
                    ..InvoiceFilter::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(
            paid.rows.iter().map(|row| row.id).collect::<Vec<_>>(),
            [on_time]
        );
    }
}

#[tokio::test]
async fn void_stops_payments_and_duplicate_starts_a_new_draft_with_the_same_lines() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let id = issued_invoice(&services, &merchant).await;
        services.void_invoice(user, id).await.expect("voided");
        assert_eq!(
            services.get_invoice(user, id).await.expect("void").status,
            InvoiceStatus::Void
        );
        let refused = services
            .record_payment(user, id, payment("1"))
            .await
            .expect_err("refused");
        assert_eq!(problem(&refused, "amount"), Some(Problem::AlreadyVoid));
        let copy = services
            .duplicate_invoice(user, id)
            .await
            .expect("duplicated");
        let copy = services.get_invoice(user, copy).await.expect("copy");
        assert_eq!(copy.lifecycle, Lifecycle::Draft);
        assert_eq!(copy.number, None);
        assert_eq!(copy.draft.lines.len(), 2);
        assert_eq!(copy.total.minor, 29_900);
    }
}

#[tokio::test]
async fn the_list_pages_by_keyset_without_repeating_or_skipping_invoices() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let mut expected = Vec::new();
        for _ in 0..(app::api::INVOICE_PAGE_SIZE + 5) {
            expected.push(
                services
                    .save_draft(user, None, 0, draft(&merchant))
                    .await
                    .expect("draft"),
            );
        }
        for sort in [InvoiceSort::Date, InvoiceSort::Customer, InvoiceSort::Total] {
            let mut seen = Vec::new();
            let mut filter = InvoiceFilter {
                sort,
                ..InvoiceFilter::default()
            };
            loop {
                let page = services
                    .list_invoices(user, filter.clone())
                    .await
                    .expect("page");
                seen.extend(page.rows.iter().map(|row| row.id));
                match page.next {
                    Some(next) => filter.after = Some(next),
                    None => break,
                }
            }
            let mut sorted = seen.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), seen.len(), "no repeats ({sort:?})");
            let mut all = expected.clone();
            all.sort_unstable();
            assert_eq!(sorted, all, "nothing skipped ({sort:?})");
        }
        let found = services
            .list_invoices(
                user,
                InvoiceFilter {
                    text: "pérez".into(),
                    ..InvoiceFilter::default()
                },
            )
            .await
            .expect("search");
        assert_eq!(found.rows.len(), app::api::INVOICE_PAGE_SIZE);
        let none = services
            .list_invoices(
                user,
                InvoiceFilter {
                    text: "nobody%".into(),
                    ..InvoiceFilter::default()
                },
            )
            .await
            .expect("search");
        assert!(none.rows.is_empty());
    }
}

#[tokio::test]
async fn customers_are_found_by_name_or_email_and_validated_field_by_field() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let by_email = services
            .list_customers(user, "MARIA@example".into(), None)
            .await
            .expect("search");
        assert_eq!(by_email.rows.len(), 1);
        let by_name = services
            .list_customers(user, "pérez".into(), None)
            .await
            .expect("search");
        assert_eq!(by_name.rows[0].id, merchant.customer_id);
        let refused = services
            .save_customer(
                user,
                None,
                CustomerInput {
                    name: String::new(),
                    email: "maria@gmail".into(),
                    language: "de".into(),
                    email_invoices: true,
                    ..CustomerInput::default()
                },
            )
            .await
            .expect_err("refused");
        for field in ["name", "email", "language"] {
            assert!(problem(&refused, field).is_some(), "{field}: {refused:?}");
        }
    }
}

/// An Italian store's customer: how SdI reaches them is kept, read back as
/// typed, and refused field by field when SdI would refuse it.
#[tokio::test]
async fn a_customers_electronic_invoice_details_are_kept_and_checked_as_sdi_checks_them() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let id = merchant.customer_id;
        let mut input = services.get_customer(user, id).await.expect("customer");
        input.tax_id = "IT01234567897".into();
        input.codice_destinatario = "m5uxcr1".into();
        input.address = "Corso Italia 3\n20122 Milano MI".into();
        services
            .save_customer(user, Some(id), input.clone())
            .await
            .expect("saved");
        let saved = services.get_customer(user, id).await.expect("customer");
        assert_eq!(saved.codice_destinatario, "M5UXCR1");
        assert_eq!(
            (saved.codice_fiscale.as_str(), saved.pec.as_str()),
            ("", "")
        );

        let consumer = CustomerInput {
            name: "Mario Rossi".into(),
            language: "it".into(),
            codice_fiscale: "rssmra80a01h501u".into(),
            pec: "mario.rossi@pec.it".into(),
            address: "Via dei Mille 1\n80121 Napoli NA".into(),
            ..CustomerInput::default()
        };
        let consumer_id = services
            .save_customer(user, None, consumer)
            .await
            .expect("saved");
        let consumer = services
            .get_customer(user, consumer_id)
            .await
            .expect("customer");
        assert_eq!(consumer.codice_fiscale, "RSSMRA80A01H501U");
        assert_eq!(consumer.codice_destinatario, "", "0000000 is the default");
        assert_eq!(consumer.pec, "mario.rossi@pec.it");

        let mut wrong = input;
        wrong.tax_id = "01234567898".into();
        wrong.codice_fiscale = "RSSMRA80A01H501X".into();
        wrong.pec = "bianchi@pec.it".into();
        wrong.address = "Corso Italia 3\nMilano".into();
        let refused = services
            .save_customer(user, Some(id), wrong)
            .await
            .expect_err("refused");
        for field in ["tax_id", "codice_fiscale", "pec", "address"] {
            assert!(problem(&refused, field).is_some(), "{field}: {refused:?}");
        }
        assert_eq!(
            services.get_customer(user, id).await.expect("customer"),
            saved,
            "nothing half saved"
        );
    }
}

#[tokio::test]
async fn store_settings_are_validated_and_nothing_half_saved() {
    for (services, merchant) in workspaces().await {
        let user = &merchant.owner;
        let before = services
            .get_store(user, merchant.store_id)
            .await
            .expect("store");
        let mut bad = before.clone();
        bad.name = "Renamed".into();
        bad.copies_to = "a@example.it; not-an-address".into();
        bad.reply_to = "reply@".into();
        bad.currency = "XYZ".into();
        bad.email_subject = "Invoice\r\nBcc: victim@example.com".into();
        let refused = services
            .save_store(user, Some(merchant.store_id), bad)
            .await
            .expect_err("refused");
        for field in ["copies_to", "reply_to", "currency", "email_subject"] {
            assert!(problem(&refused, field).is_some(), "{field}: {refused:?}");
        }
        assert_eq!(
            services
                .get_store(user, merchant.store_id)
                .await
                .expect("store"),
            before
        );
    }
}

#[tokio::test]
async fn pages_need_a_session_pdfs_download_and_cross_site_posts_are_refused() {
    for (services, merchant) in workspaces().await {
        let id = issued_invoice(&services, &merchant).await;
        let session = merchant.session.clone();
        let router = router(Arc::new(services));

        let anonymous = get(&router, "/invoices", None).await;
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        assert_eq!(anonymous.headers()[header::LOCATION], "/login");
        assert_eq!(
            get(&router, &format!("/invoices/{id}/pdf"), None)
                .await
                .status(),
            StatusCode::SEE_OTHER
        );

        let pdf = get(
            &router,
            &format!("/invoices/{id}/pdf?layout=receipt"),
            Some(&session),
        )
        .await;
        assert_eq!(pdf.status(), StatusCode::OK);
        assert_eq!(pdf.headers()[header::CONTENT_TYPE], "application/pdf");
        assert!(body_bytes(pdf).await.starts_with(b"%PDF"));
        assert_eq!(
            get(&router, "/invoices/999999/pdf", Some(&session))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );

        let cross_site = Request::post("/api/logout")
            .header(header::HOST, "admin.test")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::COOKIE, format!("invio_session={session}"))
            .body(Body::empty())
            .expect("request");
        let refused = router.clone().oneshot(cross_site).await.expect("response");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
}

/// "Preview as the customer": the page the customer's link shows, served to
/// the signed-in merchant, with no link made and nothing recorded.
#[tokio::test]
async fn the_merchant_previews_the_customers_page_without_making_a_link_or_an_event() {
    for (services, merchant) in workspaces().await {
        let id = issued_invoice(&services, &merchant).await;
        let draft = services
            .save_draft(&merchant.owner, None, 0, draft(&merchant))
            .await
            .expect("draft");
        let number = services
            .get_invoice(&merchant.owner, id)
            .await
            .expect("invoice")
            .number
            .expect("issued");
        let db = services.db.clone();
        let counts = || async {
            let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM links")
                .fetch_one(&db.pool)
                .await
                .expect("links");
            let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
                .fetch_one(&db.pool)
                .await
                .expect("events");
            (links, events)
        };
        let before = counts().await;
        let session = merchant.session.clone();
        let language = merchant.owner.language;
        let router = router(Arc::new(services));

        let preview = get(&router, &format!("/invoices/{id}/preview"), Some(&session)).await;
        assert_eq!(preview.status(), StatusCode::OK);
        assert_eq!(
            preview.headers()[header::CACHE_CONTROL],
            "private, no-store"
        );
        let html = body_text(preview).await;
        assert!(html.contains(&number), "{html}");
        let notice = invoice::i18n::text(language, invoice::i18n::Text::PreviewNotice);
        assert!(html.contains(notice), "in the merchant's language: {html}");
        assert!(html.contains(&format!("href=\"/invoices/{id}/pdf\"")));
        assert!(
            !html.contains("data-view"),
            "no page view: nothing it does is reported"
        );
        assert!(!html.contains("customer.js"));
        let css = get(&router, "/assets/customer.css", Some(&session)).await;
        assert_eq!(css.status(), StatusCode::OK);
        assert_eq!(counts().await, before, "no link, no event");

        for (path, status) in [
            (format!("/invoices/{draft}/preview"), StatusCode::NOT_FOUND),
            ("/invoices/999999/preview".to_owned(), StatusCode::NOT_FOUND),
        ] {
            assert_eq!(
                get(&router, &path, Some(&session)).await.status(),
                status,
                "{path}"
            );
        }
        assert_eq!(
            get(&router, &format!("/invoices/{id}/preview"), None)
                .await
                .status(),
            StatusCode::SEE_OTHER,
            "signed-in merchants only"
        );
    }
}

#[tokio::test]
async fn a_foreign_organisation_id_in_the_session_sees_nothing() {
    for (services, merchant) in workspaces().await {
        let mut ghost = merchant.owner.clone();
        ghost.organisation = OrganisationId(i64::MAX);
        assert!(services
            .list_stores(&ghost)
            .await
            .expect("stores")
            .is_empty());
        assert!(services.list_users(&ghost).await.expect("users").is_empty());
    }
}

/// The list's status filter is SQL, the Status column is
/// `invoice::status::derive_status`: over every lifecycle, every amount paid
/// around the total, credit notes of none, part or all of it, and every due
/// date around today, each status filter
/// shows exactly the invoices whose column says that status, on every engine.
#[tokio::test]
async fn each_status_filter_shows_exactly_the_invoices_of_that_status() {
    use invoice::dates::Date;
    use invoice::status::derive_status;
    use server::db::invoices;

    let today = Date {
        year: 2026,
        month: 11,
        day: 15,
    };
    let due_dates = [
        None,
        Some("2026-11-14"),
        Some("2026-11-15"),
        Some("2026-11-16"),
    ];
    let total = 10_000_i64;
    let paid_amounts = [0, 1, total / 2, total - 1, total];
    let credited_amounts = [0, total / 2, total];
    for db in support::databases().await {
        for statement in [
            "INSERT INTO organisations (id, name, created_at) VALUES (1, 'Bottega Rossi', 0)",
            "INSERT INTO stores (id, organisation_id, name, currency, settings, created_at, updated_at)
             VALUES (1, 1, 'Bottega Rossi', 'EUR', '{\"name\":\"Bottega Rossi\"}', 0, 0)",
            "INSERT INTO customers (id, organisation_id, name, search_name, email, language, address, email_invoices, created_at, updated_at)
             VALUES (1, 1, 'Maria Pérez', 'maria pérez', 'maria@example.es', 'es', '', 0, 0, 0)",
        ] {
            sqlx::query(statement).execute(&db.pool).await.expect("setup");
        }
        let mut expected: Vec<(i64, InvoiceStatus)> = Vec::new();
        let mut id = 0_i64;
        for lifecycle in [Lifecycle::Draft, Lifecycle::Issued, Lifecycle::Void] {
            for due in due_dates {
                for (paid, credited) in paid_amounts
                    .into_iter()
                    .flat_map(|paid| credited_amounts.map(|credited| (paid, credited)))
                {
                    id += 1;
                    sqlx::query(
                        "INSERT INTO invoices (id, organisation_id, store_id, customer_id, lifecycle, issue_date, due_date, sort_date,
                                               currency, total_minor, paid_minor, lines, notes, search_text, customer_name, edge_key, created_at, updated_at,
                                               credited_minor)
                         VALUES ($1, 1, 1, 1, $2, '2026-11-01', $3, '2026-11-01', 'EUR', $4, $5, '[]', '', '', 'Maria Pérez', $6, 0, 0, $7)",
                    )
                    .bind(id)
                    .bind(lifecycle.code())
                    .bind(due.map(str::to_owned))
                    .bind(total)
                    .bind(paid)
                    .bind(format!("key-{id}"))
                    .bind(credited)
                    .execute(&db.pool)
                    .await
                    .expect("invoice");
                    let due = due.map(|due| Date::parse(due).expect("a date"));
                    expected.push((
                        id,
                        derive_status(lifecycle, total, paid, credited, due, today),
                    ));
                }
            }
        }
        for status in InvoiceStatus::ALL {
            let mut shown: Vec<i64> = Vec::new();
            let mut filter = InvoiceFilter {
                status: status.code().to_owned(),
                ..InvoiceFilter::default()
            };
            loop {
                let page =
                    invoices::list(&db, OrganisationId(1), &filter, today, server::db::now_ms())
                        .await
                        .expect("list");
                assert!(page.rows.iter().all(|row| row.status == status));
                shown.extend(page.rows.iter().map(|row| row.id));
                match page.next {
                    Some(next) => filter.after = Some(next),
                    None => break,
                }
            }
            shown.sort_unstable();
            let wanted: Vec<i64> = expected
                .iter()
                .filter(|(_, derived)| *derived == status)
                .map(|(id, _)| *id)
                .collect();
            assert!(!wanted.is_empty(), "the grid has {status:?} invoices");
            assert_eq!(shown, wanted, "{status:?} on {:?}", db.engine);
        }
    }
}
