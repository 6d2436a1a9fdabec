//! Capabilities implemented over the Nomad client: the [`NomadScheduler`] with its
//! [`JobSource`]s, and the Nomad side of ghost cleanup.

mod ghost;
mod scheduler;
mod source;

pub use ghost::NomadGhosts;
pub use scheduler::NomadScheduler;
pub use source::{DirJobSource, JobSource, LastVersionSource};

use crate::Error;

fn err(e: nomad_client::Error) -> Error {
    Error::backend("Nomad", e)
}
