//! Ports implemented over the Patroni REST API client: the [`PatroniMemberApi`] and the
//! [`PatroniControl`].

mod control;
mod member_api;

pub use control::PatroniControl;
pub use member_api::PatroniMemberApi;
