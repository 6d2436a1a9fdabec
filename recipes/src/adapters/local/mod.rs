//! Ports implemented in-process, over local files: [`FileSettings`], [`DirJobSource`] and
//! [`LocalArchiveSource`].

mod archive;
mod job_source;
mod settings;

pub use archive::LocalArchiveSource;
pub use job_source::DirJobSource;
pub use settings::FileSettings;
