//! The stand-in for the AEAT's VERI*FACTU service (`tests/support/aeat.rs`)
//! as a process, for `make run` and the end-to-end tests (`end2end/stack.mjs`
//! starts it):
//!
//! `aeat_stand_in <service port> <control port> <folder>`
//!
//! It writes into `<folder>`: `aeat-ca.pem`, the test CA Invio's server must
//! trust as the AEAT's (`VERIFACTU_ROOT_CERTIFICATES`), and
//! `merchant-<NIF>.p12` for the NIFs the tests use, certificates that CA
//! issued (password `invio-e2e`), to upload on a store's page as a merchant
//! uploads the FNMT's file. Its control port (HTTP, 127.0.0.1) answers
//! `POST /availability/{up,refusing,unavailable,suspended}`, `POST
//! /wait/{seconds}` and `GET /records` (what it received, as JSON lines:
//! number, operation, whether the send said Incidencia S). It prints
//! `ready` once both ports listen.

#[allow(dead_code)]
#[path = "../tests/support/aeat.rs"]
mod aeat;

use std::path::PathBuf;
use std::sync::Arc;

use aeat::{AeatStandIn, Availability, TestPki};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

/// The password of the certificates written for the tests.
const PASSWORD: &str = "invio-e2e";
/// The NIFs the end-to-end journeys give their stores.
const MERCHANT_NIFS: [&str; 2] = ["89890001K", "B12345674"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [service, control, folder] = arguments.as_slice() else {
        return Err("usage: aeat_stand_in <service port> <control port> <folder>".into());
    };
    let folder = PathBuf::from(folder);
    std::fs::create_dir_all(&folder)?;
    let pki = Arc::new(TestPki::new());
    std::fs::write(folder.join("aeat-ca.pem"), pki.ca_pem())?;
    for nif in MERCHANT_NIFS {
        let issued = pki.merchant(nif, &format!("COMERCIO {nif}"), (2099, 12, 31));
        std::fs::write(
            folder.join(format!("merchant-{nif}.p12")),
            issued.pkcs12(PASSWORD),
        )?;
    }
    let stand_in = Arc::new(AeatStandIn::start_on(service.parse()?, pki).await);
    let control_routes = axum::Router::new()
        .route("/availability/{state}", post(availability))
        .route("/wait/{seconds}", post(wait))
        .route("/records", get(records))
        .with_state(stand_in.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", control.parse::<u16>()?)).await?;
    println!("ready: {}", stand_in.url);
    axum::serve(listener, control_routes).await?;
    Ok(())
}

async fn availability(
    State(stand_in): State<Arc<AeatStandIn>>,
    Path(state): Path<String>,
) -> StatusCode {
    let availability = match state.as_str() {
        "up" => Availability::Up,
        "refusing" => Availability::Refusing,
        "unavailable" => Availability::Unavailable,
        "suspended" => Availability::Suspended,
        _ => return StatusCode::NOT_FOUND,
    };
    stand_in.set_availability(availability);
    StatusCode::NO_CONTENT
}

async fn wait(State(stand_in): State<Arc<AeatStandIn>>, Path(seconds): Path<u32>) -> StatusCode {
    stand_in.set_wait_seconds(seconds);
    StatusCode::NO_CONTENT
}

async fn records(State(stand_in): State<Arc<AeatStandIn>>) -> String {
    stand_in
        .received()
        .iter()
        .filter(|request| !request.fault)
        .flat_map(|request| {
            request.records.iter().map(|record| {
                serde_json::json!({
                    "number": record.number,
                    "operation": record.operation,
                    "subsanacion": record.subsanacion,
                    "rechazo_previo": record.rechazo_previo,
                    "sin_registro_previo": record.sin_registro_previo,
                    "incident": request.incident,
                })
                .to_string()
            })
        })
        .collect::<Vec<_>>()
        .join("\n")
}
