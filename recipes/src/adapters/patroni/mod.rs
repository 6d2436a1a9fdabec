//! Ports implemented over the Patroni REST API client: the [`PatroniMemberApi`].

mod member_api;

pub use member_api::PatroniMemberApi;
