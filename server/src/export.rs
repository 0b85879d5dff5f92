//! The accountant's CSV files, streamed: the byte-order mark and the header
//! first, then a page of rows at a time (`crate::db::export`), each page
//! written by `invoice::export` as it is read.

use std::sync::Arc;

use axum::body::Bytes;
use futures::Stream;
use invoice::export::{ExportKind, BOM};
use invoice::Language;

use crate::db::export::{self, After, Scope};
use crate::error::ServerError;
use crate::services::{today, Services};

/// Where the file's writing is.
enum Step {
    Header,
    Rows(After),
    Done,
}

/// The file of `kind` for `scope`, headers in `language`, as a stream of
/// chunks. A database failure mid-file ends the stream with an error, so
/// the download fails rather than hands over half a file as if whole.
pub fn csv_stream(
    services: Arc<Services>,
    kind: ExportKind,
    scope: Scope,
    language: Language,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::unfold(Step::Header, move |step| {
        let services = Arc::clone(&services);
        async move {
            match step {
                Step::Header => {
                    let header = format!("{BOM}{}", kind.header(language));
                    Some((Ok(Bytes::from(header)), Step::Rows(After::Start)))
                }
                Step::Rows(after) => match page(&services, kind, scope, language, &after).await {
                    Ok((chunk, Some(next))) => Some((Ok(Bytes::from(chunk)), Step::Rows(next))),
                    Ok((chunk, None)) => Some((Ok(Bytes::from(chunk)), Step::Done)),
                    Err(error) => {
                        tracing::error!(%error, "an export stopped half-way");
                        Some((Err(std::io::Error::other("export failed")), Step::Done))
                    }
                },
                Step::Done => None,
            }
        }
    })
}

/// One page of rows as CSV, and where the next starts.
async fn page(
    services: &Services,
    kind: ExportKind,
    scope: Scope,
    language: Language,
    after: &After,
) -> Result<(String, Option<After>), ServerError> {
    let db = &services.db;
    Ok(match kind {
        ExportKind::Invoices => {
            let (lines, next) = export::invoices(db, scope, after, today()).await?;
            (
                lines.iter().map(|line| line.to_csv(language)).collect(),
                next,
            )
        }
        ExportKind::Payments => {
            let (lines, next) = export::payments(db, scope, after).await?;
            (
                lines.iter().map(|line| line.to_csv(language)).collect(),
                next,
            )
        }
        ExportKind::History => {
            let (lines, next) = export::history(db, scope, after).await?;
            (
                lines.iter().map(|line| line.to_csv(language)).collect(),
                next,
            )
        }
    })
}
