//! Watches: a blocking read of this crate turned into a stream of its results.

use std::future::Future;

use client_core::{BlockingOptions, WatchOptions, WithMeta};
use futures::{Stream, StreamExt};

use crate::error::{Error, Result};

/// [`client_core::watch`] over a read of this crate: `fetch` gets the
/// blocking options of each round.
pub(crate) fn watch<T, F, Fut>(options: WatchOptions, mut fetch: F) -> impl Stream<Item = Result<WithMeta<T>>>
where
    F: FnMut(BlockingOptions) -> Fut,
    Fut: Future<Output = Result<WithMeta<T>>>,
{
    client_core::watch(options, move |blocking| {
        let read = fetch(blocking);
        async move { read.await.map_err(into_core) }
    })
    .map(|r| r.map_err(Error::from))
}

/// `client_core::watch` wants its own error type; ours wraps it.
fn into_core(e: Error) -> client_core::Error {
    match e {
        Error::Core(c) => c,
        other => client_core::Error::invalid("watch", "", other.to_string()),
    }
}
