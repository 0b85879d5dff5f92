//! What one worker isolate keeps between the requests it serves: recently
//! read link records, and the events waiting to leave in the next batch.
//!
//! An isolate serves many requests one after another, and a customer's visit
//! is several of them (the page, the PDF, a reload). Reading the link's
//! record once per visit instead of once per request spares KV reads; sending
//! the events of many requests in one signed batch spares calls to the server.
//! Both are plain types here, tested natively; `lib.rs` keeps one of each per
//! isolate.

use std::cell::RefCell;
use std::collections::HashMap;

use invoice::events::{EdgeEvent, MAX_BATCH_EVENTS};

use crate::handler::{Store, StoreError};

/// How long a link record read from KV is served from the isolate. KV itself
/// is eventually consistent (a write can take up to a minute to reach every
/// location), so this adds no staleness a deployment does not already have;
/// a write through this isolate drops its copy at once.
pub const RECORD_TTL_MS: i64 = 10_000;

/// At most this many records are kept (a record is a few kilobytes).
pub const RECORD_CAPACITY: usize = 1_000;

/// How long the first event of a batch waits for others to join it.
pub const EVENT_GATHER_MS: u64 = 25;

/// Link records recently read, each with the time it was read.
pub struct RecordCache {
    entries: HashMap<String, (i64, String)>,
    ttl_ms: i64,
    capacity: usize,
}

impl RecordCache {
    pub fn new(ttl_ms: i64, capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            ttl_ms,
            capacity,
        }
    }

    pub fn get(&self, key: &str, now_ms: i64) -> Option<String> {
        self.entries
            .get(key)
            .filter(|(read_at, _)| now_ms - read_at < self.ttl_ms)
            .map(|(_, value)| value.clone())
    }

    pub fn insert(&mut self, key: &str, value: String, now_ms: i64) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(key) {
            let ttl_ms = self.ttl_ms;
            self.entries
                .retain(|_, (read_at, _)| now_ms - *read_at < ttl_ms);
            if self.entries.len() >= self.capacity {
                let oldest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (read_at, _))| *read_at)
                    .map(|(key, _)| key.clone());
                if let Some(oldest) = oldest {
                    self.entries.remove(&oldest);
                }
            }
        }
        self.entries.insert(key.to_owned(), (now_ms, value));
    }

    pub fn forget(&mut self, key: &str) {
        self.entries.remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A store whose link records are read through the isolate's cache. Only
/// records that were read are kept: anything written drops the cached copy,
/// so the next read sees the write.
pub struct CachedStore<'a, S> {
    pub inner: S,
    pub cache: &'a RefCell<RecordCache>,
    pub now_ms: i64,
}

fn is_link_record(key: &str) -> bool {
    key.starts_with("link:")
}

impl<S: Store> Store for CachedStore<'_, S> {
    async fn get_text(&self, key: &str) -> Result<Option<String>, StoreError> {
        if !is_link_record(key) {
            return self.inner.get_text(key).await;
        }
        if let Some(value) = self.cache.borrow().get(key, self.now_ms) {
            return Ok(Some(value));
        }
        let value = self.inner.get_text(key).await?;
        if let Some(value) = &value {
            self.cache
                .borrow_mut()
                .insert(key, value.clone(), self.now_ms);
        }
        Ok(value)
    }
    async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get_bytes(key).await
    }
    async fn put_text(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.cache.borrow_mut().forget(key);
        self.inner.put_text(key, value).await
    }
    async fn put_bytes(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.cache.borrow_mut().forget(key);
        self.inner.put_bytes(key, value).await
    }
    async fn put_expiring(
        &self,
        key: &str,
        value: &str,
        ttl_seconds: u64,
    ) -> Result<(), StoreError> {
        self.cache.borrow_mut().forget(key);
        self.inner.put_expiring(key, value, ttl_seconds).await
    }
}

/// The next batch to send: the oldest waiting events, at most as many as the
/// server takes in one batch.
pub fn next_batch(waiting: &mut Vec<EdgeEvent>) -> Vec<EdgeEvent> {
    let size = waiting.len().min(MAX_BATCH_EVENTS);
    waiting.drain(..size).collect()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use futures::executor::block_on;

    use super::*;

    const NOW: i64 = 1_795_355_400_000;

    #[test]
    fn a_record_is_served_until_its_time_runs_out() {
        let mut cache = RecordCache::new(1_000, 10);
        cache.insert("link:a", "record".into(), NOW);
        assert_eq!(cache.get("link:a", NOW + 999).as_deref(), Some("record"));
        assert_eq!(cache.get("link:a", NOW + 1_000), None);
        assert_eq!(cache.get("link:b", NOW), None);
    }

    #[test]
    fn a_full_cache_drops_expired_records_then_the_oldest() {
        let mut cache = RecordCache::new(1_000, 3);
        cache.insert("link:old", "1".into(), NOW);
        cache.insert("link:b", "2".into(), NOW + 600);
        cache.insert("link:c", "3".into(), NOW + 700);
        // At NOW + 1_200 the first one has expired: only it goes.
        cache.insert("link:d", "4".into(), NOW + 1_200);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("link:old", NOW + 1_200), None);
        assert!(cache.get("link:b", NOW + 1_200).is_some());
        // Nothing has expired at NOW + 1_300: the oldest (b) makes room.
        cache.insert("link:e", "5".into(), NOW + 1_300);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("link:b", NOW + 1_300), None);
        for key in ["link:c", "link:d", "link:e"] {
            assert!(cache.get(key, NOW + 1_300).is_some(), "{key}");
        }
    }

    #[derive(Default)]
    struct MapStore {
        values: RefCell<HashMap<String, String>>,
        reads: Cell<usize>,
    }

    impl Store for &MapStore {
        async fn get_text(&self, key: &str) -> Result<Option<String>, StoreError> {
            self.reads.set(self.reads.get() + 1);
            Ok(self.values.borrow().get(key).cloned())
        }
        async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            self.reads.set(self.reads.get() + 1);
            Ok(self
                .values
                .borrow()
                .get(key)
                .map(|v| v.clone().into_bytes()))
        }
        async fn put_text(&self, key: &str, value: &str) -> Result<(), StoreError> {
            self.values
                .borrow_mut()
                .insert(key.to_owned(), value.to_owned());
            Ok(())
        }
        async fn put_bytes(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
            self.put_text(key, &String::from_utf8_lossy(value)).await
        }
        async fn put_expiring(&self, key: &str, value: &str, _: u64) -> Result<(), StoreError> {
            self.put_text(key, value).await
        }
    }

    #[test]
    fn link_records_are_read_once_while_fresh_and_again_after_a_write() {
        let kv = MapStore::default();
        let cache = RefCell::new(RecordCache::new(RECORD_TTL_MS, RECORD_CAPACITY));
        let at = |now_ms| CachedStore {
            inner: &kv,
            cache: &cache,
            now_ms,
        };
        block_on(async {
            at(NOW).put_text("link:a", "first").await.expect("put");
            for _ in 0..3 {
                assert_eq!(
                    at(NOW).get_text("link:a").await.expect("get").as_deref(),
                    Some("first")
                );
            }
            assert_eq!(kv.reads.get(), 1, "one KV read for three views");

            // A revocation published through this isolate is seen at once.
            at(NOW + 1)
                .put_text("link:a", "revoked")
                .await
                .expect("put");
            assert_eq!(
                at(NOW + 2)
                    .get_text("link:a")
                    .await
                    .expect("get")
                    .as_deref(),
                Some("revoked")
            );
            assert_eq!(kv.reads.get(), 2);

            // Written elsewhere (another isolate): seen once the copy expires.
            kv.values
                .borrow_mut()
                .insert("link:a".into(), "paid".into());
            let later = NOW + 2 + RECORD_TTL_MS;
            assert_eq!(
                at(later).get_text("link:a").await.expect("get").as_deref(),
                Some("paid")
            );
        });
    }

    #[test]
    fn only_link_records_are_cached_and_a_missing_record_is_not() {
        let kv = MapStore::default();
        let cache = RefCell::new(RecordCache::new(RECORD_TTL_MS, RECORD_CAPACITY));
        let store = CachedStore {
            inner: &kv,
            cache: &cache,
            now_ms: NOW,
        };
        block_on(async {
            store.put_text("state:inv", "s").await.expect("put");
            store.get_text("state:inv").await.expect("get");
            store.get_text("state:inv").await.expect("get");
            assert_eq!(kv.reads.get(), 2);
            assert_eq!(store.get_text("link:none").await.expect("get"), None);
            kv.values
                .borrow_mut()
                .insert("link:none".into(), "arrived".into());
            assert_eq!(
                store.get_text("link:none").await.expect("get").as_deref(),
                Some("arrived")
            );
        });
        assert_eq!(cache.borrow().len(), 1);
    }

    fn event(n: usize) -> EdgeEvent {
        EdgeEvent {
            id: format!("{n:032x}"),
            link_id: "07".repeat(16),
            kind: invoice::events::EdgeEventKind::LinkFetched,
            automated: false,
            at_ms: NOW,
            device: invoice::events::DeviceClass::Desktop,
            browser: "Chrome".into(),
            clues: Vec::new(),
        }
    }

    #[test]
    fn batches_leave_oldest_first_and_no_larger_than_the_server_takes() {
        let mut waiting: Vec<EdgeEvent> = (0..MAX_BATCH_EVENTS + 5).map(event).collect();
        let first = next_batch(&mut waiting);
        assert_eq!(first.len(), MAX_BATCH_EVENTS);
        assert_eq!(first[0], event(0));
        assert_eq!(
            next_batch(&mut waiting),
            (MAX_BATCH_EVENTS..MAX_BATCH_EVENTS + 5)
                .map(event)
                .collect::<Vec<_>>()
        );
        assert!(next_batch(&mut waiting).is_empty());
    }
}
