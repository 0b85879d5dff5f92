//! Prints, as JSON, a signed publication of a 10-line invoice and the tokens
//! of its links, for measuring the edge without the server
//! (`end2end/bench-edge.mjs`).
//!
//! `cargo run -p invoice --features pdf --example edge_fixture -- <LINK_SIGNING_KEYS> <EDGE_SHARED_SECRET> <unix seconds> [links]`

use base64::Engine;
use invoice::dates::Date;
use invoice::document::{totals, DocumentLayout, DocumentLine, Party, PublicDocument};
use invoice::events::{PublicState, Publication, PublishedLink, Recipient, PUBLISH_PATH};
use invoice::link::{KeyRing, LinkId};
use invoice::signing;
use invoice::{Currency, Language};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (keys, secret, now, links) = match args.as_slice() {
        [keys, secret, now] => (keys, secret, now, "1"),
        [keys, secret, now, links] => (keys, secret, now, links.as_str()),
        _ => {
            eprintln!(
                "usage: edge_fixture <LINK_SIGNING_KEYS> <EDGE_SHARED_SECRET> <unix seconds> [links]"
            );
            std::process::exit(2);
        }
    };
    let links: u32 = links.parse().unwrap_or_else(|_| {
        eprintln!("the number of links must be a whole number");
        std::process::exit(2)
    });
    let keys = KeyRing::parse(keys).unwrap_or_else(|error| {
        eprintln!("LINK_SIGNING_KEYS: {error}");
        std::process::exit(2)
    });
    let now: i64 = now.parse().unwrap_or_else(|_| {
        eprintln!("the time must be unix seconds");
        std::process::exit(2)
    });

    let lines: Vec<DocumentLine> = (1..=10)
        .map(|n| DocumentLine {
            description: format!("Articolo {n} — consulenza e sviluppo"),
            quantity_milli: 1_000 + n * 250,
            unit_price_minor: 1_990 + n * 100,
            tax_rate_bp: if n % 3 == 0 { 1_000 } else { 2_200 },
            natura: None,
            treatment: None,
        })
        .collect();
    let document = PublicDocument {
        language: Language::It,
        number: "2026-0042".into(),
        issue_date: Date::from_unix_millis(now * 1000),
        due_date: Some(Date::from_unix_millis(now * 1000).add_days(30)),
        currency: Currency::Eur,
        seller: Party {
            name: "Bottega Rossi".into(),
            address: vec!["Via Roma 1".into(), "20121 Milano".into()],
            tax_id: Some("IT01234567890".into()),
        },
        customer: Party {
            name: "Maria Pérez".into(),
            ..Default::default()
        },
        totals: totals(&lines, Currency::Eur).expect("totals"),
        lines,
        notes: String::new(),
        legal_channel: None,
        corrects: None,
        tax_agency_check: None,
        simplified: false,
    };
    // New links each second, so runs never collide in the edge's store.
    let link_ids: Vec<LinkId> = (0..links)
        .map(|n| {
            let mut id = [7_u8; 16];
            id[..8].copy_from_slice(&now.to_be_bytes());
            id[8..12].copy_from_slice(&n.to_be_bytes());
            LinkId(id)
        })
        .collect();
    let pdf = invoice::pdf::render(&document, Default::default(), DocumentLayout::A4);
    let publication = Publication {
        invoice_key: format!("bench-{now}-{links}"),
        document,
        pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        links: link_ids
            .iter()
            .map(|link| PublishedLink {
                link_id: link.to_hex(),
                recipient: Recipient::Customer,
                revoked: false,
            })
            .collect(),
        state: PublicState::issued(),
    };
    let body = serde_json::to_string(&publication).expect("json");
    let signature = signing::sign(secret.as_bytes(), "PUT", PUBLISH_PATH, now, body.as_bytes());
    println!(
        "{}",
        serde_json::json!({
            "path": PUBLISH_PATH,
            "timestamp": now.to_string(),
            "signature": signature,
            "body": body,
            "tokens": link_ids.iter().map(|link| keys.sign(*link)).collect::<Vec<_>>(),
        })
    );
}
