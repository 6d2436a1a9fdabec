//! The Nomad side of ghost cleanup and the volume probe against wiremock.

use std::sync::Arc;

use recipes::capability::VolumeProbe;
use recipes::ghost::{AllocState, NomadWorld};
use recipes::nomad::{NomadGhosts, NomadVolumeProbe};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/nomad/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

const RUNNING: &str = "9df9c84d-e72a-b42f-b5da-5df98da53bda";

#[tokio::test]
async fn allocations_are_looked_up_by_exact_id_across_namespaces() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_param("namespace", "*"))
        .and(query_param("prefix", RUNNING))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("allocations-list-prefix.json"), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_param("namespace", "*"))
        .and(query_param("prefix", "eae4d4fa-cbc7-d6c5-602a-f3bcd5ae21df"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
        .mount(&server)
        .await;
    let ghosts = NomadGhosts::new(nomad_client::NomadClient::with_address(&server.uri(), None).unwrap());
    assert_eq!(
        ghosts.allocation(RUNNING).await.unwrap(),
        AllocState::Alive { status: "running".into(), namespace: "atala-testnet".into() }
    );
    assert_eq!(ghosts.allocation("eae4d4fa-cbc7-d6c5-602a-f3bcd5ae21df").await.unwrap(), AllocState::Gone);
    // A Nomad that cannot answer is an error, never "gone".
    let down = NomadGhosts::new(nomad_client::NomadClient::with_address("http://127.0.0.1:9", None).unwrap());
    assert!(down.allocation(RUNNING).await.is_err());
}

#[tokio::test]
async fn many_allocations_are_classified_from_one_listing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/allocations"))
        .and(query_param("namespace", "*"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("allocations-list-prefix.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let ghosts = NomadGhosts::new(nomad_client::NomadClient::with_address(&server.uri(), None).unwrap());
    let gone = "eae4d4fa-cbc7-d6c5-602a-f3bcd5ae21df".to_owned();
    let states = ghosts.allocations(&[RUNNING.to_owned(), gone.clone()]).await.unwrap();
    assert_eq!(states[RUNNING], AllocState::Alive { status: "running".into(), namespace: "atala-testnet".into() });
    assert_eq!(states[&gone], AllocState::Gone);
    let listing = &server.received_requests().await.unwrap()[0];
    assert!(listing.url.query_pairs().all(|(k, _)| k != "prefix"), "one listing, not a lookup per ID");
}

#[tokio::test]
async fn volume_probe_without_running_probe_allocation_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/job/volume-probe/allocations"))
        .and(query_param("namespace", "ops"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let nomad = nomad_client::NomadClient::with_address(&server.uri(), None).unwrap();
    let probe: Arc<dyn VolumeProbe> =
        Arc::new(NomadVolumeProbe::new(nomad.clone(), "volume-probe", "probe").job_namespace("ops"));
    let err = probe.leftover_data("atala-testnet").await.unwrap_err().to_string();
    assert!(err.contains("no running allocation of probe job volume-probe in ops"), "{err}");
    assert!(NomadVolumeProbe::new(nomad, "p", "t").path_template("/data/'$(rm)'").is_err());
}

#[tokio::test]
async fn down_nodes_carry_their_status_time_and_ready_ones_are_not_read() {
    let server = MockServer::start().await;
    let mut list: serde_json::Value = serde_json::from_str(&fixture("ghost-2-nodes-list.json")).unwrap();
    let mut down = list[0].clone();
    down["ID"] = "ea4c7b83-cf7b-0c33-baf0-487bed6b3ae4".into();
    down["Name"] = "node-1".into();
    down["Status"] = "down".into();
    list.as_array_mut().unwrap().push(down);
    Mock::given(method("GET"))
        .and(path("/v1/nodes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .mount(&server)
        .await;
    let mut node: serde_json::Value = serde_json::from_str(&fixture("node-read.json")).unwrap();
    node["Status"] = "down".into();
    Mock::given(method("GET"))
        .and(path("/v1/node/ea4c7b83-cf7b-0c33-baf0-487bed6b3ae4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(node))
        .expect(1)
        .mount(&server)
        .await;
    let ghosts = NomadGhosts::new(nomad_client::NomadClient::with_address(&server.uri(), None).unwrap());
    let nodes = ghosts.nodes().await.unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(
        (nodes[0].name.as_str(), nodes[0].status.as_str(), nodes[0].status_updated_at),
        ("node-2", "ready", None)
    );
    assert_eq!(
        (nodes[1].name.as_str(), nodes[1].status.as_str(), nodes[1].status_updated_at),
        ("node-1", "down", Some(1_795_323_742))
    );
}
