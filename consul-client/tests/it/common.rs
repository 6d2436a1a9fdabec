//! Shared helpers.

use consul_client::ConsulClient;
use test_support::Fixtures;

static NODE_REGISTERED: std::sync::OnceLock<()> = std::sync::OnceLock::new();

/// A client for the shared real Consul, or `None` (test skipped outside CI).
pub fn consul() -> Option<ConsulClient> {
    let agent = sandbox::shared_consul()?;
    // A fresh agent elects itself before it registers its own node, and
    // sessions need that registration ("Missing node registration").
    NODE_REGISTERED.get_or_init(|| {
        let path = format!("/v1/catalog/node/{}", agent.node_name());
        for _ in 0..300 {
            if matches!(sandbox::http::get(agent.http_port(), &path), Ok((200, body)) if body.trim() != "null") {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the sandbox Consul never registered its own node {}", agent.node_name());
    });
    Some(ConsulClient::builder().address(&agent.http_addr()).build().expect("sandbox address is valid"))
}

/// Returns a client for the real Consul or skips the test.
macro_rules! consul_or_skip {
    () => {
        match crate::common::consul() {
            Some(c) => c,
            None => return,
        }
    };
}
pub(crate) use consul_or_skip;

/// A test-owned KV prefix ending in '/'.
pub fn prefix(what: &str) -> String {
    format!("it-{what}-{}/", sandbox::unique_suffix())
}

/// A test-owned name.
pub fn name(what: &str) -> String {
    format!("it-{what}-{}", sandbox::unique_suffix())
}

/// This crate's `tests/fixtures` (recorded response bodies).
pub const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR"));

/// The text of a recorded response body.
pub fn fixture(name: &str) -> String {
    FIXTURES.text(name)
}

/// The management token of the ACL-enabled agent the ACL tests share.
pub const ACL_MASTER: &str = "0b6c5f3e-7d1a-4c2e-9f84-3a5d6e7f8091";

static ACL_CONSUL: std::sync::OnceLock<Result<sandbox::Consul, String>> = std::sync::OnceLock::new();

/// A management client for an ACL-enabled agent (`default_policy = "deny"`)
/// shared by this process's ACL tests, or `None` (skipped outside CI).
/// Every test creates and deletes its own tokens, policies and roles.
pub fn acl_consul() -> Option<ConsulClient> {
    match ACL_CONSUL.get_or_init(|| sandbox::Consul::start_with_acl(ACL_MASTER).map_err(|e| e.to_string())) {
        Ok(agent) => {
            Some(ConsulClient::builder().address(&agent.http_addr()).token(ACL_MASTER).build().expect("valid address"))
        }
        Err(e) => {
            sandbox::unavailable("Consul with ACLs", &sandbox::Error::Start(e.clone()));
            None
        }
    }
}

/// Returns a management client for the ACL-enabled Consul or skips the test.
macro_rules! acl_consul_or_skip {
    () => {
        match crate::common::acl_consul() {
            Some(c) => c,
            None => return,
        }
    };
}
pub(crate) use acl_consul_or_skip;

/// An agent of the test's own (for calls that change the whole cluster:
/// restore, bootstrap, keyring, CA) and a client for it; `None` when it
/// could not start (the test is then skipped outside CI).
pub fn own_consul(
    started: Result<sandbox::Consul, sandbox::Error>,
    what: &str,
) -> Option<(sandbox::Consul, ConsulClient)> {
    match started {
        Ok(agent) => {
            let consul = ConsulClient::builder().address(&agent.http_addr()).build().expect("sandbox address is valid");
            Some((agent, consul))
        }
        Err(e) => {
            sandbox::unavailable(what, &e);
            None
        }
    }
}
