//! The SQL statements the database restore both runs and prints for an operator to run by
//! hand, built in one place so that what the instructions say is what the recipe does.

use std::fmt::Display;

/// `name` as an SQL identifier (double-quoted, inner quotes doubled).
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Removes database `db` (nothing when it is gone).
pub(crate) fn drop_statement(db: &str) -> String {
    format!("DROP DATABASE IF EXISTS {}", ident(db))
}

/// Opens database `db` again with connection limit `limit` (a number, or a placeholder such as
/// `<n>` in instructions when the limit is not known).
pub(crate) fn open_statement(db: &str, limit: impl Display) -> String {
    format!("ALTER DATABASE {} ALLOW_CONNECTIONS true CONNECTION LIMIT {limit}", ident(db))
}
