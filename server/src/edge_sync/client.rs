//! The signed HTTP client that puts publications into the worker's KV.

use invoice::events::{Publication, StatePublication, PUBLISH_PATH, STATE_PATH};
use invoice::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};

use crate::db::now_ms;
use crate::error::ServerError;

#[derive(Clone)]
pub struct EdgeClient {
    http: reqwest::Client,
    edge_url: String,
    secret: Vec<u8>,
}

impl EdgeClient {
    pub fn new(edge_url: &str, secret: Vec<u8>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            http,
            edge_url: edge_url.trim_end_matches('/').to_owned(),
            secret,
        }
    }

    /// Sends an issued invoice, its PDF, its links and its state to the
    /// worker's KV.
    pub async fn publish(&self, publication: &Publication) -> Result<(), ServerError> {
        self.put(PUBLISH_PATH, &serde_json::to_vec(publication)?)
            .await
    }

    /// Sends what changed since: the state and the links (revoked or not).
    pub async fn publish_state(&self, publication: &StatePublication) -> Result<(), ServerError> {
        self.put(STATE_PATH, &serde_json::to_vec(publication)?)
            .await
    }

    async fn put(&self, path: &str, body: &[u8]) -> Result<(), ServerError> {
        let timestamp = now_ms() / 1000;
        let signature = signing::sign(&self.secret, "PUT", path, timestamp, body);
        let response = self
            .http
            .put(format!("{}{path}", self.edge_url))
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|error| ServerError::Publish(error.to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(ServerError::Publish(format!(
                "the edge answered {}",
                response.status()
            )))
        }
    }
}
