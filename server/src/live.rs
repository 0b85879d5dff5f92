//! The change feeds behind `GET /api/changes` (`crate::http::changes`):
//! server-sent events that tell the merchant's open
//! pages something changed in their organisation (an email delivered, an
//! invoice opened, a payment recorded), so they refresh at once.
//!
//! The change may have been ingested by another server instance, so it is
//! read from the organisation's change counter in the database; but one
//! watcher per organisation and process reads it, once a second, and feeds
//! every open tab of that organisation. Open tabs never multiply queries,
//! and a session may hold only a few feeds open at once.
//!
//! The same watcher reads the organisation's new notices to its users (a
//! customer first opened or downloaded an invoice: `crate::notifications`)
//! when the counter moves, and hands each feed the recent ones; a feed tells
//! its own user of those newer than when it opened.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use invoice::organisation::OrganisationId;
use tokio::sync::watch;

use crate::db::events::change_version;
use crate::db::notifications::{latest_id, live_since, LiveNotice};
use crate::db::Db;
use crate::error::ServerError;

/// How often an organisation's watcher looks at the counter.
const POLL: Duration = Duration::from_secs(1);
/// Feeds one session may hold open at once: a few tabs, not a flood.
pub const MAX_FEEDS_PER_SESSION: usize = 5;
/// The newest notices a watcher keeps for its feeds, and reads at most per
/// round: a feed more than this behind tells only the newest.
const RECENT_NOTICES: usize = 20;

/// What an organisation's watcher last read: its change counter and its
/// newest notices, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub version: i64,
    pub notices: Arc<Vec<LiveNotice>>,
}

impl Snapshot {
    /// The newest notice's id; 0 before any.
    pub fn newest_notice(&self) -> i64 {
        self.notices.last().map_or(0, |live| live.id)
    }
}

/// The organisations watched by this process, and the feeds open per session.
#[derive(Default)]
pub struct Hub {
    state: Arc<Mutex<HubState>>,
    watchers_started: AtomicUsize,
}

#[derive(Default)]
struct HubState {
    organisations: HashMap<i64, Watched>,
    feeds_per_session: HashMap<String, usize>,
}

struct Watched {
    /// Kept so the watcher runs while any feed of the organisation is open.
    versions: watch::Receiver<Option<Snapshot>>,
    feeds: usize,
}

/// One open feed: the organisation's versions, and its place in the counts
/// until it is dropped.
pub struct Feed {
    pub(crate) versions: watch::Receiver<Option<Snapshot>>,
    /// The newest notice the feed's tab knows of: it is told newer ones only.
    pub(crate) notices_seen: i64,
    _lease: Lease,
}

struct Lease {
    state: Arc<Mutex<HubState>>,
    organisation: i64,
    session: String,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(feeds) = state.feeds_per_session.get_mut(&self.session) {
            *feeds -= 1;
            if *feeds == 0 {
                state.feeds_per_session.remove(&self.session);
            }
        }
        if let Some(watched) = state.organisations.get_mut(&self.organisation) {
            watched.feeds -= 1;
            if watched.feeds == 0 {
                // Its receivers all gone, the watcher stops after its round.
                state.organisations.remove(&self.organisation);
            }
        }
    }
}

impl Hub {
    /// Watchers this process started so far, one per organisation while
    /// any of its feeds is open.
    pub fn watchers_started(&self) -> usize {
        self.watchers_started.load(Ordering::Relaxed)
    }

    /// Opens a feed of the organisation for a session; None when the
    /// session already holds [`MAX_FEEDS_PER_SESSION`].
    pub fn open(&self, db: &Db, organisation: OrganisationId, session: &str) -> Option<Feed> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let session_feeds = state
            .feeds_per_session
            .entry(session.to_owned())
            .or_default();
        if *session_feeds >= MAX_FEEDS_PER_SESSION {
            return None;
        }
        *session_feeds += 1;
        let watched = state
            .organisations
            .entry(organisation.0)
            .or_insert_with(|| {
                let (sender, versions) = watch::channel(None);
                self.watchers_started.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(watch_organisation(db.clone(), organisation, sender));
                Watched { versions, feeds: 0 }
            });
        watched.feeds += 1;
        let mut versions = watched.versions.clone();
        // A new feed hears the current version at once.
        versions.mark_changed();
        let notices_seen = versions
            .borrow()
            .as_ref()
            .map_or(0, Snapshot::newest_notice);
        Some(Feed {
            versions,
            notices_seen,
            _lease: Lease {
                state: self.state.clone(),
                organisation: organisation.0,
                session: session.to_owned(),
            },
        })
    }
}

/// Reads the organisation's change counter each second and tells every
/// feed when it moved, with the notices made since; stops when no feed is
/// left.
async fn watch_organisation(
    db: Db,
    organisation: OrganisationId,
    sender: watch::Sender<Option<Snapshot>>,
) {
    // Notices before the watcher started are not news to any feed.
    let mut newest_read: Option<i64> = None;
    let mut recent: Vec<LiveNotice> = Vec::new();
    loop {
        match read_round(&db, organisation, &sender, &mut newest_read, &mut recent).await {
            Ok(Some(snapshot)) => {
                sender.send_replace(Some(snapshot));
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "the change feed cannot read the database"),
        }
        tokio::select! {
            () = sender.closed() => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One round of a watcher: the new snapshot when the counter moved. The
/// counter counts as read only with the notices it brought, so a round that
/// failed between the two is done again.
async fn read_round(
    db: &Db,
    organisation: OrganisationId,
    sender: &watch::Sender<Option<Snapshot>>,
    newest_read: &mut Option<i64>,
    recent: &mut Vec<LiveNotice>,
) -> Result<Option<Snapshot>, ServerError> {
    let version = change_version(db, organisation).await?;
    if sender
        .borrow()
        .as_ref()
        .is_some_and(|seen| seen.version == version)
    {
        return Ok(None);
    }
    match *newest_read {
        None => *newest_read = Some(latest_id(db, organisation).await?),
        Some(after) => {
            // On Postgres an id can commit after a higher one was read: that
            // rare notice is not shown live (its email goes all the same).
            let fresh = live_since(db, organisation, after, RECENT_NOTICES as i64).await?;
            if let Some(last) = fresh.last() {
                *newest_read = Some(last.id);
            }
            recent.extend(fresh);
            let excess = recent.len().saturating_sub(RECENT_NOTICES);
            recent.drain(..excess);
        }
    }
    Ok(Some(Snapshot {
        version,
        notices: Arc::new(recent.clone()),
    }))
}
