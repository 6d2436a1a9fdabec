//! The setters every client builder shares, written once:
//! [`crate::builder_setters!`] expands them on a builder that holds its
//! connection settings in a field `config: ClientConfig`.

/// Expands the shared builder setters — any of `token`, `timeout`, `retry` —
/// as inherent methods of a builder with a `config: ClientConfig` field, so
/// each client's builder has the same calls with the same meaning.
///
/// - `token(t)`: the token sent in the client's token header; an empty or
///   blank token sends none (as an empty `*_TOKEN` variable does).
/// - `timeout(d)`: the timeout of an ordinary request (a blocking query gets
///   its wait on top, a stream none).
/// - `retry(p)`: the retry policy's count, delays and time budget (a client
///   may fix the statuses it retries; its docs say so).
///
/// ```
/// use client_core::{ClientConfig, RetryPolicy};
/// struct DemoBuilder {
///     config: ClientConfig,
/// }
/// impl DemoBuilder {
///     client_core::builder_setters!(token timeout retry);
/// }
/// let b = DemoBuilder { config: ClientConfig::new("http://127.0.0.1:1", "X-Token").unwrap() }
///     .token("  ")
///     .timeout(std::time::Duration::from_secs(3))
///     .retry(RetryPolicy::disabled());
/// assert!(b.config.token.is_none());
/// assert_eq!(b.config.timeout.as_secs(), 3);
/// assert_eq!(b.config.retry.max_retries, 0);
/// ```
#[macro_export]
macro_rules! builder_setters {
    ($($setter:ident)+) => {
        $( $crate::builder_setters!(@ $setter); )+
    };
    (@ token) => {
        /// Sends `token` in the client's token header; an empty or blank
        /// token sends none, as an empty `*_TOKEN` variable does.
        #[must_use]
        pub fn token(mut self, token: impl Into<$crate::Secret>) -> Self {
            let token: $crate::Secret = token.into();
            self.config.token = Some(token).filter(|t| !t.expose().trim().is_empty());
            self
        }
    };
    (@ timeout) => {
        /// The timeout of an ordinary request (a blocking query gets its wait
        /// on top; a stream has none).
        #[must_use]
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.config.timeout = timeout;
            self
        }
    };
    (@ retry) => {
        /// How failed requests are retried: count, delays and time budget
        /// ([`RetryPolicy::disabled`](client_core::RetryPolicy::disabled) for none).
        #[must_use]
        pub fn retry(mut self, retry: $crate::RetryPolicy) -> Self {
            self.config.retry = retry;
            self
        }
    };
}
