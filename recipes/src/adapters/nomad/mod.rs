//! Ports implemented over the Nomad client: the [`NomadScheduler`] with the
//! [`LastVersionSource`] of job specs, the [`NomadVolumeProbe`], and the Nomad side of
//! ghost cleanup ([`NomadGhosts`]), and the [`NomadDeployer`] of the deploy recipe.

mod deploy;
mod ghost;
mod scheduler;
mod source;
mod volume;

pub use deploy::NomadDeployer;
pub use ghost::NomadGhosts;
pub use scheduler::NomadScheduler;
pub use source::LastVersionSource;
pub use volume::NomadVolumeProbe;

use crate::Error;

fn err(e: nomad_client::Error) -> Error {
    Error::backend("Nomad", e)
}
