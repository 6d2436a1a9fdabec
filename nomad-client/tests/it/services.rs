//! Native services (1.3+) and node pools (1.6+) against the documented shapes.

use futures::TryStreamExt;
use nomad_client::{ClientError, Error, NodePool, QueryOptions, WriteOptions};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const REG: &str = "_nomad-task-177160af-26f6-619f-9c9f-5e46d1104395-redis-example-cache-redis-db";

#[tokio::test]
async fn services_list_get_and_an_exact_delete() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/services"))
        .and(query_is(&[("namespace", "*")]))
        .respond_with(ok("nomad-docs/services-list.docs.json", 24))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/service/example-cache-redis"))
        .and(query_is(&[("namespace", "default")]))
        .respond_with(ok("nomad-docs/service-read.docs.json", 35))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/service/example-cache-redis/{REG}")))
        .and(query_is(&[("namespace", "default")]))
        .respond_with(ResponseTemplate::new(200).insert_header("X-Nomad-Index", "36"))
        .expect(1)
        .mount(&server)
        .await;
    let list = nomad.services().list(&QueryOptions::new().all_namespaces()).await.unwrap().value;
    assert_eq!(list[0].services[0].service_name, "example-cache-redis");
    let regs = nomad.services().get("example-cache-redis", &QueryOptions::new().namespace("default")).await.unwrap();
    assert_eq!(regs.value.len(), 2);
    assert_eq!((regs.value[0].port, regs.value[0].alloc_id.as_str()), (29702, "177160af-26f6-619f-9c9f-5e46d1104395"));
    let opts = WriteOptions::new().namespace("default");
    nomad.services().delete("example-cache-redis", REG, &opts).await.unwrap();
    let err = nomad.services().delete("example-cache-redis", "_nomad-task-typo", &opts).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }) && err.to_string().contains("no such registration"), "{err}");
    let err = nomad.services().delete("example-cache-redis", "a/b", &opts).await.unwrap_err();
    assert!(err.to_string().contains("service registration ID"), "{err}");
}

#[tokio::test]
async fn node_pools_list_get_put_delete_and_their_nodes_and_jobs() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/node/pools"))
        .and(query_is(&[("per_page", "10")]))
        .respond_with(ok("nomad-docs/node-pools-list.docs.json", 11))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/node/pool/prod-eng"))
        .respond_with(ok("nomad-docs/node-pool-read.docs.json", 11))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/node/pool/prod-eng"))
        .and(body_json(json_fixture("nomad-docs/node-pool-create.request.docs.json")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/node/pool/prod-eng/nodes"))
        .respond_with(ok("nomad-docs/node-pool-nodes.docs.json", 11))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/node/pool/prod-eng/jobs"))
        .and(query_is(&[("namespace", "*")]))
        .respond_with(ok("nomad-docs/node-pool-jobs.docs.json", 11))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/node/pool/prod-eng"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let pools: Vec<NodePool> =
        nomad.node_pools().list_stream(&QueryOptions::new().per_page(10)).unwrap().try_collect().await.unwrap();
    assert_eq!(pools[0].meta.as_ref().unwrap()["team"], "engineering");
    let pool = nomad.node_pools().get("prod-eng", &QueryOptions::new()).await.unwrap().value;
    assert_eq!(pool, pools[0]);
    let fresh = NodePool { create_index: 0, modify_index: 0, ..pool };
    nomad.node_pools().put(&fresh, &WriteOptions::new()).await.unwrap();
    let nodes = nomad.node_pools().nodes("prod-eng", &QueryOptions::new()).await.unwrap();
    assert!(!nodes.items.is_empty() && nodes.next_token.is_none());
    let jobs = nomad.node_pools().jobs("prod-eng", &QueryOptions::new().all_namespaces()).await.unwrap();
    assert!(!jobs.items.is_empty());
    nomad.node_pools().delete("prod-eng", &WriteOptions::new()).await.unwrap();
    for built_in in ["all", "default"] {
        let err = nomad.node_pools().delete(built_in, &WriteOptions::new()).await.unwrap_err();
        assert!(err.to_string().contains("built in"), "{err}");
    }
    Mock::given(method("GET"))
        .and(path("/v1/node/pool/nope"))
        .respond_with(ResponseTemplate::new(404).set_body_string("node pool not found"))
        .mount(&server)
        .await;
    assert!(nomad.node_pools().get("nope", &QueryOptions::new()).await.unwrap_err().is_not_found());
}
