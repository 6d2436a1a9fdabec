//! Paged lists (Nomad 1.3+): one [`Page`] at a time, or every item across pages as a `Stream`.
//!
//! A paged list is asked for with [`QueryOptions::per_page`](crate::QueryOptions::per_page);
//! the server names the first item of the next page in `X-Nomad-NextToken`
//! and leaves the header out on the last page. The token is opaque: it is
//! passed back verbatim as `next_token`, never built. A server older than
//! paging ignores `per_page` and answers everything without the header, so
//! a stream of it ends after one page.

use client_core::{HttpClient, QueryMeta, Request};
use futures::{Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::client::NomadClient;
use crate::error::{Error, Result};
use crate::options::QueryOptions;

/// The header naming the first item of the next page.
pub const NEXT_TOKEN_HEADER: &str = "X-Nomad-NextToken";

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items, in the server's order.
    pub items: Vec<T>,
    /// `X-Nomad-Index`, `X-Nomad-KnownLeader`, `X-Nomad-LastContact`, each
    /// read on its own (one missing or garbled leaves the others).
    pub meta: QueryMeta,
    /// `X-Nomad-NextToken`: where the next page starts, `None` on the last
    /// page (or from a server that does not page this list).
    pub next_token: Option<String>,
}

impl NomadClient {
    /// Sends a list request and reads one page of it.
    pub(crate) async fn page<T: DeserializeOwned>(&self, req: Request) -> Result<Page<T>> {
        fetch_page(self.http(), req).await
    }

    /// Every item of a paged list, page after page, starting at the
    /// `next_token` of `opts`. `build` makes the request of one page from
    /// options without a token; the stream adds each token itself.
    pub(crate) fn paged<T: DeserializeOwned + Send + 'static>(
        &self,
        opts: &QueryOptions,
        build: impl FnOnce(&QueryOptions) -> Result<Request>,
    ) -> Result<impl Stream<Item = Result<T>> + Send + 'static> {
        let first = opts.next_token.clone();
        let base = build(&QueryOptions { next_token: None, ..opts.clone() })?;
        Ok(page_stream(self.http().clone(), base, first))
    }
}

async fn fetch_page<T: DeserializeOwned>(http: &HttpClient, req: Request) -> Result<Page<T>> {
    let resp = http.send(req).await?;
    let meta = QueryMeta::from_headers(&resp.headers, "X-Nomad");
    let next_token =
        resp.headers.get(NEXT_TOKEN_HEADER).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty()).map(str::to_owned);
    Ok(Page { items: resp.json()?, meta, next_token })
}

/// Where a stream is: the token of the next request, or the end.
enum Cursor {
    Next(Option<String>),
    Done,
}

fn page_stream<T: DeserializeOwned + Send + 'static>(
    http: HttpClient,
    base: Request,
    first: Option<String>,
) -> impl Stream<Item = Result<T>> + Send + 'static {
    futures::stream::try_unfold(Cursor::Next(first), move |cursor| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let Cursor::Next(token) = cursor else { return Ok(None) };
            let req = match &token {
                Some(t) => base.query("next_token", t),
                None => base,
            };
            let page: Page<T> = fetch_page(&http, req).await?;
            let next = match page.next_token {
                // A server that answers the token it was given would be walked forever.
                Some(next) if token.as_deref() == Some(next.as_str()) => {
                    return Err(Error::stream(
                        "page",
                        format!(
                            "the server answered next_token {next:?} for the page it starts, so paging cannot advance"
                        ),
                    ));
                }
                Some(next) => Cursor::Next(Some(next)),
                None => Cursor::Done,
            };
            Ok(Some((page.items, next)))
        }
    })
    .map_ok(|items| futures::stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}
