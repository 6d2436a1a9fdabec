//! Path conformance: every public method of the Consul, Nomad, Vault and
//! Patroni clients that takes a name, ID, key or path meets adversarial
//! values on a recording server. For each (method, value) either nothing was
//! sent and the error is an input error naming the input, or exactly the
//! intended resource was requested: the raw request path equals the one this
//! test builds on its own (its own percent-encoding, not the SDK's). A `/`
//! sent to a one-segment method, or a `.`, `..` or empty part sent anywhere,
//! is a failure unless refused. A string that goes in the query or body is
//! sent the same values and must leave the path as it is.
//!
//! The methods are enumerated from the clients' source: every `pub fn` and
//! `pub async fn` taking `self` and a `: &str` parameter (signatures may span
//! lines) must have a case here or an exemption with its reason, so a new
//! endpoint without a case fails.
//!
//! The second half runs the issue's token scenario against a real
//! ACL-enabled Consul: the adversarial names are refused before sending,
//! Consul's own 301 for a cleaned path is refused (`Error::Redirect`), and
//! the management token shows in no error, Debug output or log line.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use client_core::{ClientConfig, RetryPolicy, WatchOptions};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request as Recorded, Respond, ResponseTemplate};

use crate::secrets::Capture;

// ---------------------------------------------------------------------------
// Expected paths, built independently of the SDK.

/// RFC 3986 unreserved characters stay, everything else is escaped. The
/// adversarial values use no sub-delimiters, so this is exactly what a
/// correct one-segment encoding must produce for them.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

fn enc(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

/// How the varied argument reaches the path.
#[derive(Clone, Copy)]
enum Shape {
    /// `prefix/<value as one segment>suffix`; a `/` in the value must be refused.
    Segment(&'static str, &'static str),
    /// A name whose `/` belongs to it (Nomad job IDs): one segment, every part checked.
    Slashes(&'static str, &'static str),
    /// A slash-separated key or path: `prefix/<each part encoded>suffix`.
    Key(&'static str, &'static str),
    /// A folder: the call appends `/` to the value; `prefix/<parts>/`.
    Folder(&'static str),
    /// The value goes in the query or body: the path is this one, whatever the value.
    Fixed(&'static str),
}

impl Shape {
    fn expected(self, v: &str) -> String {
        match self {
            Shape::Segment(p, s) | Shape::Slashes(p, s) => format!("{p}/{}{s}", enc(v)),
            Shape::Key(p, s) => format!("{p}/{}{s}", v.split('/').map(enc).collect::<Vec<_>>().join("/")),
            Shape::Folder(p) => format!("{p}/{}/", v.split('/').map(enc).collect::<Vec<_>>().join("/")),
            Shape::Fixed(p) => p.to_owned(),
        }
    }

    /// Values that can never be sent exactly: the server would decode and
    /// clean them into another resource.
    fn must_refuse(self, v: &str) -> bool {
        let bad_part = |p: &str| p.is_empty() || p == "." || p == "..";
        (!matches!(self, Shape::Fixed(_)) && v.chars().any(char::is_control))
            || match self {
                Shape::Segment(..) => v.contains('/') || bad_part(v),
                Shape::Slashes(..) | Shape::Key(..) | Shape::Folder(..) => v.split('/').any(bad_part),
                Shape::Fixed(_) => false,
            }
    }
}

fn adversarial() -> Vec<String> {
    let mut values: Vec<String> = [
        "..",
        ".",
        "a/../b",
        "a//b",
        "a/b",
        "%2F",
        "?",
        "#",
        "a?b#c",
        "a\0b",
        "a\nb",
        "\u{2024}\u{2024}", // ONE DOT LEADER x2, looks like ".."
        "\u{FF0F}",         // FULLWIDTH SOLIDUS, looks like "/"
        "a b+c",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    values.push("x".repeat(1024));
    values
}

// ---------------------------------------------------------------------------
// Calls and their outcomes.

/// What a call ended with, as far as this test cares.
enum Outcome {
    /// Success, or an error that is not an input refusal.
    Done(String),
    /// Refused before sending: the input's label and the error's text.
    Refused { what: String, text: String },
}

trait Classify {
    fn classify(self) -> Outcome;
}

fn core_outcome(e: &client_core::Error, text: String) -> Outcome {
    match e {
        client_core::Error::InvalidInput { what, .. } => Outcome::Refused { what: what.clone(), text },
        _ => Outcome::Done(text),
    }
}

impl<T> Classify for Result<T, consul_client::Error> {
    fn classify(self) -> Outcome {
        match self {
            Ok(_) => Outcome::Done("ok".into()),
            Err(e) => {
                let text = e.to_string();
                match &e {
                    consul_client::Error::Core(core) => core_outcome(core, text),
                    consul_client::Error::UnsafePrefix { .. } => Outcome::Refused { what: "KV prefix".into(), text },
                    _ => Outcome::Done(text),
                }
            }
        }
    }
}

/// Nomad's and Vault's errors wrap input errors as `Core`.
macro_rules! classify_core {
    ($($krate:ident::$error:ident),*) => {$(
        impl<T> Classify for Result<T, $krate::$error> {
            fn classify(self) -> Outcome {
                match self {
                    Ok(_) => Outcome::Done("ok".into()),
                    Err($krate::$error::Core(core)) => {
                        let text = core.to_string();
                        core_outcome(&core, text)
                    }
                    Err(e) => Outcome::Done(e.to_string()),
                }
            }
        }
    )*};
}

classify_core!(nomad_client::Error, vault_client::Error);

impl<T> Classify for Result<T, patroni_client::Error> {
    fn classify(self) -> Outcome {
        match self {
            Ok(_) => Outcome::Done("ok".into()),
            Err(patroni_client::Error::Core(core)) => {
                let text = core.to_string();
                core_outcome(&core, text)
            }
            Err(patroni_client::Error::Consul(e)) => Err::<(), _>(e).classify(),
            Err(e) => Outcome::Done(e.to_string()),
        }
    }
}

/// The clients under test, all pointed at the recording server.
#[derive(Clone)]
struct Clients {
    consul: consul_client::ConsulClient,
    nomad: nomad_client::NomadClient,
    vault: vault_client::VaultClient,
}

type CallFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

struct Case {
    /// `file.rs::Type::method`, as the source scan names it.
    method: &'static str,
    /// The label the refusal must carry (`InvalidInput::what`).
    what: &'static str,
    shape: Shape,
    /// Other requests the method may send whose paths do not hold the value
    /// (a session for a lock, Vault's mount check).
    aux: &'static [&'static str],
    call: fn(Clients, String) -> CallFuture,
}

/// One case: `c!(method, what, shape, |client, value| call)`, optionally
/// `aux [paths]` after the shape.
macro_rules! c {
    ($m:literal, $what:literal, $shape:expr, |$cl:ident, $v:ident| $call:expr) => {
        c!($m, $what, $shape, aux [], |$cl, $v| $call)
    };
    ($m:literal, $what:literal, $shape:expr, aux [$($aux:literal),*], |$cl:ident, $v:ident| $call:expr) => {
        Case {
            method: $m,
            what: $what,
            shape: $shape,
            aux: &[$($aux),*],
            call: |$cl: Clients, $v: String| -> CallFuture { Box::pin(async move { Classify::classify($call.await) }) },
        }
    };
}

use Shape::{Fixed, Folder, Key, Segment, Slashes};

/// The well-formed control value every case must send.
const CONTROL: &str = "9df9c84d-e72a-b42f-b5da-5df98da53bda";

fn cq() -> consul_client::QueryOptions {
    consul_client::QueryOptions::default()
}
fn cw() -> consul_client::WriteOptions {
    consul_client::WriteOptions::default()
}
fn nq() -> nomad_client::QueryOptions {
    nomad_client::QueryOptions::default()
}
fn nw() -> nomad_client::WriteOptions {
    nomad_client::WriteOptions::default()
}
fn cmd() -> Vec<String> {
    vec!["true".to_owned()]
}
fn data() -> serde_json::Value {
    serde_json::json!({"k": "v"})
}
fn intention() -> consul_client::IntentionRequest {
    consul_client::IntentionRequest::new("web", "db", consul_client::IntentionAction::Allow)
}
fn kv2(v: &vault_client::VaultClient) -> vault_client::Kv2 {
    v.kv2("secret").unwrap()
}
fn kv1(v: &vault_client::VaultClient) -> vault_client::Kv1 {
    v.kv1("kv").unwrap()
}
fn db(v: &vault_client::VaultClient) -> vault_client::database::Database {
    v.database("database").unwrap()
}
fn pki(v: &vault_client::VaultClient) -> vault_client::pki::Pki {
    v.pki("pki").unwrap()
}
fn transit(v: &vault_client::VaultClient) -> vault_client::transit::Transit {
    v.transit("transit").unwrap()
}

/// Watches that yield their errors at once.
fn watch() -> WatchOptions {
    WatchOptions { error_backoff: Duration::from_millis(1), ..WatchOptions::default() }
}

/// The first item of a watch (its immediate read); the watch is dropped after it.
async fn first<S: futures::Stream + Send>(stream: S) -> S::Item {
    let mut stream = std::pin::pin!(stream);
    futures::StreamExt::next(&mut stream).await.expect("a watch yields its first read")
}

type Sd = consul_client::ServiceDefaults;
type V = serde_json::Value;

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        // ---- consul-client
        c!("acl.rs::Acl::token_get", "ACL accessor ID", Segment("/v1/acl/token", ""), |c, v| c.consul.acl().token_get(&v, &cq())),
        c!("acl.rs::Acl::token_update", "ACL accessor ID", Segment("/v1/acl/token", ""), |c, v| c.consul.acl().token_update(&v, &consul_client::AclTokenRequest::new("d"), &cw())),
        c!("acl.rs::Acl::token_clone", "ACL accessor ID", Segment("/v1/acl/token", "/clone"), |c, v| c.consul.acl().token_clone(&v, "copy", &cw())),
        c!("acl.rs::Acl::token_delete", "ACL accessor ID", Segment("/v1/acl/token", ""), |c, v| c.consul.acl().token_delete(&v, &cw())),
        c!("acl.rs::Acl::policy_get", "ACL policy ID", Segment("/v1/acl/policy", ""), |c, v| c.consul.acl().policy_get(&v, &cq())),
        c!("acl.rs::Acl::policy_get_by_name", "ACL policy name", Segment("/v1/acl/policy/name", ""), |c, v| c.consul.acl().policy_get_by_name(&v, &cq())),
        c!("acl.rs::Acl::policy_update", "ACL policy ID", Segment("/v1/acl/policy", ""), |c, v| c.consul.acl().policy_update(&v, &consul_client::AclPolicyRequest::new("p", ""), &cw())),
        c!("acl.rs::Acl::policy_delete", "ACL policy ID", Segment("/v1/acl/policy", ""), |c, v| c.consul.acl().policy_delete(&v, &cw())),
        c!("acl.rs::Acl::role_get", "ACL role ID", Segment("/v1/acl/role", ""), |c, v| c.consul.acl().role_get(&v, &cq())),
        c!("acl.rs::Acl::role_get_by_name", "ACL role name", Segment("/v1/acl/role/name", ""), |c, v| c.consul.acl().role_get_by_name(&v, &cq())),
        c!("acl.rs::Acl::role_update", "ACL role ID", Segment("/v1/acl/role", ""), |c, v| c.consul.acl().role_update(&v, &consul_client::AclRoleRequest::new("r", vec![]), &cw())),
        c!("acl.rs::Acl::role_delete", "ACL role ID", Segment("/v1/acl/role", ""), |c, v| c.consul.acl().role_delete(&v, &cw())),
        c!("acl.rs::Acl::auth_method_get", "auth method name", Segment("/v1/acl/auth-method", ""), |c, v| c.consul.acl().auth_method_get(&v, &cq())),
        c!("acl.rs::Acl::auth_method_update", "auth method name", Segment("/v1/acl/auth-method", ""), |c, v| c.consul.acl().auth_method_update(&v, &consul_client::AclAuthMethod { name: v.clone(), method_type: "jwt".into(), ..Default::default() }, &cw())),
        c!("acl.rs::Acl::auth_method_delete", "auth method name", Segment("/v1/acl/auth-method", ""), |c, v| c.consul.acl().auth_method_delete(&v, &cw())),
        c!("acl.rs::Acl::binding_rule_get", "binding rule ID", Segment("/v1/acl/binding-rule", ""), |c, v| c.consul.acl().binding_rule_get(&v, &cq())),
        c!("acl.rs::Acl::binding_rule_update", "binding rule ID", Segment("/v1/acl/binding-rule", ""), |c, v| c.consul.acl().binding_rule_update(&v, &consul_client::AclBindingRuleRequest { auth_method: "m".into(), ..Default::default() }, &cw())),
        c!("acl.rs::Acl::binding_rule_delete", "binding rule ID", Segment("/v1/acl/binding-rule", ""), |c, v| c.consul.acl().binding_rule_delete(&v, &cw())),
        c!("namespace.rs::Namespaces::get", "namespace name", Segment("/v1/namespace", ""), |c, v| c.consul.namespaces().get(&v, &cq())),
        c!("namespace.rs::Namespaces::update", "namespace name", Segment("/v1/namespace", ""), |c, v| c.consul.namespaces().update(&v, &consul_client::NamespaceRequest::new(""), &cw())),
        c!("namespace.rs::Namespaces::delete", "namespace name", Segment("/v1/namespace", ""), |c, v| c.consul.namespaces().delete(&v, &cw())),
        c!("partition.rs::Partitions::get", "admin partition name", Segment("/v1/partition", ""), |c, v| c.consul.partitions().get(&v, &cq())),
        c!("partition.rs::Partitions::update", "admin partition name", Segment("/v1/partition", ""), |c, v| c.consul.partitions().update(&v, "d", &cw())),
        c!("partition.rs::Partitions::delete", "admin partition name", Segment("/v1/partition", ""), |c, v| c.consul.partitions().delete(&v, &cw())),
        c!("peering.rs::Peerings::get", "peer name", Segment("/v1/peering", ""), |c, v| c.consul.peerings().get(&v, &cq())),
        c!("peering.rs::Peerings::delete", "peer name", Segment("/v1/peering", ""), aux ["/v1/peerings"], |c, v| c.consul.peerings().delete(&v, &cw())),
        c!("agent.rs::Agent::force_leave", "node name", Segment("/v1/agent/force-leave", ""), |c, v| c.consul.agent().force_leave(&v, true)),
        c!("agent.rs::Agent::service", "service ID", Segment("/v1/agent/service", ""), |c, v| c.consul.agent().service(&v)),
        c!("agent.rs::Agent::service_deregister", "service ID", Segment("/v1/agent/service/deregister", ""), |c, v| c.consul.agent().service_deregister(&v)),
        c!("agent.rs::Agent::check_deregister", "check ID", Segment("/v1/agent/check/deregister", ""), |c, v| c.consul.agent().check_deregister(&v)),
        c!("agent.rs::Agent::check_pass", "check ID", Segment("/v1/agent/check/pass", ""), |c, v| c.consul.agent().check_pass(&v, Some("n"))),
        c!("agent.rs::Agent::check_warn", "check ID", Segment("/v1/agent/check/warn", ""), |c, v| c.consul.agent().check_warn(&v, None)),
        c!("agent.rs::Agent::check_fail", "check ID", Segment("/v1/agent/check/fail", ""), |c, v| c.consul.agent().check_fail(&v, None)),
        c!("agent.rs::Agent::service_maintenance", "service ID", Segment("/v1/agent/service/maintenance", ""), |c, v| c.consul.agent().service_maintenance(&v, true, Some("r"))),
        c!("catalog.rs::Catalog::node", "node name", Segment("/v1/catalog/node", ""), |c, v| c.consul.catalog().node(&v, &cq())),
        c!("catalog.rs::Catalog::node_services", "node name", Segment("/v1/catalog/node-services", ""), |c, v| c.consul.catalog().node_services(&v, &cq())),
        c!("catalog.rs::Catalog::service", "service name", Segment("/v1/catalog/service", ""), |c, v| c.consul.catalog().service(&v, None, &cq())),
        c!("config_entry.rs::ConfigEntries::get", "config entry name", Segment("/v1/config/service-defaults", ""), |c, v| c.consul.config_entries().get::<Sd>(&v, &cq())),
        c!("config_entry.rs::ConfigEntries::delete", "config entry name", Segment("/v1/config/service-defaults", ""), |c, v| c.consul.config_entries().delete::<Sd>(&v, &cw())),
        c!("config_entry.rs::ConfigEntries::get_raw", "config entry name", Segment("/v1/config/service-defaults", ""), |c, v| c.consul.config_entries().get_raw("service-defaults", &v, &cq())),
        c!("config_entry.rs::ConfigEntries::get_raw", "config entry kind", Segment("/v1/config", "/web"), |c, v| c.consul.config_entries().get_raw(&v, "web", &cq())),
        c!("config_entry.rs::ConfigEntries::list_raw", "config entry kind", Segment("/v1/config", ""), |c, v| c.consul.config_entries().list_raw(&v, &cq())),
        c!("config_entry.rs::ConfigEntries::delete_raw", "config entry name", Segment("/v1/config/service-defaults", ""), |c, v| c.consul.config_entries().delete_raw("service-defaults", &v, &cw())),
        c!("config_entry.rs::ConfigEntries::delete_raw", "config entry kind", Segment("/v1/config", "/web"), |c, v| c.consul.config_entries().delete_raw(&v, "web", &cw())),
        c!("health.rs::Health::service", "service name", Segment("/v1/health/service", ""), |c, v| c.consul.health().service(&v, &consul_client::ServiceHealthOptions::default(), &cq())),
        c!("health.rs::Health::node", "node name", Segment("/v1/health/node", ""), |c, v| c.consul.health().node(&v, &cq())),
        c!("health.rs::Health::checks", "service name", Segment("/v1/health/checks", ""), |c, v| c.consul.health().checks(&v, &cq())),
        c!("intentions.rs::Intentions::get", "intention ID", Segment("/v1/connect/intentions", ""), |c, v| c.consul.intentions().get(&v)),
        c!("intentions.rs::Intentions::update", "intention ID", Segment("/v1/connect/intentions", ""), |c, v| c.consul.intentions().update(&v, &intention())),
        c!("intentions.rs::Intentions::delete", "intention ID", Segment("/v1/connect/intentions", ""), |c, v| c.consul.intentions().delete(&v)),
        c!("kv.rs::Kv::get", "KV key", Key("/v1/kv", ""), |c, v| c.consul.kv().get(&v, &cq())),
        c!("kv.rs::Kv::get_raw", "KV key", Key("/v1/kv", ""), |c, v| c.consul.kv().get_raw(&v, &cq())),
        c!("kv.rs::Kv::list", "KV prefix", Key("/v1/kv", ""), |c, v| c.consul.kv().list(&v, &cq())),
        c!("kv.rs::Kv::keys", "KV prefix", Key("/v1/kv", ""), |c, v| c.consul.kv().keys(&v, Some("/"), &cq())),
        c!("kv.rs::Kv::put", "KV key", Key("/v1/kv", ""), |c, v| c.consul.kv().put(&v, b"x", &consul_client::PutOptions::default())),
        c!("kv.rs::Kv::delete", "KV key", Key("/v1/kv", ""), |c, v| c.consul.kv().delete(&v, &consul_client::DeleteOptions::default())),
        c!("kv.rs::Kv::delete_tree", "KV prefix", Folder("/v1/kv"), |c, v| c.consul.kv().delete_tree(&format!("{v}/"))),
        c!("kv.rs::Kv::delete_tree_with", "KV prefix", Folder("/v1/kv"), |c, v| c.consul.kv().delete_tree_with(&format!("{v}/"), &consul_client::DeleteOptions::default())),
        c!("kv.rs::Kv::delete_raw_prefix", "KV prefix", Key("/v1/kv", ""), |c, v| c.consul.kv().delete_raw_prefix(&v)),
        c!("txn.rs::Kv::delete_saved", "KV prefix", Folder("/v1/kv"), |c, v| c.consul.kv().delete_saved(&format!("{v}/"), &[])),
        c!("lock.rs::Sessions::lock", "KV key", Key("/v1/kv", ""), aux ["/v1/session/create", "/v1/session/destroy/"], |c, v| async move {
            match c.consul.sessions().lock(&v, &consul_client::LockOptions::default()).await {
                Ok(guard) => guard.release().await,
                Err(e) => Err(e),
            }
        }),
        c!("kv.rs::Kv::watch_key", "KV key", Key("/v1/kv", ""), |c, v| first(c.consul.kv().watch_key(&v, watch()))),
        c!("kv.rs::Kv::watch_prefix", "KV prefix", Key("/v1/kv", ""), |c, v| first(c.consul.kv().watch_prefix(&v, watch()))),
        c!("health.rs::Health::watch_service", "service name", Segment("/v1/health/service", ""), |c, v| first(c.consul.health().watch_service(&v, &Default::default(), &cq(), watch()))),
        c!("prepared_query.rs::PreparedQueries::get", "prepared query ID", Segment("/v1/query", ""), |c, v| c.consul.prepared_queries().get(&v, &cq())),
        c!("prepared_query.rs::PreparedQueries::update", "prepared query ID", Segment("/v1/query", ""), |c, v| c.consul.prepared_queries().update(&v, &consul_client::PreparedQueryRequest::new("q", "db"), &cw())),
        c!("prepared_query.rs::PreparedQueries::delete", "prepared query ID", Segment("/v1/query", ""), |c, v| c.consul.prepared_queries().delete(&v, &cw())),
        c!("prepared_query.rs::PreparedQueries::execute", "prepared query ID or name", Segment("/v1/query", "/execute"), |c, v| c.consul.prepared_queries().execute(&v, &Default::default(), &cq())),
        c!("prepared_query.rs::PreparedQueries::explain", "prepared query ID or name", Segment("/v1/query", "/explain"), |c, v| c.consul.prepared_queries().explain(&v, &cq())),
        c!("event.rs::Events::fire", "event name", Segment("/v1/event/fire", ""), |c, v| c.consul.events().fire(&v, b"p", &Default::default(), &cw())),
        c!("coordinate.rs::Coordinates::node", "node name", Segment("/v1/coordinate/node", ""), |c, v| c.consul.coordinates().node(&v, &cq())),
        c!("agent.rs::Agent::join", "join address", Segment("/v1/agent/join", ""), |c, v| c.consul.agent().join(&v, false)),
        c!("connect.rs::Connect::leaf_cert", "service name", Segment("/v1/agent/connect/ca/leaf", ""), |c, v| c.consul.connect().leaf_cert(&v, &cq())),
        c!("catalog.rs::Catalog::connect", "service name", Segment("/v1/catalog/connect", ""), |c, v| c.consul.catalog().connect(&v, None, &cq())),
        c!("catalog.rs::Catalog::gateway_services", "gateway name", Segment("/v1/catalog/gateway-services", ""), |c, v| c.consul.catalog().gateway_services(&v, &cq())),
        c!("health.rs::Health::connect", "service name", Segment("/v1/health/connect", ""), |c, v| c.consul.health().connect(&v, &Default::default(), &cq())),
        c!("health.rs::Health::ingress", "service name", Segment("/v1/health/ingress", ""), |c, v| c.consul.health().ingress(&v, &Default::default(), &cq())),
        c!("semaphore.rs::ConsulClient::semaphore", "KV prefix", Key("/v1/kv", "/.lock"), |c, v| async move { c.consul.semaphore(&format!("{v}/"))?.holders().await }),
        c!("session.rs::Sessions::destroy", "session ID", Segment("/v1/session/destroy", ""), |c, v| c.consul.sessions().destroy(&v, &cw())),
        c!("session.rs::Sessions::renew", "session ID", Segment("/v1/session/renew", ""), |c, v| c.consul.sessions().renew(&v, &cw())),
        c!("session.rs::Sessions::info", "session ID", Segment("/v1/session/info", ""), |c, v| c.consul.sessions().info(&v, &cq())),
        c!("session.rs::Sessions::node", "node name", Segment("/v1/session/node", ""), |c, v| c.consul.sessions().node(&v, &cq())),
        // ---- nomad-client
        c!("allocations.rs::Allocations::get", "allocation ID", Segment("/v1/allocation", ""), |c, v| c.nomad.allocations().get(&v, &nq())),
        c!("allocations.rs::Allocations::stop", "allocation ID", Segment("/v1/allocation", "/stop"), |c, v| c.nomad.allocations().stop(&v, &nw())),
        c!("allocations.rs::Allocations::restart", "allocation ID", Segment("/v1/client/allocation", "/restart"), |c, v| c.nomad.allocations().restart(&v, Some("web"), &nw())),
        c!("allocations.rs::Allocations::signal", "allocation ID", Segment("/v1/client/allocation", "/signal"), |c, v| c.nomad.allocations().signal(&v, "SIGHUP", None, &nw())),
        c!("allocations.rs::Allocations::find_running", "job ID", Slashes("/v1/job", "/allocations"), |c, v| c.nomad.allocations().find_running(&v, "web", &nq())),
        c!("allocations.rs::Allocations::wait_running", "job ID", Slashes("/v1/job", "/allocations"), |c, v| c.nomad.allocations().wait_running(&v, None, Duration::from_secs(1), &nq())),
        c!("deployments.rs::Deployments::get", "deployment ID", Segment("/v1/deployment", ""), |c, v| c.nomad.deployments().get(&v, &nq())),
        c!("deployments.rs::Deployments::allocations", "deployment ID", Segment("/v1/deployment/allocations", ""), |c, v| c.nomad.deployments().allocations(&v, &nq())),
        c!("deployments.rs::Deployments::promote", "deployment ID", Segment("/v1/deployment/promote", ""), |c, v| c.nomad.deployments().promote(&v, &[], &nw())),
        c!("deployments.rs::Deployments::fail", "deployment ID", Segment("/v1/deployment/fail", ""), |c, v| c.nomad.deployments().fail(&v, &nw())),
        c!("evaluations.rs::Evaluations::get", "evaluation ID", Segment("/v1/evaluation", ""), |c, v| c.nomad.evaluations().get(&v, &nq())),
        c!("evaluations.rs::Evaluations::allocations", "evaluation ID", Segment("/v1/evaluation", "/allocations"), |c, v| c.nomad.evaluations().allocations(&v, &nq())),
        c!("exec.rs::Allocations::exec", "allocation ID", Segment("/v1/client/allocation", "/exec"), |c, v| c.nomad.allocations().exec(&v, "web", &cmd(), &nomad_client::ExecOptions::default())),
        c!("exec.rs::Allocations::exec_output", "allocation ID", Segment("/v1/client/allocation", "/exec"), |c, v| c.nomad.allocations().exec_output(&v, "web", &cmd(), &nomad_client::ExecOptions::default())),
        c!("fs.rs::Allocations::ls", "allocation ID", Segment("/v1/client/fs/ls", ""), |c, v| c.nomad.allocations().ls(&v, "/alloc", &nq())),
        c!("fs.rs::Allocations::stat", "allocation ID", Segment("/v1/client/fs/stat", ""), |c, v| c.nomad.allocations().stat(&v, "/alloc", &nq())),
        c!("fs.rs::Allocations::cat", "allocation ID", Segment("/v1/client/fs/cat", ""), |c, v| c.nomad.allocations().cat(&v, "/alloc/x", &nq())),
        c!("fs.rs::Allocations::read_at", "allocation ID", Segment("/v1/client/fs/readat", ""), |c, v| c.nomad.allocations().read_at(&v, "/alloc/x", 0, 10, &nq())),
        c!("jobs.rs::Jobs::watch_allocations", "job ID", Slashes("/v1/job", "/allocations"), |c, v| async move { first(c.nomad.jobs().watch_allocations(&v, &nq(), watch())?).await }),
        c!("jobs.rs::Jobs::watch_summary", "job ID", Slashes("/v1/job", "/summary"), |c, v| async move { first(c.nomad.jobs().watch_summary(&v, &nq(), watch())?).await }),
        c!("jobs.rs::Jobs::get", "job ID", Slashes("/v1/job", ""), |c, v| c.nomad.jobs().get(&v, &nq())),
        c!("jobs.rs::Jobs::versions", "job ID", Slashes("/v1/job", "/versions"), |c, v| c.nomad.jobs().versions(&v, true, &nq())),
        c!("jobs.rs::Jobs::revert", "job ID", Slashes("/v1/job", "/revert"), |c, v| c.nomad.jobs().revert(&v, 1, None, &nw())),
        c!("jobs.rs::Jobs::stop", "job ID", Slashes("/v1/job", ""), |c, v| c.nomad.jobs().stop(&v, &nomad_client::StopOptions::default())),
        c!("jobs.rs::Jobs::scale", "job ID", Slashes("/v1/job", "/scale"), |c, v| c.nomad.jobs().scale(&v, "web", 1, &nomad_client::ScaleOptions::default())),
        c!("jobs.rs::Jobs::scale_status", "job ID", Slashes("/v1/job", "/scale"), |c, v| c.nomad.jobs().scale_status(&v, &nq())),
        c!("jobs.rs::Jobs::dispatch", "job ID", Slashes("/v1/job", "/dispatch"), |c, v| c.nomad.jobs().dispatch(&v, &nomad_client::DispatchOptions::default())),
        c!("jobs.rs::Jobs::summary", "job ID", Slashes("/v1/job", "/summary"), |c, v| c.nomad.jobs().summary(&v, &nq())),
        c!("jobs.rs::Jobs::allocations", "job ID", Slashes("/v1/job", "/allocations"), |c, v| c.nomad.jobs().allocations(&v, false, &nq())),
        c!("jobs.rs::Jobs::evaluations", "job ID", Slashes("/v1/job", "/evaluations"), |c, v| c.nomad.jobs().evaluations(&v, &nq())),
        c!("jobs.rs::Jobs::deployments", "job ID", Slashes("/v1/job", "/deployments"), |c, v| c.nomad.jobs().deployments(&v, &nq())),
        c!("jobs.rs::Jobs::latest_deployment", "job ID", Slashes("/v1/job", "/deployment"), |c, v| c.nomad.jobs().latest_deployment(&v, &nq())),
        c!("logs.rs::Allocations::log_frames", "allocation ID", Segment("/v1/client/fs/logs", ""), |c, v| c.nomad.allocations().log_frames(&v, "web", &nomad_client::LogsOptions::default())),
        c!("logs.rs::Allocations::logs", "allocation ID", Segment("/v1/client/fs/logs", ""), |c, v| c.nomad.allocations().logs(&v, "web", &nomad_client::LogsOptions::default())),
        c!("logs.rs::Allocations::tail_lines", "allocation ID", Segment("/v1/client/fs/logs", ""), |c, v| c.nomad.allocations().tail_lines(&v, "web", 10, &nomad_client::LogsOptions::default())),
        // log_end and follow_lines list the log directory first; the 404 stops them there.
        c!("logs.rs::Allocations::log_end", "allocation ID", Segment("/v1/client/fs/ls", ""), |c, v| c.nomad.allocations().log_end(&v, "web", &nomad_client::LogsOptions::default())),
        c!("logs.rs::Allocations::follow_lines", "allocation ID", Segment("/v1/client/fs/ls", ""), |c, v| c.nomad.allocations().follow_lines(&v, "web", 10, &nomad_client::LogsOptions::default())),
        c!("namespaces.rs::Namespaces::get", "namespace", Segment("/v1/namespace", ""), |c, v| c.nomad.namespaces().get(&v, &nq())),
        c!("namespaces.rs::Namespaces::create", "namespace", Segment("/v1/namespace", ""), |c, v| c.nomad.namespaces().create(&v, "d", &nw())),
        c!("namespaces.rs::Namespaces::delete", "namespace", Segment("/v1/namespace", ""), |c, v| c.nomad.namespaces().delete(&v, &nw())),
        c!("nodes.rs::Nodes::get", "node ID", Segment("/v1/node", ""), |c, v| c.nomad.nodes().get(&v, &nq())),
        c!("nodes.rs::Nodes::allocations", "node ID", Segment("/v1/node", "/allocations"), |c, v| c.nomad.nodes().allocations(&v, &nq())),
        c!("nodes.rs::Nodes::drain", "node ID", Segment("/v1/node", "/drain"), |c, v| c.nomad.nodes().drain(&v, &nomad_client::DrainOptions::default())),
        c!("nodes.rs::Nodes::cancel_drain", "node ID", Segment("/v1/node", "/drain"), |c, v| c.nomad.nodes().cancel_drain(&v, true, &nw())),
        c!("nodes.rs::Nodes::set_eligibility", "node ID", Segment("/v1/node", "/eligibility"), |c, v| c.nomad.nodes().set_eligibility(&v, true, &nw())),
        // purge reads the node first (only a down node is purged); the 404 stops it there.
        c!("nodes.rs::Nodes::purge", "node ID", Segment("/v1/node", ""), |c, v| c.nomad.nodes().purge(&v, &nw())),
        c!("nodes.rs::Nodes::purge_with", "node ID", Segment("/v1/node", "/purge"), |c, v| c.nomad.nodes().purge_with(&v, &nomad_client::PurgeOptions { even_if_not_down: true, ..Default::default() })),
        c!("acl.rs::AclPolicies::get", "ACL policy", Segment("/v1/acl/policy", ""), |c, v| c.nomad.acl().policies().get(&v, &nq())),
        c!("acl.rs::AclPolicies::delete", "ACL policy", Segment("/v1/acl/policy", ""), |c, v| c.nomad.acl().policies().delete(&v, &nw())),
        c!("acl.rs::AclTokens::get", "ACL token accessor ID", Segment("/v1/acl/token", ""), |c, v| c.nomad.acl().tokens().get(&v, &nq())),
        c!("acl.rs::AclTokens::delete", "ACL token accessor ID", Segment("/v1/acl/token", ""), |c, v| c.nomad.acl().tokens().delete(&v, &nw())),
        c!("acl.rs::AclRoles::get", "ACL role ID", Segment("/v1/acl/role", ""), |c, v| c.nomad.acl().roles().get(&v, &nq())),
        c!("acl.rs::AclRoles::get_by_name", "ACL role name", Segment("/v1/acl/role/name", ""), |c, v| c.nomad.acl().roles().get_by_name(&v, &nq())),
        c!("acl.rs::AclRoles::delete", "ACL role ID", Segment("/v1/acl/role", ""), |c, v| c.nomad.acl().roles().delete(&v, &nw())),
        c!("acl.rs::AclAuthMethods::get", "auth method", Segment("/v1/acl/auth-method", ""), |c, v| c.nomad.acl().auth_methods().get(&v, &nq())),
        c!("acl.rs::AclAuthMethods::delete", "auth method", Segment("/v1/acl/auth-method", ""), |c, v| c.nomad.acl().auth_methods().delete(&v, &nw())),
        c!("acl.rs::AclBindingRules::get", "ACL binding rule ID", Segment("/v1/acl/binding-rule", ""), |c, v| c.nomad.acl().binding_rules().get(&v, &nq())),
        c!("acl.rs::AclBindingRules::delete", "ACL binding rule ID", Segment("/v1/acl/binding-rule", ""), |c, v| c.nomad.acl().binding_rules().delete(&v, &nw())),
        c!("variables.rs::Variables::get", "variable path", Key("/v1/var", ""), |c, v| c.nomad.variables().get(&v, &nq())),
        c!("variables.rs::Variables::delete", "variable path", Key("/v1/var", ""), |c, v| c.nomad.variables().delete(&v, None, &nw())),
        c!("variables.rs::Variables::renew_lock", "variable path", Key("/v1/var", ""), |c, v| c.nomad.variables().renew_lock(&v, CONTROL, &nw())),
        c!("variables.rs::Variables::release_lock", "variable path", Key("/v1/var", ""), |c, v| c.nomad.variables().release_lock(&v, CONTROL, &nw())),
        c!("services.rs::Services::get", "service name", Segment("/v1/service", ""), |c, v| c.nomad.services().get(&v, &nq())),
        c!("services.rs::Services::delete", "service name", Segment("/v1/service", ""), |c, v| c.nomad.services().delete(&v, "reg-1", &nw())),
        c!("node_pools.rs::NodePools::get", "node pool", Segment("/v1/node/pool", ""), |c, v| c.nomad.node_pools().get(&v, &nq())),
        c!("node_pools.rs::NodePools::delete", "node pool", Segment("/v1/node/pool", ""), |c, v| c.nomad.node_pools().delete(&v, &nw())),
        c!("node_pools.rs::NodePools::nodes", "node pool", Segment("/v1/node/pool", "/nodes"), |c, v| c.nomad.node_pools().nodes(&v, &nq())),
        c!("node_pools.rs::NodePools::jobs", "node pool", Segment("/v1/node/pool", "/jobs"), |c, v| c.nomad.node_pools().jobs(&v, &nq())),
        c!("jobs.rs::Jobs::evaluate", "job ID", Slashes("/v1/job", "/evaluate"), |c, v| c.nomad.jobs().evaluate(&v, false, &nw())),
        c!("jobs.rs::Jobs::periodic_force", "job ID", Slashes("/v1/job", "/periodic/force"), |c, v| c.nomad.jobs().periodic_force(&v, &nw())),
        c!("jobs.rs::Jobs::set_stable", "job ID", Slashes("/v1/job", "/stable"), |c, v| c.nomad.jobs().set_stable(&v, 1, true, &nw())),
        c!("deployments.rs::Deployments::pause", "deployment ID", Segment("/v1/deployment/pause", ""), |c, v| c.nomad.deployments().pause(&v, true, &nw())),
        c!("deployments.rs::Deployments::unblock", "deployment ID", Segment("/v1/deployment/unblock", ""), |c, v| c.nomad.deployments().unblock(&v, &nw())),
        c!("volumes.rs::CsiVolumes::get", "CSI volume ID", Segment("/v1/volume/csi", ""), |c, v| c.nomad.csi_volumes().get(&v, &nq())),
        c!("volumes.rs::CsiVolumes::deregister", "CSI volume ID", Segment("/v1/volume/csi", ""), |c, v| c.nomad.csi_volumes().deregister(&v, true, &nw())),
        // delete reads the volume first (a claimed one is refused); the 404 stops it there.
        c!("volumes.rs::CsiVolumes::delete", "CSI volume ID", Segment("/v1/volume/csi", ""), |c, v| c.nomad.csi_volumes().delete(&v, &Default::default(), &nw())),
        c!("volumes.rs::CsiVolumes::detach", "CSI volume ID", Segment("/v1/volume/csi", "/detach"), |c, v| c.nomad.csi_volumes().detach(&v, CONTROL, &nw())),
        c!("volumes.rs::HostVolumes::get", "host volume ID", Segment("/v1/volume/host", ""), |c, v| c.nomad.host_volumes().get(&v, &nq())),
        c!("volumes.rs::HostVolumes::delete", "host volume ID", Segment("/v1/volume/host", ""), |c, v| c.nomad.host_volumes().delete(&v, &nw())),
        c!("plugins.rs::CsiPlugins::get", "CSI plugin ID", Segment("/v1/plugin/csi", ""), |c, v| c.nomad.csi_plugins().get(&v, &nq())),
        c!("quotas.rs::Quotas::get", "quota name", Segment("/v1/quota", ""), |c, v| c.nomad.quotas().get(&v, &nq())),
        c!("quotas.rs::Quotas::delete", "quota name", Segment("/v1/quota", ""), |c, v| c.nomad.quotas().delete(&v, &nw())),
        c!("quotas.rs::Quotas::usage", "quota name", Segment("/v1/quota/usage", ""), |c, v| c.nomad.quotas().usage(&v, &nq())),
        c!("quotas.rs::SentinelPolicies::get", "Sentinel policy name", Segment("/v1/sentinel/policy", ""), |c, v| c.nomad.sentinel_policies().get(&v, &nq())),
        c!("quotas.rs::SentinelPolicies::delete", "Sentinel policy name", Segment("/v1/sentinel/policy", ""), |c, v| c.nomad.sentinel_policies().delete(&v, &nw())),
        c!("job_meta.rs::Jobs::submission", "job ID", Slashes("/v1/job", "/submission"), |c, v| c.nomad.jobs().submission(&v, 1, &nq())),
        c!("job_meta.rs::Jobs::tag_version", "job ID", Slashes("/v1/job", "/versions/golden/tag"), |c, v| c.nomad.jobs().tag_version(&v, "golden", None, "d", &nw())),
        c!("job_meta.rs::Jobs::tag_version", "job version tag", Segment("/v1/job/web/versions", "/tag"), |c, v| c.nomad.jobs().tag_version("web", &v, None, "d", &nw())),
        c!("job_meta.rs::Jobs::untag_version", "job ID", Slashes("/v1/job", "/versions/golden/tag"), |c, v| c.nomad.jobs().untag_version(&v, "golden", &nw())),
        c!("job_meta.rs::Jobs::untag_version", "job version tag", Segment("/v1/job/web/versions", "/tag"), |c, v| c.nomad.jobs().untag_version("web", &v, &nw())),
        c!("job_meta.rs::Jobs::services", "job ID", Slashes("/v1/job", "/services"), |c, v| c.nomad.jobs().services(&v, &nq())),
        c!("allocations.rs::Allocations::stats", "allocation ID", Segment("/v1/client/allocation", "/stats"), |c, v| c.nomad.allocations().stats(&v, &nq())),
        c!("allocations.rs::Allocations::checks", "allocation ID", Segment("/v1/allocation", "/checks"), |c, v| c.nomad.allocations().checks(&v, &nq())),
        c!("allocations.rs::Allocations::services", "allocation ID", Segment("/v1/allocation", "/services"), |c, v| c.nomad.allocations().services(&v, &nq())),
        // gc reads the allocation first (only a terminal one is collected); the 404 stops it there.
        c!("allocations.rs::Allocations::gc", "allocation ID", Segment("/v1/allocation", ""), |c, v| c.nomad.allocations().gc(&v, &nw())),
        c!("allocations.rs::Allocations::set_pause", "allocation ID", Segment("/v1/client/allocation", "/pause"), |c, v| c.nomad.allocations().set_pause(&v, "web", nomad_client::PauseState::Run, &nw())),
        c!("allocations.rs::Allocations::pause_state", "allocation ID", Segment("/v1/client/allocation", "/pause"), |c, v| c.nomad.allocations().pause_state(&v, "web", &nq())),
        c!("fs.rs::Allocations::stream_file", "allocation ID", Segment("/v1/client/fs/stream", ""), |c, v| c.nomad.allocations().stream_file(&v, "/alloc/x", &nomad_client::LogsOptions::default())),
        c!("node_ops.rs::Nodes::force_evaluate", "node ID", Segment("/v1/node", "/evaluate"), |c, v| c.nomad.nodes().force_evaluate(&v, &nw())),
        // watch_drain also watches the node's allocations; only the control UUID passes the node ID check.
        c!("node_ops.rs::Nodes::watch_drain", "node ID", Segment("/v1/node", ""), aux ["/v1/node/9df9c84d-e72a-b42f-b5da-5df98da53bda/allocations"], |c, v| async move { first(c.nomad.nodes().watch_drain(&v, None, &nq(), watch())?).await }),
        c!("deployments.rs::Deployments::set_alloc_health", "deployment ID", Segment("/v1/deployment/allocation-health", ""), |c, v| c.nomad.deployments().set_alloc_health(&v, &[CONTROL], &[], &nw())),
        // ---- vault-client
        c!("auth.rs::Auth::kubernetes", "mount", Key("/v1/auth", "/login"), |c, v| async move { c.vault.auth().kubernetes(&v)?.login("r", &client_core::Secret::new("jwt")).await }),
        c!("kv.rs::VaultClient::kv1", "mount", Key("/v1", "/x"), |c, v| async move { c.vault.kv1(&v)?.read::<V>("x").await }),
        c!("kv.rs::VaultClient::kv2", "mount", Key("/v1", "/data/x"), aux ["/v1/sys/internal/ui/mounts/"], |c, v| async move { c.vault.kv2(&v)?.read::<V>("x").await }),
        // The mount of every handler `mounted_auth!` defines (github, approle, userpass, jwt, aws).
        c!("auth.rs::Auth::$ctor", "mount", Key("/v1/auth", "/login/alice"), |c, v| async move { c.vault.auth().userpass(&v)?.login("alice", &client_core::Secret::new("pw")).await }),
        c!("auth.rs::Userpass::login", "username", Segment("/v1/auth/userpass/login", ""), |c, v| c.vault.auth().userpass("userpass").unwrap().login(&v, &client_core::Secret::new("pw"))),
        c!("client.rs::VaultClient::read", "Vault path", Key("/v1", ""), |c, v| c.vault.read::<V>(&v)),
        c!("client.rs::VaultClient::write", "Vault path", Key("/v1", ""), |c, v| c.vault.write(&v, &data())),
        c!("client.rs::VaultClient::list", "Vault list prefix", Key("/v1", ""), |c, v| c.vault.list(&v)),
        c!("client.rs::VaultClient::delete", "Vault path", Key("/v1", ""), |c, v| c.vault.delete(&v)),
        c!("kv.rs::VaultClient::kv", "mount", Key("/v1/sys/internal/ui/mounts", ""), |c, v| c.vault.kv(&v)),
        c!("kv.rs::Kv1::read", "KV path", Key("/v1/kv", ""), |c, v| kv1(&c.vault).read::<V>(&v)),
        c!("kv.rs::Kv1::write", "KV path", Key("/v1/kv", ""), |c, v| kv1(&c.vault).write(&v, &data())),
        c!("kv.rs::Kv1::list", "Vault list prefix", Key("/v1/kv", ""), |c, v| kv1(&c.vault).list(&v)),
        c!("kv.rs::Kv1::delete", "KV path", Key("/v1/kv", ""), |c, v| kv1(&c.vault).delete(&v)),
        c!("kv.rs::Kv2::read", "KV path", Key("/v1/secret/data", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).read::<V>(&v)),
        c!("kv.rs::Kv2::get", "KV path", Key("/v1/secret/data", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).get::<V>(&v)),
        c!("kv.rs::Kv2::read_version", "KV path", Key("/v1/secret/data", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).read_version::<V>(&v, 1)),
        c!("kv.rs::Kv2::write", "KV path", Key("/v1/secret/data", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).write(&v, &data())),
        c!("kv.rs::Kv2::write_cas", "KV path", Key("/v1/secret/data", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).write_cas(&v, &data(), 1)),
        c!("kv.rs::Kv2::patch", "KV path", Key("/v1/secret/data", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).patch(&v, &data())),
        c!("kv.rs::Kv2::patch_cas", "KV path", Key("/v1/secret/data", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).patch_cas(&v, &data(), 1)),
        c!("kv.rs::Kv2::patch_metadata", "KV path", Key("/v1/secret/metadata", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).patch_metadata(&v, &vault_client::MetadataPatch::default())),
        c!("kv.rs::Kv2::subkeys", "KV path", Key("/v1/secret/subkeys", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).subkeys(&v, None, None)),
        c!("kv.rs::Kv2::list", "Vault list prefix", Key("/v1/secret/metadata", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).list(&v)),
        c!("kv.rs::Kv2::delete", "KV path", Key("/v1/secret/data", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).delete(&v)),
        c!("kv.rs::Kv2::delete_versions", "KV path", Key("/v1/secret/delete", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).delete_versions(&v, &[1])),
        c!("kv.rs::Kv2::undelete", "KV path", Key("/v1/secret/undelete", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).undelete(&v, &[1])),
        c!("kv.rs::Kv2::destroy", "KV path", Key("/v1/secret/destroy", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).destroy(&v, &[1])),
        c!("kv.rs::Kv2::metadata", "KV path", Key("/v1/secret/metadata", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).metadata(&v)),
        c!("kv.rs::Kv2::write_metadata", "KV path", Key("/v1/secret/metadata", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).write_metadata(&v, &vault_client::MetadataOptions::default())),
        c!("kv.rs::Kv2::delete_metadata", "KV path", Key("/v1/secret/metadata", ""), aux ["/v1/sys/internal/ui/mounts/secret"], |c, v| kv2(&c.vault).delete_metadata(&v)),
        c!("kv.rs::Kv::read", "KV path", Key("/v1/kv", ""), |c, v| vault_client::Kv::V1(kv1(&c.vault)).read::<V>(&v)),
        c!("kv.rs::Kv::write", "KV path", Key("/v1/kv", ""), |c, v| vault_client::Kv::V1(kv1(&c.vault)).write(&v, &data())),
        c!("kv.rs::Kv::list", "Vault list prefix", Key("/v1/kv", ""), |c, v| vault_client::Kv::V1(kv1(&c.vault)).list(&v)),
        c!("kv.rs::Kv::delete", "KV path", Key("/v1/kv", ""), |c, v| vault_client::Kv::V1(kv1(&c.vault)).delete(&v)),
        c!("secrets.rs::Secrets::nomad_creds", "role", Segment("/v1/nomad/creds", ""), |c, v| c.vault.secrets().nomad_creds(&v)),
        c!("secrets.rs::Secrets::nomad_creds_at", "role", Segment("/v1/nomad/creds", ""), |c, v| c.vault.secrets().nomad_creds_at("nomad", &v)),
        c!("secrets.rs::Secrets::nomad_creds_at", "mount", Key("/v1", "/creds/admin"), |c, v| c.vault.secrets().nomad_creds_at(&v, "admin")),
        c!("secrets.rs::Secrets::consul_creds", "role", Segment("/v1/consul/creds", ""), |c, v| c.vault.secrets().consul_creds(&v)),
        c!("secrets.rs::Secrets::consul_creds_at", "role", Segment("/v1/consul/creds", ""), |c, v| c.vault.secrets().consul_creds_at("consul", &v)),
        c!("secrets.rs::Secrets::consul_creds_at", "mount", Key("/v1", "/creds/admin"), |c, v| c.vault.secrets().consul_creds_at(&v, "admin")),
        c!("secrets.rs::Secrets::aws_creds_at", "role", Segment("/v1/aws/creds", ""), |c, v| c.vault.secrets().aws_creds_at("aws", &v)),
        c!("secrets.rs::Secrets::aws_creds_at", "mount", Key("/v1", "/creds/admin"), |c, v| c.vault.secrets().aws_creds_at(&v, "admin")),
        c!("secrets.rs::Secrets::aws_sts_creds_at", "role", Segment("/v1/aws/sts", ""), |c, v| async move { c.vault.secrets().aws_sts_creds_at("aws", &v, &vault_client::StsRequest::default()).await }),
        c!("secrets.rs::Secrets::aws_sts_creds_at", "mount", Key("/v1", "/sts/admin"), |c, v| async move { c.vault.secrets().aws_sts_creds_at(&v, "admin", &vault_client::StsRequest::default()).await }),
        // The Nomad read comes first; the 404 stops it before the Consul mount is used.
        c!("secrets.rs::Secrets::nomad_and_consul_creds", "role", Segment("/v1/nomad/creds", ""), |c, v| c.vault.secrets().nomad_and_consul_creds("nomad", "consul", &v)),
        c!("secrets.rs::Secrets::nomad_and_consul_creds", "mount", Key("/v1", "/creds/admin"), |c, v| c.vault.secrets().nomad_and_consul_creds(&v, "consul", "admin")),
        c!("sys.rs::Sys::mount_info", "mount", Key("/v1/sys/internal/ui/mounts", ""), |c, v| c.vault.sys().mount_info(&v)),
        c!("sys.rs::Sys::policy", "policy name", Segment("/v1/sys/policies/acl", ""), |c, v| c.vault.sys().policy(&v)),
        c!("sys.rs::Sys::enable_mount", "mount", Key("/v1/sys/mounts", ""), |c, v| async move { c.vault.sys().enable_mount(&v, &vault_client::sys::MountRequest::new("kv")).await }),
        c!("sys.rs::Sys::disable_mount", "mount", Key("/v1/sys/mounts", ""), |c, v| c.vault.sys().disable_mount(&v)),
        c!("sys.rs::Sys::tune_mount", "mount", Key("/v1/sys/mounts", "/tune"), |c, v| async move { c.vault.sys().tune_mount(&v, &vault_client::sys::MountTune::default()).await }),
        c!("sys.rs::Sys::write_policy", "policy name", Segment("/v1/sys/policies/acl", ""), |c, v| c.vault.sys().write_policy(&v, "path \"x\" {}")),
        c!("sys.rs::Sys::delete_policy", "policy name", Segment("/v1/sys/policies/acl", ""), |c, v| c.vault.sys().delete_policy(&v)),
        c!("leases.rs::Leases::list", "lease prefix", Key("/v1/sys/leases/lookup", ""), |c, v| c.vault.sys().leases().list(&v)),
        c!("leases.rs::Leases::revoke_prefix", "lease prefix", Key("/v1/sys/leases/revoke-prefix", ""), |c, v| c.vault.sys().leases().revoke_prefix(&v)),
        c!("leases.rs::Leases::revoke_force", "lease prefix", Key("/v1/sys/leases/revoke-force", ""), |c, v| c.vault.sys().leases().revoke_force(&v)),
        c!("audit.rs::Sys::enable_audit", "audit device path", Key("/v1/sys/audit", ""), |c, v| async move { c.vault.sys().enable_audit(&v, &vault_client::audit::AuditRequest::syslog()).await }),
        c!("audit.rs::Sys::disable_audit", "audit device path", Key("/v1/sys/audit", ""), |c, v| c.vault.sys().disable_audit(&v)),
        c!("audit.rs::Sys::audit_hash", "audit device path", Key("/v1/sys/audit-hash", ""), |c, v| async move { c.vault.sys().audit_hash(&v, &client_core::Secret::new("x")).await }),
        c!("database.rs::VaultClient::database", "mount", Key("/v1", "/creds/admin"), |c, v| async move { c.vault.database(&v)?.creds("admin").await }),
        c!("database.rs::Database::write_connection", "database connection", Segment("/v1/database/config", ""), |c, v| async move { db(&c.vault).write_connection(&v, &vault_client::database::PostgresConnection::new("postgresql://{{username}}:{{password}}@db:5432/postgres")).await }),
        c!("database.rs::Database::get_connection", "database connection", Segment("/v1/database/config", ""), |c, v| async move { db(&c.vault).get_connection(&v).await }),
        c!("database.rs::Database::delete_connection", "database connection", Segment("/v1/database/config", ""), |c, v| async move { db(&c.vault).delete_connection(&v).await }),
        c!("database.rs::Database::reset_connection", "database connection", Segment("/v1/database/reset", ""), |c, v| async move { db(&c.vault).reset_connection(&v).await }),
        c!("database.rs::Database::rotate_root", "database connection", Segment("/v1/database/rotate-root", ""), |c, v| async move { db(&c.vault).rotate_root(&v).await }),
        c!("database.rs::Database::write_role", "database role", Segment("/v1/database/roles", ""), |c, v| async move { db(&c.vault).write_role(&v, &vault_client::database::DatabaseRole::new("pg", ["CREATE ROLE x"])).await }),
        c!("database.rs::Database::get_role", "database role", Segment("/v1/database/roles", ""), |c, v| async move { db(&c.vault).get_role(&v).await }),
        c!("database.rs::Database::delete_role", "database role", Segment("/v1/database/roles", ""), |c, v| async move { db(&c.vault).delete_role(&v).await }),
        c!("database.rs::Database::write_static_role", "database static role", Segment("/v1/database/static-roles", ""), |c, v| async move { db(&c.vault).write_static_role(&v, &vault_client::database::StaticRole::new("pg", "app", Duration::from_secs(3600))).await }),
        c!("database.rs::Database::get_static_role", "database static role", Segment("/v1/database/static-roles", ""), |c, v| async move { db(&c.vault).get_static_role(&v).await }),
        c!("database.rs::Database::delete_static_role", "database static role", Segment("/v1/database/static-roles", ""), |c, v| async move { db(&c.vault).delete_static_role(&v).await }),
        c!("database.rs::Database::creds", "role", Segment("/v1/database/creds", ""), |c, v| async move { db(&c.vault).creds(&v).await }),
        c!("database.rs::Database::static_creds", "database static role", Segment("/v1/database/static-creds", ""), |c, v| async move { db(&c.vault).static_creds(&v).await }),
        c!("database.rs::Database::rotate_role", "database static role", Segment("/v1/database/rotate-role", ""), |c, v| async move { db(&c.vault).rotate_role(&v).await }),
        c!("pki.rs::VaultClient::pki", "mount", Key("/v1", "/roles/web"), |c, v| async move { c.vault.pki(&v)?.get_role("web").await }),
        c!("pki.rs::Pki::issue", "PKI role", Segment("/v1/pki/issue", ""), |c, v| async move { pki(&c.vault).issue(&v, &vault_client::pki::IssueRequest::new("x.example")).await }),
        c!("pki.rs::Pki::sign", "PKI role", Segment("/v1/pki/sign", ""), |c, v| async move { pki(&c.vault).sign(&v, "csr", &vault_client::pki::IssueRequest::new("x.example")).await }),
        c!("pki.rs::Pki::write_role", "PKI role", Segment("/v1/pki/roles", ""), |c, v| async move { pki(&c.vault).write_role(&v, &vault_client::pki::PkiRole::default()).await }),
        c!("pki.rs::Pki::get_role", "PKI role", Segment("/v1/pki/roles", ""), |c, v| async move { pki(&c.vault).get_role(&v).await }),
        c!("pki.rs::Pki::delete_role", "PKI role", Segment("/v1/pki/roles", ""), |c, v| async move { pki(&c.vault).delete_role(&v).await }),
        c!("pki/authority.rs::Pki::issuer", "PKI issuer", Segment("/v1/pki/issuer", ""), |c, v| async move { pki(&c.vault).issuer(&v).await }),
        c!("transit.rs::VaultClient::transit", "mount", Key("/v1", "/keys/foo"), |c, v| async move { c.vault.transit(&v)?.get_key("foo").await }),
        c!("transit.rs::Transit::create_key", "transit key", Segment("/v1/transit/keys", ""), |c, v| async move { transit(&c.vault).create_key(&v, &vault_client::transit::KeyOptions::default()).await }),
        c!("transit.rs::Transit::get_key", "transit key", Segment("/v1/transit/keys", ""), |c, v| async move { transit(&c.vault).get_key(&v).await }),
        c!("transit.rs::Transit::delete_key", "transit key", Segment("/v1/transit/keys", ""), |c, v| async move { transit(&c.vault).delete_key(&v).await }),
        c!("transit.rs::Transit::rotate_key", "transit key", Segment("/v1/transit/keys", "/rotate"), |c, v| async move { transit(&c.vault).rotate_key(&v).await }),
        c!("transit.rs::Transit::configure_key", "transit key", Segment("/v1/transit/keys", "/config"), |c, v| async move { transit(&c.vault).configure_key(&v, &vault_client::transit::KeyConfig::default()).await }),
        c!("transit.rs::Transit::encrypt", "transit key", Segment("/v1/transit/encrypt", ""), |c, v| async move { transit(&c.vault).encrypt(&v, b"x", None).await }),
        c!("transit.rs::Transit::decrypt", "transit key", Segment("/v1/transit/decrypt", ""), |c, v| async move { transit(&c.vault).decrypt(&v, "vault:v1:eA==", None).await }),
        c!("transit.rs::Transit::rewrap", "transit key", Segment("/v1/transit/rewrap", ""), |c, v| async move { transit(&c.vault).rewrap(&v, "vault:v1:eA==", None).await }),
        c!("transit.rs::Transit::datakey", "transit key", Segment("/v1/transit/datakey/plaintext", ""), |c, v| async move { transit(&c.vault).datakey(&v, true, None, None).await }),
        c!("transit.rs::Transit::sign", "transit key", Segment("/v1/transit/sign", ""), |c, v| async move { transit(&c.vault).sign(&v, b"x", None).await }),
        c!("transit.rs::Transit::verify", "transit key", Segment("/v1/transit/verify", ""), |c, v| async move { transit(&c.vault).verify(&v, b"x", "vault:v1:eA==", None).await }),
        c!("transit.rs::Transit::hmac", "transit key", Segment("/v1/transit/hmac", ""), |c, v| async move { transit(&c.vault).hmac(&v, b"x", None).await }),
        c!("transit.rs::Transit::verify_hmac", "transit key", Segment("/v1/transit/verify", ""), |c, v| async move { transit(&c.vault).verify_hmac(&v, b"x", "vault:v1:eA==", None).await }),
        c!("transit.rs::Transit::trim_key", "transit key", Segment("/v1/transit/keys", "/trim"), |c, v| async move { transit(&c.vault).trim_key(&v, 2).await }),
        c!("transit/batch.rs::Transit::encrypt_batch", "transit key", Segment("/v1/transit/encrypt", ""), |c, v| async move { transit(&c.vault).encrypt_batch(&v, &[vault_client::transit::EncryptItem::new(*b"x")]).await }),
        c!("transit/batch.rs::Transit::decrypt_batch", "transit key", Segment("/v1/transit/decrypt", ""), |c, v| async move { transit(&c.vault).decrypt_batch(&v, &[vault_client::transit::CiphertextItem::new("vault:v1:eA==")]).await }),
        c!("transit/batch.rs::Transit::rewrap_batch", "transit key", Segment("/v1/transit/rewrap", ""), |c, v| async move { transit(&c.vault).rewrap_batch(&v, &[vault_client::transit::CiphertextItem::new("vault:v1:eA==")]).await }),
        c!("transit/batch.rs::Transit::sign_batch", "transit key", Segment("/v1/transit/sign", ""), |c, v| async move { transit(&c.vault).sign_batch(&v, &[vault_client::transit::SignItem::new(*b"x")], None).await }),
        c!("transit/batch.rs::Transit::verify_batch", "transit key", Segment("/v1/transit/verify", ""), |c, v| async move { transit(&c.vault).verify_batch(&v, &[vault_client::transit::VerifyItem::new(*b"x", "vault:v1:eA==")], None).await }),
        c!("transit/batch.rs::Transit::verify_hmac_batch", "transit key", Segment("/v1/transit/verify", ""), |c, v| async move { transit(&c.vault).verify_hmac_batch(&v, &[vault_client::transit::VerifyItem::new(*b"x", "vault:v1:eA==")], None).await }),
        c!("transit/batch.rs::Transit::hmac_batch", "transit key", Segment("/v1/transit/hmac", ""), |c, v| async move { transit(&c.vault).hmac_batch(&v, &[b"x"], None).await }),
        c!("transit/export.rs::Transit::export_key", "transit key", Segment("/v1/transit/export/encryption-key", ""), |c, v| async move { transit(&c.vault).export_key(&v, vault_client::transit::ExportKind::EncryptionKey, vault_client::transit::ExportVersion::All).await }),
        c!("transit/export.rs::Transit::backup_key", "transit key", Segment("/v1/transit/backup", ""), |c, v| async move { transit(&c.vault).backup_key(&v).await }),
        c!("auth/approle.rs::AppRole::write_role", "AppRole role", Segment("/v1/auth/approle/role", ""), |c, v| async move { c.vault.auth().approle("approle")?.write_role(&v, &Default::default()).await }),
        c!("auth/approle.rs::AppRole::read_role", "AppRole role", Segment("/v1/auth/approle/role", ""), |c, v| async move { c.vault.auth().approle("approle")?.read_role(&v).await }),
        c!("auth/approle.rs::AppRole::delete_role", "AppRole role", Segment("/v1/auth/approle/role", ""), |c, v| async move { c.vault.auth().approle("approle")?.delete_role(&v).await }),
        c!("auth/approle.rs::AppRole::role_id", "AppRole role", Segment("/v1/auth/approle/role", "/role-id"), |c, v| async move { c.vault.auth().approle("approle")?.role_id(&v).await }),
        c!("auth/approle.rs::AppRole::set_role_id", "AppRole role", Segment("/v1/auth/approle/role", "/role-id"), |c, v| async move { c.vault.auth().approle("approle")?.set_role_id(&v, "custom").await }),
        c!("auth/approle.rs::AppRole::generate_secret_id", "AppRole role", Segment("/v1/auth/approle/role", "/secret-id"), |c, v| async move { c.vault.auth().approle("approle")?.generate_secret_id(&v, &Default::default()).await }),
        c!("auth/approle.rs::AppRole::custom_secret_id", "AppRole role", Segment("/v1/auth/approle/role", "/custom-secret-id"), |c, v| async move { c.vault.auth().approle("approle")?.custom_secret_id(&v, &client_core::Secret::new("s"), &Default::default()).await }),
        c!("auth/approle.rs::AppRole::list_secret_id_accessors", "AppRole role", Segment("/v1/auth/approle/role", "/secret-id"), |c, v| async move { c.vault.auth().approle("approle")?.list_secret_id_accessors(&v).await }),
        c!("auth/approle.rs::AppRole::lookup_secret_id", "AppRole role", Segment("/v1/auth/approle/role", "/secret-id/lookup"), |c, v| async move { c.vault.auth().approle("approle")?.lookup_secret_id(&v, &client_core::Secret::new("s")).await }),
        c!("auth/approle.rs::AppRole::lookup_secret_id_accessor", "AppRole role", Segment("/v1/auth/approle/role", "/secret-id-accessor/lookup"), |c, v| async move { c.vault.auth().approle("approle")?.lookup_secret_id_accessor(&v, "a").await }),
        c!("auth/approle.rs::AppRole::destroy_secret_id", "AppRole role", Segment("/v1/auth/approle/role", "/secret-id/destroy"), |c, v| async move { c.vault.auth().approle("approle")?.destroy_secret_id(&v, &client_core::Secret::new("s")).await }),
        c!("auth/approle.rs::AppRole::destroy_secret_id_accessor", "AppRole role", Segment("/v1/auth/approle/role", "/secret-id-accessor/destroy"), |c, v| async move { c.vault.auth().approle("approle")?.destroy_secret_id_accessor(&v, "a").await }),
        c!("auth/userpass.rs::Userpass::write_user", "username", Segment("/v1/auth/userpass/users", ""), |c, v| async move { c.vault.auth().userpass("userpass")?.write_user(&v, &Default::default()).await }),
        c!("auth/userpass.rs::Userpass::read_user", "username", Segment("/v1/auth/userpass/users", ""), |c, v| async move { c.vault.auth().userpass("userpass")?.read_user(&v).await }),
        c!("auth/userpass.rs::Userpass::delete_user", "username", Segment("/v1/auth/userpass/users", ""), |c, v| async move { c.vault.auth().userpass("userpass")?.delete_user(&v).await }),
        c!("auth/userpass.rs::Userpass::update_password", "username", Segment("/v1/auth/userpass/users", "/password"), |c, v| async move { c.vault.auth().userpass("userpass")?.update_password(&v, &client_core::Secret::new("pw")).await }),
        c!("auth/userpass.rs::Userpass::update_policies", "username", Segment("/v1/auth/userpass/users", "/policies"), |c, v| async move { c.vault.auth().userpass("userpass")?.update_policies(&v, &["p"]).await }),
        c!("auth/token_roles.rs::TokenAuth::write_role", "token role", Segment("/v1/auth/token/roles", ""), |c, v| async move { c.vault.auth().token().write_role(&v, &Default::default()).await }),
        c!("auth/token_roles.rs::TokenAuth::read_role", "token role", Segment("/v1/auth/token/roles", ""), |c, v| async move { c.vault.auth().token().read_role(&v).await }),
        c!("auth/token_roles.rs::TokenAuth::delete_role", "token role", Segment("/v1/auth/token/roles", ""), |c, v| async move { c.vault.auth().token().delete_role(&v).await }),
        c!("auth/token_roles.rs::TokenAuth::create_with_role", "token role", Segment("/v1/auth/token/create", ""), |c, v| async move { c.vault.auth().token().create_with_role(&v, &Default::default()).await }),
        c!("auth/mounts.rs::Sys::enable_auth", "mount", Key("/v1/sys/auth", ""), |c, v| async move { c.vault.sys().enable_auth(&v, &vault_client::sys::MountRequest::new("approle")).await }),
        c!("auth/mounts.rs::Sys::disable_auth", "mount", Key("/v1/sys/auth", ""), |c, v| async move { c.vault.sys().disable_auth(&v).await }),
        c!("auth/mounts.rs::Sys::auth_tune", "mount", Key("/v1/sys/auth", "/tune"), |c, v| async move { c.vault.sys().auth_tune(&v).await }),
        c!("auth/mounts.rs::Sys::tune_auth", "mount", Key("/v1/sys/auth", "/tune"), |c, v| async move { c.vault.sys().tune_auth(&v, &Default::default()).await }),
        c!("auth/mounts.rs::Sys::remount_status", "migration ID", Segment("/v1/sys/remount/status", ""), |c, v| async move { c.vault.sys().remount_status(&v).await }),
        c!("auth/ldap.rs::Ldap::login", "username", Segment("/v1/auth/ldap/login", ""), |c, v| async move { c.vault.auth().ldap("ldap")?.login(&v, &client_core::Secret::new("pw")).await }),
        c!("auth/ldap.rs::Ldap::write_group", "LDAP group", Segment("/v1/auth/ldap/groups", ""), |c, v| async move { c.vault.auth().ldap("ldap")?.write_group(&v, &["p"]).await }),
        c!("auth/ldap.rs::Ldap::read_group", "LDAP group", Segment("/v1/auth/ldap/groups", ""), |c, v| async move { c.vault.auth().ldap("ldap")?.read_group(&v).await }),
        c!("auth/ldap.rs::Ldap::delete_group", "LDAP group", Segment("/v1/auth/ldap/groups", ""), |c, v| async move { c.vault.auth().ldap("ldap")?.delete_group(&v).await }),
        c!("auth/ldap.rs::Ldap::write_user", "LDAP user", Segment("/v1/auth/ldap/users", ""), |c, v| async move { c.vault.auth().ldap("ldap")?.write_user(&v, &Default::default()).await }),
        c!("auth/ldap.rs::Ldap::read_user", "LDAP user", Segment("/v1/auth/ldap/users", ""), |c, v| async move { c.vault.auth().ldap("ldap")?.read_user(&v).await }),
        c!("auth/ldap.rs::Ldap::delete_user", "LDAP user", Segment("/v1/auth/ldap/users", ""), |c, v| async move { c.vault.auth().ldap("ldap")?.delete_user(&v).await }),
        c!("auth/cert.rs::Cert::write_role", "cert role", Segment("/v1/auth/cert/certs", ""), |c, v| async move { c.vault.auth().cert("cert")?.write_role(&v, &vault_client::auth::CertRole::new("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----")).await }),
        c!("auth/cert.rs::Cert::read_role", "cert role", Segment("/v1/auth/cert/certs", ""), |c, v| async move { c.vault.auth().cert("cert")?.read_role(&v).await }),
        c!("auth/cert.rs::Cert::delete_role", "cert role", Segment("/v1/auth/cert/certs", ""), |c, v| async move { c.vault.auth().cert("cert")?.delete_role(&v).await }),
        c!("auth/jwt.rs::Jwt::write_role", "JWT role", Segment("/v1/auth/jwt/role", ""), |c, v| async move { c.vault.auth().jwt("jwt")?.write_role(&v, &Default::default()).await }),
        c!("auth/jwt.rs::Jwt::read_role", "JWT role", Segment("/v1/auth/jwt/role", ""), |c, v| async move { c.vault.auth().jwt("jwt")?.read_role(&v).await }),
        c!("auth/jwt.rs::Jwt::delete_role", "JWT role", Segment("/v1/auth/jwt/role", ""), |c, v| async move { c.vault.auth().jwt("jwt")?.delete_role(&v).await }),
        // ---- values that go in the query or body: the path stays the same
        c!("agent.rs::Agent::enable_maintenance", "maintenance reason", Fixed("/v1/agent/maintenance"), |c, v| c.consul.agent().enable_maintenance(&v)),
        c!("intentions.rs::Intentions::check", "intention source", Fixed("/v1/connect/intentions/check"), |c, v| c.consul.intentions().check(&v, "db")),
        c!("intentions.rs::Intentions::get_exact", "intention destination", Fixed("/v1/connect/intentions/exact"), |c, v| c.consul.intentions().get_exact("web", &v)),
        c!("catalog.rs::Catalog::service", "service tag", Fixed("/v1/catalog/service/web"), |c, v| c.consul.catalog().service("web", Some(&v), &cq())),
        c!("partition.rs::Partitions::create", "admin partition name", Fixed("/v1/partition"), |c, v| c.consul.partitions().create(&v, "d", &cw())),
        c!("jobs.rs::Jobs::parse", "HCL", Fixed("/v1/jobs/parse"), |c, v| c.nomad.jobs().parse(&v, &nw())),
        c!("acl.rs::Acl::login", "auth method", Fixed("/v1/acl/login"), |c, v| c.nomad.acl().login(&v, &client_core::Secret::new("jwt"), &nw())),
        c!("variables.rs::Variables::renew_lock", "lock ID", Fixed("/v1/var/a"), |c, v| c.nomad.variables().renew_lock("a", &v, &nw())),
        c!("services.rs::Services::delete", "service registration ID", Fixed("/v1/service/web"), |c, v| c.nomad.services().delete("web", &v, &nw())),
        c!("jobs.rs::Jobs::scale", "task group", Fixed("/v1/job/web/scale"), |c, v| c.nomad.jobs().scale("web", &v, 1, &nomad_client::ScaleOptions::default())),
        c!("allocations.rs::Allocations::signal", "signal", Fixed("/v1/client/allocation/9df9c84d-e72a-b42f-b5da-5df98da53bda/signal"), |c, v| c.nomad.allocations().signal(CONTROL, &v, None, &nw())),
        c!("exec.rs::Allocations::exec", "task", Fixed("/v1/client/allocation/9df9c84d-e72a-b42f-b5da-5df98da53bda/exec"), |c, v| c.nomad.allocations().exec(CONTROL, &v, &cmd(), &nomad_client::ExecOptions::default())),
        c!("fs.rs::Allocations::ls", "allocation file path", Fixed("/v1/client/fs/ls/9df9c84d-e72a-b42f-b5da-5df98da53bda"), |c, v| c.nomad.allocations().ls(CONTROL, &v, &nq())),
        c!("fs.rs::Allocations::read_at", "allocation file path", Fixed("/v1/client/fs/readat/9df9c84d-e72a-b42f-b5da-5df98da53bda"), |c, v| c.nomad.allocations().read_at(CONTROL, &v, 0, 10, &nq())),
        c!("logs.rs::Allocations::log_frames", "task", Fixed("/v1/client/fs/logs/9df9c84d-e72a-b42f-b5da-5df98da53bda"), |c, v| c.nomad.allocations().log_frames(CONTROL, &v, &nomad_client::LogsOptions::default())),
        c!("auth.rs::AppRole::login", "AppRole role ID", Fixed("/v1/auth/approle/login"), |c, v| async move { c.vault.auth().approle("approle")?.login(&v, &client_core::Secret::new("s")).await }),
        c!("auth.rs::Jwt::login", "role", Fixed("/v1/auth/jwt/login"), |c, v| async move { c.vault.auth().jwt("jwt")?.login(&v, &client_core::Secret::new("jwt")).await }),
        c!("auth.rs::TokenAuth::lookup_accessor", "token accessor", Fixed("/v1/auth/token/lookup-accessor"), |c, v| c.vault.auth().token().lookup_accessor(&v)),
        c!("auth.rs::TokenAuth::revoke_accessor", "token accessor", Fixed("/v1/auth/token/revoke-accessor"), |c, v| c.vault.auth().token().revoke_accessor(&v)),
        c!("leases.rs::Leases::renew", "lease ID", Fixed("/v1/sys/leases/renew"), |c, v| c.vault.sys().leases().renew(&v, None)),
        c!("leases.rs::Leases::revoke", "lease ID", Fixed("/v1/sys/leases/revoke"), |c, v| c.vault.sys().leases().revoke(&v)),
        c!("leases.rs::Leases::lookup", "lease ID", Fixed("/v1/sys/leases/lookup"), |c, v| c.vault.sys().leases().lookup(&v)),
        c!("auth/approle.rs::AppRole::set_role_id", "AppRole role ID", Fixed("/v1/auth/approle/role/r/role-id"), |c, v| async move { c.vault.auth().approle("approle")?.set_role_id("r", &v).await }),
        c!("auth/approle.rs::AppRole::lookup_secret_id_accessor", "secret ID accessor", Fixed("/v1/auth/approle/role/r/secret-id-accessor/lookup"), |c, v| async move { c.vault.auth().approle("approle")?.lookup_secret_id_accessor("r", &v).await }),
        c!("auth/mounts.rs::Sys::remount", "remount source", Fixed("/v1/sys/remount"), |c, v| c.vault.sys().remount(&v, "elsewhere")),
        c!("auth/jwt.rs::Jwt::oidc_auth_url", "JWT role", Fixed("/v1/auth/jwt/oidc/auth_url"), |c, v| async move { c.vault.auth().jwt("jwt")?.oidc_auth_url(&v, "https://vault.example/cb", None).await }),
        // ---- patroni-client: the DCS view reads <namespace>/<scope>/ from Consul's KV.
        c!("dcs.rs::DcsView::new", "scope", Segment("/v1/kv/service", "/"), |c, v| async move { patroni_client::DcsView::new(c.consul.clone(), &v)?.raw_keys().await }),
        c!("dcs.rs::DcsView::with_namespace", "Patroni namespace", Key("/v1/kv", "/pg/"), |c, v| async move { patroni_client::DcsView::new(c.consul.clone(), "pg")?.with_namespace(&v)?.raw_keys().await }),
    ]
}

/// Methods whose `&str` arguments never reach the request path.
const EXEMPT: &[(&str, &str)] = &[
    ("partition.rs::Partitions::create", "`name`/`description` go in the body of PUT /v1/partition"),
    ("agent.rs::Agent::enable_maintenance", "`reason` is a query value"),
    ("intentions.rs::Intentions::check", "`source`/`destination` are query values"),
    ("intentions.rs::Intentions::get_exact", "`source`/`destination` are query values of /v1/connect/intentions/exact"),
    (
        "intentions.rs::Intentions::delete_exact",
        "`source`/`destination` are query values (exact API) or matched against a list (ID API, which deletes by the server's ID)",
    ),
    ("jobs.rs::Jobs::parse", "`hcl` goes in the body of /v1/jobs/parse"),
    ("acl.rs::Acl::login", "`auth_method` goes in the body of /v1/acl/login"),
    ("auth.rs::AppRole::login", "`role_id` goes in the body of auth/<mount>/login"),
    ("auth.rs::Jwt::login", "`role` goes in the body of auth/<mount>/login"),
    ("auth.rs::TokenAuth::lookup_accessor", "`accessor` goes in the body of auth/token/lookup-accessor"),
    ("auth.rs::TokenAuth::revoke_accessor", "`accessor` goes in the body of auth/token/revoke-accessor"),
    ("leases.rs::Leases::renew", "`lease_id` goes in the body of sys/leases/renew"),
    ("leases.rs::Leases::revoke", "`lease_id` goes in the body of sys/leases/revoke"),
    ("leases.rs::Leases::lookup", "`lease_id` goes in the body of sys/leases/lookup"),
    (
        "raft.rs::Raft::remove_peer",
        "`server_id` goes in the body of sys/storage/raft/remove-peer, sent only once it matched a peer of the configuration read first",
    ),
    ("audit.rs::AuditRequest::option", "sets an option in the body of a request built locally; sends nothing"),
    (
        "audit.rs::AuditRequest::description",
        "sets the description in the body of a request built locally; sends nothing",
    ),
    ("auth/mounts.rs::Sys::remount", "`from`/`to` go in the body of sys/remount, each checked as a mount path"),
    ("auth/jwt.rs::Jwt::oidc_auth_url", "`role` and `redirect_uri` go in the body of auth/<mount>/oidc/auth_url"),
    ("aws.rs::AwsLogin::with_region", "the STS region is signed into the login body"),
    ("aws.rs::AwsLogin::with_server_id", "the X-Vault-AWS-IAM-Server-ID value is signed into the login body"),
    ("pki.rs::Pki::revoke", "the serial goes in the body of pki/revoke, checked as hex bytes joined by ':'"),
    (
        "pki/authority.rs::Pki::cert",
        "the serial is checked as two or more hex bytes joined by ':' or '-' before it becomes the last segment of pki/cert/",
    ),
    (
        "pki/ca.rs::Pki::sign_intermediate",
        "the CSR goes in the body of pki/root/sign-intermediate, checked as a PEM block",
    ),
    (
        "pki/ca.rs::Pki::sign_verbatim",
        "the CSR goes in the body (checked as a PEM block); the optional role is checked as one segment",
    ),
    ("pki/ca.rs::Pki::set_signed", "the certificate PEM goes in the body of pki/intermediate/set-signed, parsed first"),
    ("database.rs::DatabaseCreds::postgres_url", "formats a libpq URL from credentials already read; sends nothing"),
    (
        "database.rs::DatabaseCreds::postgres_url_redacted",
        "formats a libpq URL from credentials already read; sends nothing",
    ),
    ("client.rs::VaultClient::with_namespace", "the X-Vault-Namespace header (checked like a path)"),
    ("client.rs::VaultClientBuilder::namespace", "the X-Vault-Namespace header (checked like a path)"),
    ("client.rs::VaultClientBuilder::address", "the Vault node's base URL, not a name in a path"),
    ("kv.rs::Kv::location", "formats `<mount>/<folder>/<path>` for messages; sends nothing"),
    ("models/job.rs::Job::task_group", "looks a group up in a job already read; sends nothing"),
    ("models/variable.rs::Variable::item_value", "looks an item up in a variable already read; sends nothing"),
    ("models/job.rs::Job::task_group_mut", "looks a group up in a job already read; sends nothing"),
    ("models/job.rs::TaskGroup::task", "looks a task up in a group already read; sends nothing"),
    ("client.rs::PatroniClient::for_member", "a member's base URL from the cluster answer, not a name in a path"),
    ("client.rs::PatroniClientBuilder::address", "the member's base URL, not a name in a path"),
    ("agent.rs::Agent::monitor", "`log_level` is a loglevel= query value, one of a fixed list"),
    ("agent.rs::AgentMetrics::gauge", "looks a gauge up in metrics already read; sends nothing"),
    (
        "connect.rs::Connect::authorize",
        "`target`, the certificate URI and serial go in the body of agent/connect/authorize",
    ),
    ("client.rs::ConsulClientBuilder::address", "the agent's base URL, not a name in a path"),
    ("client.rs::NomadClientBuilder::address", "the agent's base URL, not a name in a path"),
    ("client.rs::NomadClient::with_namespace", "the namespace= query value of later calls (checked like a name)"),
    ("client.rs::NomadClient::with_region", "the region= query value of later calls (checked like a name)"),
    ("client.rs::ConsulClient::with_namespace", "the X-Consul-Namespace header (checked like a path segment)"),
    ("client.rs::PatroniClientBuilder::basic_auth", "credentials for the Authorization header"),
    ("cluster.rs::ClusterInfo::member", "looks a member up in an answer already read; sends nothing"),
    ("config.rs::ConfigPatch::parameter", "a PostgreSQL parameter name in the PATCH /config body"),
    ("config.rs::ConfigPatch::remove_parameter", "a PostgreSQL parameter name in the PATCH /config body"),
    ("dcs.rs::DcsView::key", "formats a key of the scope for comparison; sends nothing"),
    ("health.rs::HealthOptions::tag", "a tag_<key>=<value> query value of the health check"),
    ("switchover.rs::Switchover::to", "the candidate goes in the body of POST /switchover"),
    ("volumes.rs::CsiVolumes::external", "`plugin_id` is a query value of /v1/volumes/external"),
    ("volumes.rs::CsiVolumes::snapshots", "`plugin_id` is a query value of /v1/volumes/snapshot"),
    ("volumes.rs::CsiVolumes::delete_snapshot", "`plugin_id`/`snapshot_id` are query values of /v1/volumes/snapshot"),
    ("node_ops.rs::Nodes::stats", "the node ID is the node_id= query value of /v1/client/stats (a full UUID)"),
    ("node_ops.rs::Nodes::meta", "the node ID is the node_id= query value of /v1/client/metadata (a full UUID)"),
    ("node_ops.rs::Nodes::apply_meta", "the node ID goes in the NodeID of the /v1/client/metadata body (a full UUID)"),
    (
        "agent_admin.rs::Agent::force_leave",
        "`node` is the node= query value, matched exactly against the members first",
    ),
    ("agent_admin.rs::Agent::monitor", "`log_level` is a log_level= query value, one of a fixed list"),
    ("agent_admin.rs::Agent::search", "`prefix`/`context` go in the body of /v1/search"),
    ("agent_admin.rs::Agent::fuzzy_search", "`text`/`context` go in the body of /v1/search/fuzzy"),
];

// ---------------------------------------------------------------------------
// Enumerating the methods from the source.

const CLIENT_SOURCES: [&str; 4] = [
    concat!(env!("CARGO_MANIFEST_DIR"), "/../consul-client/src"),
    concat!(env!("CARGO_MANIFEST_DIR"), "/../nomad-client/src"),
    concat!(env!("CARGO_MANIFEST_DIR"), "/../vault-client/src"),
    concat!(env!("CARGO_MANIFEST_DIR"), "/../patroni-client/src"),
];

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The type of an `impl` line at column 0: `impl<'a> Foo<'a> {` -> `Foo`,
/// `impl Trait for Foo {` -> `Foo`.
fn impl_type(line: &str) -> String {
    let mut rest = line.trim_start_matches("impl").trim_start();
    if rest.starts_with('<') {
        let mut depth = 0;
        for (i, ch) in rest.char_indices() {
            match ch {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        rest = &rest[i + 1..];
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    let rest = rest.split(" for ").last().unwrap_or(rest).trim();
    let end = rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == ':')).unwrap_or(rest.len());
    rest[..end].rsplit("::").next().unwrap_or_default().to_owned()
}

/// `(file.rs::Type::method, parameters)` of every `pub fn` and `pub async fn`.
fn public_fns(dir: &str) -> Vec<(String, String)> {
    let root = std::path::Path::new(dir);
    let mut files = Vec::new();
    rust_files(root, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let src = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        // Byte offsets of column-0 `impl` lines, with their type.
        let mut impls: Vec<(usize, String)> = Vec::new();
        let mut offset = 0;
        for line in src.split_inclusive('\n') {
            // Column 0, or inside a macro that defines handlers (`impl $name`).
            if line.trim_start().starts_with("impl ") || line.trim_start().starts_with("impl<") {
                impls.push((offset, impl_type(line.trim_start())));
            }
            offset += line.len();
        }
        let mut from = 0;
        while let Some(at) = src[from..].find("pub ") {
            let rest = &src[from + at + "pub ".len()..];
            let Some(head) = ["fn ", "async fn "].into_iter().find(|h| rest.starts_with(h)) else {
                from += at + "pub ".len();
                continue;
            };
            let start = from + at + "pub ".len() + head.len();
            from = start;
            // `$ctor` in a macro: one key for every handler the macro defines.
            let ident: String =
                src[start..].chars().take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == '$').collect();
            // Skip generics (which may hold `Fn(..)`), then take the balanced parameter list.
            let mut i = start + ident.len();
            let bytes = src.as_bytes();
            let mut angle = 0i32;
            while i < bytes.len() {
                match bytes[i] {
                    b'<' => angle += 1,
                    b'>' => angle -= 1,
                    b'(' if angle == 0 => break,
                    _ => {}
                }
                i += 1;
            }
            let open = i;
            let mut depth = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            let params = src[open + 1..i].split_whitespace().collect::<Vec<_>>().join(" ");
            let ty = impls.iter().rev().find(|(o, _)| *o < start).map(|(_, t)| t.clone()).unwrap_or_default();
            found.push((format!("{name}::{ty}::{ident}"), params));
        }
    }
    found
}

/// Public functions with a `: &str` parameter: `(methods, constructors)`,
/// methods being those that take `self` (signatures may span lines).
fn functions_taking_str() -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut methods, mut others) = (BTreeSet::new(), BTreeSet::new());
    for dir in CLIENT_SOURCES {
        let fns = public_fns(dir);
        assert!(fns.len() > 10, "only {} public functions found under {dir}: the scan is broken", fns.len());
        for (key, params) in fns {
            if params.contains(": &str") {
                if params.contains("self") { &mut methods } else { &mut others }.insert(key);
            }
        }
    }
    (methods, others)
}

#[test]
fn every_method_taking_a_name_has_a_case_or_an_exemption() {
    let (found, constructors) = functions_taking_str();
    assert!(found.len() > 100, "the scan found only {} methods: {found:?}", found.len());
    // A `Fixed` case proves an exemption (the value never moves the path); it
    // does not cover a method whose name reaches the path.
    let path_cases: BTreeSet<&str> =
        cases().iter().filter(|c| !matches!(c.shape, Fixed(_))).map(|c| c.method).collect();
    let covered: BTreeSet<String> =
        path_cases.iter().map(|m| (*m).to_owned()).chain(EXEMPT.iter().map(|(m, _)| (*m).to_owned())).collect();
    let uncovered: Vec<&String> = found.difference(&covered).collect();
    // A case may also vary a constructor's name (DcsView::new's scope).
    let stale: Vec<&String> = covered.iter().filter(|m| !found.contains(*m) && !constructors.contains(*m)).collect();
    for (m, why) in EXEMPT {
        assert!(!why.is_empty() && !path_cases.contains(m), "{m}: exempt but its name has a path case, or no reason");
    }
    assert!(
        uncovered.is_empty(),
        "{} public method(s) take a name, ID, key or path but have no case in path_conformance.rs (add one, or an \
         exemption with its reason):\n  {}",
        uncovered.len(),
        uncovered.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  ")
    );
    assert!(stale.is_empty(), "cases or exemptions name methods the scan does not find: {stale:?}");
    println!(
        "{} public methods take a &str: {} with cases, {} exempt",
        found.len(),
        found.len() - EXEMPT.len(),
        EXEMPT.len()
    );
}

// ---------------------------------------------------------------------------
// The recording server.

/// Answers what lets every method reach its path-bearing request: a session
/// for a lock, `true` for a KV write, and `404 {}` for everything else.
struct Harmless;

impl Respond for Harmless {
    fn respond(&self, req: &Recorded) -> ResponseTemplate {
        let path = req.url.path();
        if path == "/v1/session/create" {
            ResponseTemplate::new(200).set_body_string(r#"{"ID":"4b2a9c1e-0000-4000-8000-000000000000"}"#)
        } else if req.method.as_str() == "PUT"
            && (path.starts_with("/v1/kv/") || path.starts_with("/v1/session/destroy/"))
        {
            ResponseTemplate::new(200).set_body_string("true")
        } else {
            ResponseTemplate::new(404).set_body_string("{}")
        }
    }
}

fn config(url: &str, header: &str) -> ClientConfig {
    ClientConfig::new(url, header)
        .unwrap()
        .with_token("conformance-token")
        .with_timeout(Duration::from_secs(5))
        .with_retry(RetryPolicy::disabled())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_name_reaches_exactly_its_resource_or_is_refused() {
    let server = MockServer::start().await;
    let url = server.uri();
    let clients = Clients {
        consul: consul_client::ConsulClient::new(config(&url, "X-Consul-Token")).unwrap(),
        nomad: nomad_client::NomadClient::new(config(&url, "X-Nomad-Token")).unwrap(),
        vault: vault_client::VaultClient::new(config(&url, "X-Vault-Token")).unwrap(),
    };
    let values = adversarial();
    let cases = cases();
    let mut failures = Vec::new();
    let (mut refused, mut sent) = (0, 0);
    for case in &cases {
        // A well-formed name first (a UUID is a valid ID, name, key and path):
        // it must reach the server, which proves the case's call and prefix.
        let control = if case.what.contains("kind") { "service-defaults" } else { CONTROL };
        for (value, is_control) in std::iter::once((&control.to_owned(), true)).chain(values.iter().map(|v| (v, false)))
        {
            server.reset().await;
            Mock::given(any()).respond_with(Harmless).mount(&server).await;
            let outcome =
                tokio::time::timeout(Duration::from_secs(20), (case.call)(clients.clone(), value.clone())).await;
            let requests = server.received_requests().await.unwrap();
            let paths: Vec<String> = requests.iter().map(|r| r.url.path().to_owned()).collect();
            let label = format!("{} [{}] {value:?}", case.method, case.what);
            let Ok(outcome) = outcome else {
                failures.push(format!("{label}: no answer within 20 s; sent {paths:?}"));
                continue;
            };
            if paths.is_empty() {
                if is_control {
                    failures.push(format!("{label}: a well-formed value was not sent"));
                    continue;
                }
                match outcome {
                    Outcome::Refused { what, text } if what == case.what && text.contains(case.what) => refused += 1,
                    Outcome::Refused { what, text } => {
                        failures.push(format!("{label}: refused, but as {what:?} instead of {:?}: {text}", case.what));
                    }
                    Outcome::Done(text) => {
                        failures.push(format!("{label}: nothing sent and no input error: {text}"));
                    }
                }
                continue;
            }
            let expected = case.shape.expected(value);
            if case.shape.must_refuse(value) {
                failures.push(format!("{label}: must be refused before sending, but sent {paths:?}"));
                continue;
            }
            let strays: Vec<&String> =
                paths.iter().filter(|p| **p != expected && !case.aux.iter().any(|a| p.starts_with(a))).collect();
            if !paths.contains(&expected) || !strays.is_empty() {
                failures.push(format!("{label}: expected a request to {expected}, sent {paths:?}"));
                continue;
            }
            if !is_control {
                sent += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} (method, value) pairs break the path rule:\n{}",
        failures.len(),
        cases.len() * values.len(),
        failures.join("\n")
    );
    println!(
        "{} cases x {} values: {refused} refused before sending, {sent} sent to exactly their resource",
        cases.len(),
        values.len()
    );
    assert_eq!(refused + sent, cases.len() * values.len());
    // Every shape meets both branches: the table does not pass by refusing everything.
    assert!(sent > 100, "only {sent} values reached the server: {refused} refused");
}

// ---------------------------------------------------------------------------
// The token scenario against a real ACL-enabled Consul.

/// The agent's management token (a UUID, as Consul's `acl.tokens.master` wants).
const MASTER_TOKEN: &str = "0b6c5f3e-7d1a-4c2e-9f84-3a5d6e7f8091";

#[tokio::test(flavor = "current_thread")]
async fn a_valid_token_never_reaches_an_error_debug_output_or_log_line() {
    let agent = match sandbox::Consul::start_with_acl(MASTER_TOKEN) {
        Ok(agent) => agent,
        Err(e) => return sandbox::unavailable("Consul with ACLs", &e),
    };
    let (capture, _guard) = Capture::trace();
    // Configured as the CLI is: CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN.
    let addr = agent.host_port();
    let consul = consul_client::ConsulClient::from_lookup(|name| match name {
        "CONSUL_HTTP_ADDR" => Some(addr.clone()),
        "CONSUL_HTTP_TOKEN" => Some(MASTER_TOKEN.to_owned()),
        _ => None,
    })
    .unwrap();
    let mut texts = vec![format!("{consul:?}"), format!("{consul:#?}")];

    // The token is valid and privileged: the agent answers its own token with it.
    let me = consul.acl().token_self(&consul_client::QueryOptions::default()).await.unwrap().value;
    assert_eq!(me.secret_id.as_ref().map(client_core::Secret::expose), Some(MASTER_TOKEN));
    texts.push(format!("{me:?}"));
    let before = capture.text().len();

    // The issue's five calls: refused before anything is sent, naming the input.
    let q = consul_client::QueryOptions::default();
    let errors: Vec<(&str, &str, Option<consul_client::Error>)> = vec![
        ("service ID", "agent().service", consul.agent().service("../../acl/token/self").await.err()),
        ("node name", "catalog().node_services", consul.catalog().node_services("ghost/../victim", &q).await.err()),
        ("node name", "catalog().node", consul.catalog().node("a//b", &q).await.err()),
        ("service ID", "agent().service_deregister", consul.agent().service_deregister("..").await.err()),
        ("node name", "agent().force_leave", consul.agent().force_leave("..", true).await.err()),
    ];
    for (what, call, err) in errors {
        let err = err.unwrap_or_else(|| panic!("{call}: an adversarial name was accepted"));
        assert!(
            matches!(&err, consul_client::Error::Core(client_core::Error::InvalidInput { what: w, .. }) if w == what),
            "{call}: expected an input error naming the {what}, got {err}"
        );
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
        texts.push(format!("{err:#?}"));
    }
    let during = capture.text()[before..].to_owned();
    assert!(!during.contains("http{"), "a refused call sent a request:\n{during}");

    // The server's side of the rule: a literal path Consul decodes and cleans
    // into /v1/acl/token/self gets a 301, which the client refuses.
    let raw = client_core::Request::get("/v1/agent/service/..%2F..%2Facl%2Ftoken%2Fself");
    let err = consul.http().send(raw).await.expect_err("the 301 to another path must not be followed");
    match &err {
        client_core::Error::Redirect { location, reason, .. } => {
            assert!(location.contains("/v1/acl/token/self"), "{err}");
            assert!(reason.contains("another path"), "{err}");
        }
        other => panic!("expected Error::Redirect for Consul's 301, got {other:?}"),
    }
    texts.push(err.to_string());
    texts.push(format!("{err:?}"));

    drop(_guard);
    let logs = capture.text();
    assert!(logs.contains("http{"), "the capture must have seen the SDK's request spans:\n{logs}");
    assert!(logs.contains("refusing to follow a redirect"), "the raw request must have met Consul's 301:\n{logs}");
    texts.push(logs);
    for text in &texts {
        assert!(!text.contains(MASTER_TOKEN), "the token leaked into:\n{text}");
    }
    drop(agent);
}
