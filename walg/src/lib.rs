//! Drive wal-g, parse WAL names, LSNs and timeline histories natively, and plan point-in-time restores.
#![deny(missing_docs)]
