//! The command layer against a stand-in `wal-g` shell script that prints documented outputs,
//! fails like wal-g, sleeps past the timeout, and records its arguments and environment.

use std::time::Duration;

use walg::{
    BackupFetchOptions, BackupListOptions, BackupPushOptions, BackupSelector, CheckStatus, DeleteOptions, DeleteTarget,
    Error, ListFormat, LocalRunner, RetainMode, Storage, WalG, WalVerifyOptions, WalgConfig,
};

use crate::standin::{AWS_SECRET, PG_PASSWORD, StandIn};

fn assert_no_secret(text: &str) {
    assert!(!text.contains(AWS_SECRET) && !text.contains(PG_PASSWORD), "a secret leaked: {text}");
}

#[tokio::test]
async fn secrets_travel_in_env_never_argv() {
    let s = StandIn::new();
    let walg = s.walg("normal");
    walg.backup_list(&BackupListOptions::default()).await.unwrap();
    assert_eq!(s.args(), ["backup-list", "--json"]);
    let env = s.env();
    assert!(env.contains(&format!("AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n")), "{env}");
    assert!(env.contains(&format!("PGPASSWORD={PG_PASSWORD}\n")), "{env}");
    assert!(env.contains("WALG_S3_PREFIX=s3://backups/dbHA\n"), "{env}");
    assert!(env.contains("PGHOST=/var/run/postgresql\n"), "{env}");
    assert_no_secret(&s.args().join(" "));
    assert_no_secret(&format!("{walg:?}"));
}

#[tokio::test]
async fn caller_environment_does_not_leak_into_wal_g() {
    // LocalRunner clears the environment: only PATH/HOME/... and the config reach wal-g.
    let s = StandIn::new();
    s.walg("normal").version().await.unwrap();
    let env = s.env();
    assert!(!env.contains("CARGO_MANIFEST_DIR="), "{env}");
}

#[tokio::test]
async fn backup_list_json_detail_and_tables() {
    let s = StandIn::new();
    let walg = s.walg("normal");
    let plain = walg.backup_list(&BackupListOptions::default()).await.unwrap();
    assert_eq!(plain.len(), 2);
    assert_eq!(plain[0].backup_name, "base_000000010000000000000002");
    assert_eq!(plain[0].time.unwrap().to_rfc3339(), "2026-11-22T04:43:38.123456789+00:00");
    assert_eq!(plain[1].storage_name.as_deref(), Some("default"));

    let detail = walg.backup_list(&BackupListOptions { detail: true, format: ListFormat::Json }).await.unwrap();
    assert_eq!(s.args(), ["backup-list", "--detail", "--json"]);
    let first = &detail[0];
    assert_eq!(first.start_lsn.unwrap().to_string(), "0/2000028");
    assert_eq!(first.finish_lsn.unwrap().to_string(), "0/2000100");
    assert_eq!(first.system_identifier, Some(7_310_000_000_000_000_001));
    assert_eq!(first.pg_version, Some(150_004));
    assert_eq!(first.is_permanent, Some(true));
    assert_eq!(first.user_data, Some(serde_json::json!({"by": "ops"})));
    // Missing metadata: wal-g's zero time reads as unknown; unknown keys are kept.
    assert_eq!(detail[1].start_time, None);
    assert_eq!(detail[1].extra.get("new_field_from_a_later_release"), Some(&serde_json::json!(1)));

    let v3 = walg.backup_list(&BackupListOptions { detail: true, format: ListFormat::Table }).await.unwrap();
    assert_eq!(s.args(), ["backup-list", "--detail"]);
    assert_eq!(v3[0].start_lsn, first.start_lsn);
    assert_eq!(v3[0].hostname.as_deref(), Some("dbHA1"));
    assert_eq!(v3[1].start_time, None);
    assert_eq!(v3[1].hostname, None);

    let v2 = walg.backup_list(&BackupListOptions { detail: false, format: ListFormat::Table }).await.unwrap();
    assert_eq!(v2[1].backup_name, "base_000000020000000000000006_D_000000010000000000000002");
    assert_eq!(v2[1].wal_file_name, "000000020000000000000006");
    assert_eq!(v2[1].time.unwrap().to_rfc3339(), "2026-11-22T05:10:02+00:00");
}

#[tokio::test]
async fn empty_stdout_is_an_empty_list() {
    let s = StandIn::new();
    assert!(s.walg("empty").backup_list(&BackupListOptions::default()).await.unwrap().is_empty());
    let table = BackupListOptions { detail: false, format: ListFormat::Table };
    assert!(s.walg("empty").backup_list(&table).await.unwrap().is_empty());
}

#[tokio::test]
async fn undecodable_output_is_a_clear_error() {
    let s = StandIn::new();
    let e = s.walg("garbage").backup_list(&BackupListOptions::default()).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Output { .. }), "{e:?}");
    assert!(text.contains("backup-list --json` printed output that is not a JSON array of backups"), "{text}");
    assert!(text.contains("this is not json"), "{text}");
}

#[tokio::test]
async fn backup_push_options_and_name() {
    let s = StandIn::new();
    let opts = BackupPushOptions {
        data_dir: Some("/var/lib/postgresql/15/main".into()),
        delta_from: Some("base_000000010000000000000002".parse().unwrap()),
        permanent: true,
        user_data: Some(serde_json::json!({"reason": "before upgrade"})),
        ..BackupPushOptions::default()
    };
    let out = s.walg("normal").backup_push(&opts).await.unwrap();
    assert_eq!(out.backup_name.as_deref(), Some("base_000000020000000000000009"));
    assert_eq!(
        s.args(),
        [
            "backup-push",
            "/var/lib/postgresql/15/main",
            "--permanent",
            "--delta-from-name",
            "base_000000010000000000000002",
            "--add-user-data",
            r#"{"reason":"before upgrade"}"#
        ]
    );
    let both = BackupPushOptions { full: true, ..opts };
    assert!(s.walg("normal").backup_push(&both).await.unwrap_err().to_string().contains("either full or a delta"));
}

#[tokio::test]
async fn backup_fetch_latest_named_and_missing() {
    let s = StandIn::new();
    let walg = s.walg("normal");
    let mut opts = BackupFetchOptions {
        target_dir: "/var/lib/postgresql/15/restore".into(),
        backup: BackupSelector::Latest,
        reverse_unpack: true,
        skip_redundant_tars: true,
    };
    walg.backup_fetch(&opts).await.unwrap();
    assert_eq!(
        s.args(),
        ["backup-fetch", "/var/lib/postgresql/15/restore", "LATEST", "--reverse-unpack", "--skip-redundant-tars"]
    );
    opts.backup = BackupSelector::Named("base_0000000200000000000000FF".parse().unwrap());
    let e = walg.backup_fetch(&opts).await.unwrap_err();
    let Error::CommandFailed { command, status, stderr_tail } = &e else { panic!("{e:?}") };
    assert!(command.ends_with("wal-g backup-fetch /var/lib/postgresql/15/restore base_0000000200000000000000FF --reverse-unpack --skip-redundant-tars"), "{command}");
    assert_eq!(status, "exit status 1");
    assert_eq!(stderr_tail, "ERROR: 2026/11/22 05:00:00.000002 Backup 'base_0000000200000000000000FF' does not exist.");
    // Bad directories are refused before anything runs.
    for bad in ["", "../x", "/a/../b", "--mask=x", "/a\0b"] {
        let o = BackupFetchOptions { target_dir: bad.into(), ..opts.clone() };
        assert!(
            matches!(walg.backup_fetch(&o).await.unwrap_err(), Error::Core(client_core::Error::InvalidInput { .. })),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn exit_74_is_not_found() {
    let s = StandIn::new();
    let args = ["wal-fetch".to_owned(), "00000003.history".to_owned(), "/tmp/x".to_owned()];
    let e = s.walg("normal").run(&args).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("not found in storage (exit status 74): ERROR: 2026/11/22 05:00:00.000001 Archive '00000003.history' does not exist."), "{e}");
}

#[tokio::test]
async fn unknown_command_error_comes_from_cobra() {
    let s = StandIn::new();
    let e = s.walg("normal").run(&["frobnicate".to_owned()]).await.unwrap_err();
    assert!(e.to_string().contains(r#"Error: unknown command "frobnicate" for "wal-g""#), "{e}");
}

#[tokio::test]
async fn secrets_are_redacted_from_errors() {
    let s = StandIn::new();
    let e = s.walg("leak").backup_list(&BackupListOptions::default()).await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert_no_secret(&text);
    assert!(text.contains("AccessDenied for key <redacted>"), "{text}");
}

#[tokio::test]
async fn timeout_kills_the_process() {
    let s = StandIn::new();
    let config = WalgConfig::new(Storage::File("/backups".into())).set("WALG_STANDIN_MODE", "sleep").unwrap();
    let walg = WalG::new(LocalRunner::new(s.program()).timeout(Duration::from_millis(300)), config);
    let e = walg.wal_show().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(
        e.to_string().ends_with("wal-g wal-show --detailed-json` did not finish within 0.300s and was killed"),
        "{e}"
    );
}

#[tokio::test]
async fn missing_binary_is_a_spawn_error() {
    let walg = WalG::new(LocalRunner::new("/nonexistent/wal-g"), WalgConfig::new(Storage::File("/b".into())));
    let e = walg.version().await.unwrap_err();
    assert!(e.to_string().starts_with("cannot start `/nonexistent/wal-g`"), "{e}");
}

#[tokio::test]
async fn wal_show_and_verify() {
    let s = StandIn::new();
    let walg = s.walg("normal");
    let timelines = walg.wal_show().await.unwrap();
    assert_eq!(s.args(), ["wal-show", "--detailed-json"]);
    assert_eq!(timelines.len(), 2);
    assert_eq!(timelines[1].switch_point_lsn.to_string(), "0/40000A0");
    assert_eq!(timelines[1].missing_segments, ["000000020000000000000007"]);
    assert_eq!(timelines[0].backups[0].start_lsn.unwrap().to_string(), "0/2000028");

    let opts = WalVerifyOptions { current: Some((2, "0/A000000".parse().unwrap())), ..WalVerifyOptions::default() };
    let report = walg.wal_verify(&opts).await.unwrap();
    assert_eq!(s.args(), ["wal-verify", "integrity", "timeline", "--json", "--timeline", "2", "--lsn", "0/A000000"]);
    // wal-g exited 0, but the archive lost a segment.
    assert_eq!(report.status(), CheckStatus::Failure);
    let lost: Vec<&str> = report.lost_ranges().map(|r| r.start_segment.as_str()).collect();
    assert_eq!(lost, ["000000020000000000000007"]);
    assert_eq!(report.timeline.unwrap().details.unwrap().highest_storage_timeline_id, 2);
    let none = WalVerifyOptions { checks: vec![], ..WalVerifyOptions::default() };
    assert!(walg.wal_verify(&none).await.is_err());
}

#[tokio::test]
async fn delete_is_a_dry_run_unless_confirmed() {
    let s = StandIn::new();
    let walg = s.walg("normal");
    let retain = DeleteTarget::Retain { mode: RetainMode::Full, count: 2, after: Some("2026-11-22T00:00:00Z".into()) };
    let report = walg.delete(&DeleteOptions::dry_run(retain.clone())).await.unwrap();
    assert!(!report.confirmed);
    assert!(report.log.contains("will be deleted"));
    assert_eq!(s.args(), ["delete", "retain", "FULL", "2", "--after", "2026-11-22T00:00:00Z"]);
    walg.delete(&DeleteOptions { confirm: true, ..DeleteOptions::dry_run(retain) }).await.unwrap();
    assert_eq!(s.args().last().unwrap(), "--confirm");
    let before = DeleteTarget::Before { find_full: true, target: "base_000000010000000000000002".into() };
    walg.delete(&DeleteOptions::dry_run(before)).await.unwrap();
    assert_eq!(s.args(), ["delete", "before", "FIND_FULL", "base_000000010000000000000002"]);
    let target = DeleteTarget::Target { find_full: false, backup: "base_000000010000000000000002".parse().unwrap() };
    walg.delete(&DeleteOptions { use_sentinel_time: true, ..DeleteOptions::dry_run(target) }).await.unwrap();
    assert_eq!(s.args(), ["delete", "target", "base_000000010000000000000002", "--use-sentinel-time"]);
    for bad in [
        DeleteTarget::Before { find_full: false, target: "yesterday".into() },
        DeleteTarget::Before { find_full: false, target: "2026-11-22 00:00:00".into() },
        DeleteTarget::Retain { mode: RetainMode::All, count: 0, after: None },
    ] {
        assert!(walg.delete(&DeleteOptions::dry_run(bad.clone())).await.is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn backup_mark_and_version() {
    let s = StandIn::new();
    let walg = s.walg("normal");
    let name = "base_000000010000000000000002".parse().unwrap();
    walg.backup_mark(&name, true).await.unwrap();
    assert_eq!(s.args(), ["backup-mark", "base_000000010000000000000002"]);
    walg.backup_mark(&name, false).await.unwrap();
    assert_eq!(s.args(), ["backup-mark", "base_000000010000000000000002", "--impermanent"]);
    let v = walg.version().await.unwrap();
    assert_eq!((v.version.as_str(), v.major, v.git_revision.as_deref()), ("v3.0.0", Some(3), Some("3a5b2c1")));
}

#[tokio::test]
async fn wal_fetch_validates_and_maps_74() {
    let s = StandIn::new();
    let walg = s.walg("normal");
    let e = walg.wal_fetch("00000003.history", "/tmp/walg-test-history").await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert_eq!(s.args(), ["wal-fetch", "00000003.history", "/tmp/walg-test-history"]);
    for bad in ["", "../00000003.history", "x/000000010000000000000001", "hello"] {
        let e = walg.wal_fetch(bad, "/tmp/x").await.unwrap_err();
        assert!(e.to_string().contains("invalid WAL file name"), "{bad}: {e}");
    }
}

#[tokio::test]
async fn local_runner_rejects_bad_environment() {
    use walg::{EnvValue, Runner};
    let s = StandIn::new();
    let runner = LocalRunner::new(s.program());
    let env = [("BAD=NAME".to_owned(), EnvValue::Plain("x".into()))];
    let e = runner.run(&["--version".to_owned()], &env).await.unwrap_err();
    assert!(e.to_string().contains("invalid environment variable name \"BAD=NAME\""), "{e}");
}

#[tokio::test]
async fn archive_state_from_wal_g() {
    let s = StandIn::new();
    let state = s.walg("normal").archive_state(vec![]).await.unwrap();
    assert_eq!(s.args(), ["wal-show", "--detailed-json"], "backup-list first, then wal-show");
    assert_eq!(state.backups.len(), 2);
    let refused = state.plan(&walg::RestoreTarget::latest()).unwrap_err();
    assert!(refused.to_string().contains("WAL is missing on timeline 2: 000000020000000000000007"), "{refused}");
}
