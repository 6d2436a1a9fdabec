//! Capabilities implemented over the Nomad client: the [`NomadScheduler`] with its
//! [`JobSource`]s, the [`NomadVolumeProbe`], and the Nomad side of ghost cleanup.

mod ghost;
mod scheduler;
mod source;
mod volume;

pub use ghost::NomadGhosts;
pub use scheduler::NomadScheduler;
pub use source::{DirJobSource, JobSource, LastVersionSource};
pub use volume::NomadVolumeProbe;

use crate::Error;

fn err(e: nomad_client::Error) -> Error {
    Error::backend("Nomad", e)
}
