//! Shared code of the ops SDK's example scripts and demo (package `ops-examples`,
//! not published):
//! - [`local`]: the sandbox's implementations of the recipes' capabilities — a
//!   `LocalScheduler` that runs each Patroni member of a `sandbox::PatroniCluster`
//!   as a "job", and a local volume probe — used by the demo and the end-to-end tests;
//! - [`output`]: tables, `--json`, plan/report rendering, `--dry-run`/`--yes` handling
//!   and the one-line error exit every script shares;
//! - [`progress`]: the live progress display of the recipes' events.
#![deny(missing_docs)]

pub mod local;
pub mod output;
pub mod progress;

// The workspace README's Rust blocks compile as doc tests of the `ops-sdk`
// facade, whose crate docs the README is (`cargo test -p ops-sdk --doc`).
