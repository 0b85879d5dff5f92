//! The visitors' corpus (`corpus/visitors.json`): how mail scanners, link
//! previewers, scripts and real people visit an invoice link, replayed
//! through the edge's own request handler (`edge::handler::respond`, the
//! code the Worker runs, with an in-memory KV) and the server's real event
//! ingest, on every engine. Each case is its own send; its steps happen at
//! their stated seconds after the email left the outbox.
//!
//! The goal, asserted: no machine recorded as a person, every person
//! recorded. The figures are printed as a table row for `make bench`
//! (BENCHMARKS.md, "tracking accuracy").

mod support;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use edge::handler::{self, EdgeRequest, Origin, Secrets, Store, StoreError};
use invoice::events::{EdgeEvent, EventBatch, Publication, EVENTS_PATH, LINK_LOOKUP_PATH};
use invoice::link::{KeyRing, LinkId};
use serde::Deserialize;
use server::db::now_ms;
use support::*;
use tower::ServiceExt;

#[derive(Deserialize)]
struct Corpus {
    agents: HashMap<String, String>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    nature: Nature,
    #[serde(default = "one")]
    recipients: usize,
    #[serde(default)]
    person_did: Vec<String>,
    steps: Vec<Step>,
}

fn one() -> usize {
    1
}

#[derive(Deserialize, PartialEq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Nature {
    Machine,
    Person,
}

#[derive(Deserialize)]
struct Step {
    after_s: i64,
    link: usize,
    request: String,
    agent: String,
    asn: Option<u32>,
    organisation: Option<String>,
    purpose: Option<String>,
    #[serde(default)]
    gesture: bool,
    #[serde(default)]
    visible_ms: u32,
    #[serde(default)]
    interacted: bool,
    #[serde(default)]
    webdriver: bool,
}

/// KV as the edge sees it, in memory.
#[derive(Default)]
struct MemoryKv(RefCell<HashMap<String, Vec<u8>>>);

impl Store for MemoryKv {
    async fn get_text(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .0
            .borrow()
            .get(key)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned()))
    }
    async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.borrow().get(key).cloned())
    }
    async fn put_text(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.put_bytes(key, value.as_bytes()).await
    }
    async fn put_bytes(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0.borrow_mut().insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    async fn put_expiring(&self, key: &str, value: &str, _ttl: u64) -> Result<(), StoreError> {
        self.put_text(key, value).await
    }
}

/// The server, asked by the edge through its signed link lookup.
struct Server(axum::Router);

impl Origin for Server {
    async fn publication(&self, link_id: &str) -> Result<Option<Publication>, StoreError> {
        let path = format!("{LINK_LOOKUP_PATH}/{link_id}");
        let response = self
            .0
            .clone()
            .oneshot(signed_request(
                "GET",
                &path,
                b"",
                EDGE_SECRET,
                now_ms() / 1000,
            ))
            .await
            .map_err(|error| StoreError(error.to_string()))?;
        match response.status() {
            StatusCode::OK => serde_json::from_slice(&body_bytes(response).await)
                .map(Some)
                .map_err(|error| StoreError(error.to_string())),
            StatusCode::NOT_FOUND => Ok(None),
            status => Err(StoreError(format!("lookup answered {status}"))),
        }
    }
    async fn request_fresh_link(&self, _link_id: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The request a step makes, as the Worker would build it.
fn edge_request(
    corpus: &Corpus,
    step: &Step,
    token: &str,
    view: Option<&str>,
    at_ms: i64,
    nonce: u8,
) -> EdgeRequest {
    let agent = corpus
        .agents
        .get(&step.agent)
        .unwrap_or_else(|| panic!("agent {} is in the corpus's list", step.agent));
    let mut headers = vec![("user-agent".to_owned(), agent.clone())];
    if let Some(purpose) = &step.purpose {
        headers.push(("sec-purpose".into(), purpose.clone()));
    }
    if step.gesture {
        headers.push(("sec-fetch-user".into(), "?1".into()));
    }
    let view = view.unwrap_or_default();
    let (method, path, query, body) = match step.request.as_str() {
        "page" => ("GET", format!("/i/{token}"), String::new(), Vec::new()),
        "head" => ("HEAD", format!("/i/{token}"), String::new(), Vec::new()),
        "pdf" => (
            "GET",
            format!("/i/{token}/pdf"),
            format!("view={view}"),
            Vec::new(),
        ),
        "presence" => (
            "POST",
            format!("/i/{token}/presence"),
            String::new(),
            format!(
                r#"{{"view":"{view}","visible_ms":{},"interacted":{},"webdriver":{}}}"#,
                step.visible_ms, step.interacted, step.webdriver
            )
            .into_bytes(),
        ),
        "print" => (
            "POST",
            format!("/i/{token}/printed"),
            String::new(),
            format!(r#"{{"view":"{view}","webdriver":{}}}"#, step.webdriver).into_bytes(),
        ),
        other => panic!("unknown request {other}"),
    };
    EdgeRequest {
        method: method.into(),
        path,
        query,
        headers,
        body,
        body_over_limit: false,
        now_ms: at_ms,
        random_id: [nonce; 16],
        asn: step.asn,
        as_organization: step.organisation.clone(),
    }
}

/// The page view the edge signed into a page it served.
fn view_in(page: &[u8]) -> Option<String> {
    let html = String::from_utf8_lossy(page);
    let start = html.find("data-view=\"")? + "data-view=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// What one case left in its invoice's history: the kinds a person did
/// (by the server's verdict), and every entry for the failure message.
async fn recorded(db: &server::db::Db, invoice_id: i64) -> (BTreeSet<String>, Vec<String>) {
    let rows: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT kind, automated, detail FROM events
         WHERE invoice_id = $1 AND link_id IS NOT NULL ORDER BY at",
    )
    .bind(invoice_id)
    .fetch_all(&db.pool)
    .await
    .expect("events");
    let by_person = rows
        .iter()
        .filter(|(kind, automated, _)| *automated == 0 && kind != "link_fetched")
        .map(|(kind, _, _)| kind.clone())
        .collect();
    let all = rows
        .iter()
        .map(|(kind, automated, detail)| {
            format!(
                "{kind} {} {}",
                if *automated == 1 { "machine" } else { "person" },
                detail.clone().unwrap_or_default()
            )
        })
        .collect();
    (by_person, all)
}

#[tokio::test]
async fn every_visitor_of_the_corpus_is_recorded_as_what_it_is() {
    let corpus: Corpus =
        serde_json::from_str(include_str!("corpus/visitors.json")).expect("the corpus reads");
    let secrets = Secrets {
        link_keys: KeyRing::parse(LINK_KEYS).expect("keys"),
        edge_secret: EDGE_SECRET.to_vec(),
    };
    for db in databases().await {
        let engine = format!("{:?}", db.engine);
        let world = World::new(db).await;
        let router = router(world.services.clone());
        let origin = Server(router.clone());
        let mut machines = (0, Vec::new());
        let mut people = (0, Vec::new());
        for (number, case) in corpus.cases.iter().enumerate() {
            let invoice_id = world.issued().await;
            send_to_many(
                &world.services,
                world.user(),
                invoice_id,
                case.recipients,
                &format!("case{number}"),
            )
            .await;
            deliver(&world.services).await;
            let links: Vec<(String, i64)> = sqlx::query_as(
                "SELECT links.id, outbox.sent_at FROM links JOIN outbox ON outbox.link_id = links.id
                 WHERE links.invoice_id = $1 ORDER BY links.email",
            )
            .bind(invoice_id)
            .fetch_all(&world.db.pool)
            .await
            .expect("links");
            assert_eq!(links.len(), case.recipients, "{}", case.name);
            let kv = MemoryKv::default();
            let mut views: HashMap<usize, String> = HashMap::new();
            for (index, step) in case.steps.iter().enumerate() {
                let (link_id, sent_at) = &links[step.link];
                let link = LinkId::from_hex(link_id).expect("link id");
                let token = secrets.link_keys.sign(link);
                let request = edge_request(
                    &corpus,
                    step,
                    &token,
                    views.get(&step.link).map(String::as_str),
                    sent_at + step.after_s * 1000,
                    u8::try_from(index).expect("few steps"),
                );
                let response = handler::respond(&request, &kv, &origin, &secrets)
                    .await
                    .expect("the edge answers");
                assert!(
                    response.status < 400,
                    "{}: step {index} answered {}",
                    case.name,
                    response.status
                );
                if step.request == "page" {
                    views.extend(view_in(&response.body).map(|view| (step.link, view)));
                }
                ingest(&router, number, index, response.events).await;
            }
            let (by_person, entries) = recorded(&world.db, invoice_id).await;
            match case.nature {
                Nature::Machine => {
                    machines.0 += 1;
                    if !by_person.is_empty() {
                        machines.1.push(format!("{}: {entries:?}", case.name));
                    }
                }
                Nature::Person => {
                    people.0 += 1;
                    let missed: Vec<&String> = case
                        .person_did
                        .iter()
                        .filter(|kind| !by_person.contains(*kind))
                        .collect();
                    if !missed.is_empty() {
                        people
                            .1
                            .push(format!("{}: missed {missed:?} in {entries:?}", case.name));
                    }
                }
            }
        }
        println!(
            "| tracking accuracy, visitors' corpus ({} machines, {} people) replayed through the edge and ingest, {engine} | {} of {} machines recorded as a person; {} of {} people missed | goal 0 and 0 |",
            machines.0,
            people.0,
            machines.1.len(),
            machines.0,
            people.1.len(),
            people.0
        );
        assert!(
            machines.1.is_empty(),
            "machines recorded as a person: {:#?}",
            machines.1
        );
        assert!(people.1.is_empty(), "people missed: {:#?}", people.1);
    }
}

/// Forwards a step's events as the Worker does: a signed batch.
async fn ingest(router: &axum::Router, case: usize, step: usize, events: Vec<EdgeEvent>) {
    if events.is_empty() {
        return;
    }
    // The handler's ids come from the request's randomness, which the
    // replay fixes: make them unique per case and step.
    let events = events
        .into_iter()
        .map(|event| EdgeEvent {
            id: format!("case{case}-step{step}"),
            ..event
        })
        .collect();
    let body = serde_json::to_vec(&EventBatch { events }).expect("json");
    let response = router
        .clone()
        .oneshot(signed_request(
            "POST",
            EVENTS_PATH,
            &body,
            EDGE_SECRET,
            now_ms() / 1000,
        ))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}
