//! Bad input is rejected before anything is contacted.

use std::sync::Arc;

use recipes::Error;
use recipes::adapters::local::FileSettings;
use recipes::bootstrap::{Bootstrap, BootstrapOptions, Capabilities};
use recipes::input::{parse_timestamp, validate_timeline};
use recipes::ports::{DatabaseSettings, VolumeCheck};

use crate::fakes::{FakeScheduler, FakeScope};

fn caps() -> Capabilities {
    let dcs = Arc::new(FakeScope::default());
    Capabilities {
        scheduler: Arc::new(FakeScheduler::new("ns", dcs.clone())),
        settings: Arc::new(FileSettings::new("/nonexistent")),
        scope_store: dcs,
        volumes: VolumeCheck::skip("test"),
    }
}

fn invalid(opts: BootstrapOptions) -> (String, String) {
    match Bootstrap::new(opts, caps()).unwrap_err() {
        Error::InvalidInput { what, value, reason } => (what, format!("{value}: {reason}")),
        other => panic!("expected invalid input, got {other}"),
    }
}

#[test]
fn scope_with_slash() {
    let (what, detail) = invalid(BootstrapOptions::new("atala-testnet").scope("atala/testnet"));
    assert_eq!(what, "scope");
    assert!(detail.contains("must not contain '/'"), "{detail}");
}

#[test]
fn member_count_zero_and_one() {
    let (what, detail) = invalid(BootstrapOptions::new("ns").members(Vec::<String>::new()));
    assert_eq!(what, "member count");
    assert!(detail.starts_with("0: an HA cluster needs at least 2"), "{detail}");
    assert_eq!(invalid(BootstrapOptions::new("ns").members(["dbHA1"])).0, "member count");
}

#[test]
fn bad_namespace_and_job_names() {
    assert_eq!(invalid(BootstrapOptions::new("")).0, "namespace");
    assert_eq!(invalid(BootstrapOptions::new("a/../b")).0, "namespace");
    assert_eq!(invalid(BootstrapOptions::new("ns").members(["dbHA1", "../x"])).0, "job name");
    let (what, detail) = invalid(BootstrapOptions::new("ns").members(["dbHA1", "dbHA1"]));
    assert_eq!((what.as_str(), detail.as_str()), ("job name", "dbHA1: is listed twice"));
}

#[test]
fn timestamp_without_timezone_and_timeline_zero() {
    let err = parse_timestamp("2026-11-22 05:12:00").unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid recovery timestamp \"2026-11-22 05:12:00\": has no time zone; add one, e.g. 'Z' or '+00:00' \
         (it would otherwise be read in the server's zone)"
    );
    assert!(parse_timestamp("yesterday").unwrap_err().to_string().contains("not an RFC 3339 timestamp"));
    assert_eq!(
        validate_timeline(0).unwrap_err().to_string(),
        "invalid timeline \"0\": PostgreSQL timelines start at 1"
    );
}

#[test]
fn settings_keep_unknown_keys_and_read_numbers_from_strings() {
    let raw = serde_json::json!({
        "patroniBootstrapMethod": "walg_pitr",
        "patroniBootstrapMethodWalgPitrTimeline": "3",
        "patroniBootstrapMethodWalgPitrTimestamp": "2026-11-22T05:12:00Z",
        "walgDaysToRetain": 7,
        "postgresMaxConnections": "200"
    });
    let s: DatabaseSettings = serde_json::from_value(raw).unwrap();
    assert_eq!(s.walg_pitr_timeline, Some(3));
    assert_eq!(s.walg_days_to_retain, Some(7));
    let back = serde_json::to_value(&s).unwrap();
    assert_eq!(back["postgresMaxConnections"], "200");
    assert_eq!(back["walgDaysToRetain"], "7");
    let bad = DatabaseSettings { walg_days_to_retain: Some(1), ..s };
    assert_eq!(bad.validate().unwrap_err().to_string(), "invalid walgDaysToRetain \"1\": must be at least 2");
}
