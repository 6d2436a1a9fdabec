//! Every variable of each official CLI's documented list (cli_env/*.txt, the
//! one place the lists live) is either read by the client's `from_lookup`
//! (checked by recording what it asks for) or listed as not supported with a
//! reason; every variable appears in the README's "Connecting" section. The
//! behaviour of the read ones is tested in client-core's tls/proxy tests and
//! in connect_env / unix_socket.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use client_core::config::COMMON_ENV_VARS;
use client_core::{EnvVar, Support};

const README: &str = include_str!("../../../README.md");

fn documented(list: &str) -> Vec<&str> {
    list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// Runs `build` with a lookup that answers nothing and records each name asked.
fn asked(build: impl FnOnce(Box<dyn Fn(&str) -> Option<String>>)) -> BTreeSet<String> {
    let seen: Rc<RefCell<BTreeSet<String>>> = Rc::default();
    let record = seen.clone();
    build(Box::new(move |name: &str| {
        record.borrow_mut().insert(name.to_owned());
        None
    }));
    seen.take()
}

fn check(system: &str, list: &str, vars: &[EnvVar], asked: &BTreeSet<String>) {
    let all: Vec<&EnvVar> = vars.iter().chain(COMMON_ENV_VARS).collect();
    let mut problems = Vec::new();
    for name in documented(list) {
        if !all.iter().any(|v| v.name == name) {
            problems.push(format!(
                "{name} is in the {system} CLI's list but not in ENV_VARS (read, or not supported and why)"
            ));
        }
    }
    for var in &all {
        match var.support {
            Support::Read(_) if !asked.contains(var.name) => {
                problems.push(format!("{} is listed as read but from_lookup never asks for it", var.name));
            }
            Support::NotSupported(why) if why.trim().is_empty() => {
                problems.push(format!("{} is not supported without a reason", var.name));
            }
            _ => {}
        }
        if !README.contains(&format!("`{}`", var.name)) {
            problems.push(format!("{} is missing from the README's Connecting section", var.name));
        }
    }
    assert!(problems.is_empty(), "{system}:\n{}", problems.join("\n"));
}

#[test]
fn nomad_reads_every_variable_of_the_cli_or_says_why_not() {
    let asked = asked(|lookup| {
        nomad_client::NomadClient::from_lookup(lookup).unwrap();
    });
    check("nomad", include_str!("cli_env/nomad.txt"), nomad_client::ENV_VARS, &asked);
}

#[test]
fn consul_reads_every_variable_of_the_cli_or_says_why_not() {
    let asked = asked(|lookup| {
        consul_client::ConsulClient::from_lookup(lookup).unwrap();
    });
    check("consul", include_str!("cli_env/consul.txt"), consul_client::ENV_VARS, &asked);
}

#[test]
fn vault_reads_every_variable_of_the_cli_or_says_why_not() {
    let asked = asked(|lookup| {
        vault_client::VaultClientBuilder::from_lookup(lookup).unwrap();
    });
    check("vault", include_str!("cli_env/vault.txt"), vault_client::client::ENV_VARS, &asked);
    // OpenBao: each VAULT_* variable read has its BAO_* twin read too.
    for var in vault_client::client::ENV_VARS {
        if let (Support::Read(_), Some(rest)) = (var.support, var.name.strip_prefix("VAULT_")) {
            assert!(asked.contains(&format!("BAO_{rest}")), "BAO_{rest} is never read");
        }
    }
}

#[test]
fn patroni_reads_every_variable_of_patronictl_or_says_why_not() {
    let asked = asked(|lookup| {
        patroni_client::PatroniClient::from_lookup(lookup).unwrap();
    });
    check("patroni", include_str!("cli_env/patroni.txt"), patroni_client::ENV_VARS, &asked);
}
