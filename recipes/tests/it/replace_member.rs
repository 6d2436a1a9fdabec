//! replace_member over Nomad (wiremock on recorded 1.1.2 shapes): what its volume probe
//! cannot clear is refused in the plan, before any call that changes something.

use std::sync::Arc;

use recipes::BackupDir;
use recipes::adapters::nomad::{NomadScheduler, NomadVolumeProbe};
use recipes::adapters::patroni::PatroniControl;
use recipes::ports::{JobSource, Scheduler};
use recipes::replace_member::{Capabilities, ReplaceMember, ReplaceOptions, Target};
use test_support::Fixtures;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer};

use crate::fakes::{FakeMemberApi, FakeScope};

const NOMAD: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR")).under("nomad");

/// A job source that must not be read: the plan refuses before any job is started.
struct NoSource;

#[recipes::async_trait]
impl JobSource for NoSource {
    async fn job_spec(&self, _namespace: &str, job: &str) -> recipes::Result<Option<serde_json::Value>> {
        panic!("the spec of {job} was read by a refused plan")
    }
}

#[tokio::test]
async fn clear_volume_through_nomad_is_refused_in_the_plan_with_the_reason_and_nothing_is_changed() {
    let server = MockServer::start().await;
    // Both member jobs run, as `GET /v1/job/:id` recorded it (dbHA2's is the same shape).
    for job in ["dbHA1", "dbHA2"] {
        let mut read: serde_json::Value = NOMAD.json("job-read.json");
        read["ID"] = job.into();
        read["Name"] = job.into();
        Mock::given(method("GET"))
            .and(path(format!("/v1/job/{job}")))
            .and(query_param("namespace", "atala-testnet"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(read))
            .mount(&server)
            .await;
    }
    let nomad = nomad_client::NomadClient::builder().address(&server.uri()).build().unwrap();
    let scope = recipes::input::default_scope("atala-testnet");
    let dcs = Arc::new(FakeScope::default());
    dcs.put(&format!("service/{scope}/leader"), "dbHA1");
    dcs.member(&scope, "dbHA1", "primary", 100);
    dcs.member(&scope, "dbHA2", "replica", 100);
    let dir = tempfile::tempdir().unwrap();
    let scheduler: Arc<dyn Scheduler> = Arc::new(NomadScheduler::new(nomad.clone(), Arc::new(NoSource)));
    let caps = Capabilities {
        scheduler,
        scope_store: dcs,
        control: Arc::new(PatroniControl::new()),
        member_api: Arc::new(FakeMemberApi::default()),
        volumes: Some(Arc::new(NomadVolumeProbe::new(nomad, "volume-probe", "probe"))),
        backups: BackupDir::new(dir.path()),
    };

    // Without the flag the same cluster plans a replacement: the refusal is the volume's.
    let keep =
        ReplaceMember::new(ReplaceOptions::new("atala-testnet", Target::Member("dbHA2".into())), caps.clone()).unwrap();
    let plan = keep.plan().await.unwrap();
    assert!(plan.steps.iter().any(|s| s.name == "stop and purge dbHA2"), "{plan:#?}");

    for target in [Target::Member("dbHA2".into()), Target::All] {
        let opts = ReplaceOptions::new("atala-testnet", target.clone()).clear_volume(true);
        let recipe = ReplaceMember::new(opts, caps.clone()).unwrap();
        let err = recipe.plan().await.unwrap_err();
        let reasons = err.refusal_reasons().join("\n");
        assert!(
            reasons.contains("volume of dbHA2: Nomad host volumes are not cleared by this SDK"),
            "{target:?}: {reasons}"
        );
        assert!(
            reasons.contains("/var/lib/nomad-volumes/atala-testnet/postgres-atala is the same path on every client")
        );
        assert!(reasons.contains("then run without --clear-volume"), "{reasons}");
        if target == Target::All {
            assert!(reasons.contains("volume of dbHA1: Nomad host volumes"), "every member's: {reasons}");
        }
        // run() re-plans and refuses the same way.
        assert!(recipe.run(recipes::Progress::none()).await.is_err());
    }
    let requests = server.received_requests().await.unwrap();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|r| r.method == wiremock::http::Method::GET), "only reads: {requests:?}");
    assert!(requests.iter().all(|r| !r.url.path().contains("volume-probe")), "the probe job is never contacted");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no backup, no state file");
}
