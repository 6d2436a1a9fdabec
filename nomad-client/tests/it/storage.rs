//! CSI volumes, snapshots and plugins, host volumes (1.10+), quotas and
//! Sentinel policies (Enterprise), against the documented shapes.

use client_core::Secret;
use futures::TryStreamExt;
use nomad_client::{
    CSI_SECRETS_HEADER, ClientError, CsiSecrets, CsiSnapshot, CsiVolume, Error, HostVolume, QueryOptions, QuotaSpec,
    SentinelPolicy, WriteOptions,
};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const HOST_VOL: &str = "3735cc2c-cc64-11ef-89ed-bfb5b3bc38ea";
const READ_VOL: &str = "c0f7ee7d-5cc6-92fd-f2b5-14b79f01979f";

fn secrets() -> CsiSecrets {
    CsiSecrets::from([("password".to_owned(), Secret::new("xyzzy"))])
}

fn docs_volume() -> CsiVolume {
    let body = json_fixture("nomad-docs/csi-volume-register.request.docs.json");
    serde_json::from_value(body["Volumes"][0].clone()).unwrap()
}

#[tokio::test]
async fn csi_volumes_list_get_and_register_the_documented_payload() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/volumes"))
        .and(query_is(&[("type", "csi"), ("namespace", NS), ("per_page", "5")]))
        .respond_with(ok("nomad-docs/csi-volumes-list.docs.json", 64))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/volume/csi/volume-id1"))
        .and(query_is(&[("namespace", "default")]))
        .respond_with(ok("nomad-docs/csi-volume-read.docs.json", 64))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/volume/csi/volume-id1"))
        .and(body_json(json_fixture("nomad-docs/csi-volume-register.request.docs.json")))
        .respond_with(ResponseTemplate::new(200).insert_header("X-Nomad-Index", "65"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/volume/csi/volume-id1/create"))
        .and(body_json(json_fixture("nomad-docs/csi-volume-create.request.docs.json")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let all: Vec<_> =
        nomad.csi_volumes().list_stream(&QueryOptions::new().per_page(5)).unwrap().try_collect().await.unwrap();
    assert_eq!((all[0].id.as_str(), all[0].current_writers, all[0].schedulable), ("volume-id1", 1, true));
    let vol = nomad.csi_volumes().get("volume-id1", &QueryOptions::new().namespace("default")).await.unwrap().value;
    assert_eq!(vol.plugin_id, "plugin-id1");
    assert!(!vol.claims().is_empty(), "the docs' volume is claimed: {:?}", vol.claims());

    let opts = WriteOptions::new().namespace("default");
    let register = docs_volume();
    assert!(!format!("{register:?}").contains("xyzzy"), "secrets print redacted");
    nomad.csi_volumes().register(&register, &opts).await.unwrap();
    let create_body = json_fixture("nomad-docs/csi-volume-create.request.docs.json");
    let create: CsiVolume = serde_json::from_value(create_body["Volumes"][0].clone()).unwrap();
    nomad.csi_volumes().create(&create, &opts).await.unwrap();

    // Bad input, before anything is sent.
    for (vol, want) in [
        (CsiVolume { external_id: String::new(), ..docs_volume() }, "external ID"),
        (CsiVolume { plugin_id: String::new(), ..docs_volume() }, "CSI plugin ID"),
        (CsiVolume { requested_capabilities: vec![], ..docs_volume() }, "requested capabilities"),
        (CsiVolume { id: "../x".into(), ..docs_volume() }, "CSI volume ID"),
        (CsiVolume { id: String::new(), ..docs_volume() }, "CSI volume ID"),
    ] {
        let err = nomad.csi_volumes().register(&vol, &opts).await.unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
    assert_eq!(server.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "PUT").count(), 2);
}

#[tokio::test]
async fn a_claimed_csi_volume_is_refused_before_deregister_or_delete() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/volume/csi/volume-id1"))
        .respond_with(ok("nomad-docs/csi-volume-read.docs.json", 64))
        .mount(&server)
        .await;
    let mut free = json_fixture("nomad-docs/csi-volume-read.docs.json");
    free["ID"] = "volume-free".into();
    for key in ["ReadAllocs", "WriteAllocs"] {
        free[key] = serde_json::json!({});
    }
    Mock::given(method("GET"))
        .and(path("/v1/volume/csi/volume-free"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&free))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/volume/csi/volume-free-typo"))
        .respond_with(ResponseTemplate::new(404).set_body_string("volume not found"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/volume/csi/volume-free"))
        .and(query_is(&[("namespace", NS), ("force", "false")]))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/volume/csi/volume-id1"))
        .and(query_is(&[("namespace", NS), ("force", "true")]))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/volume/csi/volume-free/delete"))
        .and(header(CSI_SECRETS_HEADER, "password=xyzzy"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/volume/csi/volume-id1/detach"))
        .and(query_is(&[("namespace", NS), ("node", NODE)]))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let v = nomad.csi_volumes();
    let w = WriteOptions::new();
    for err in [
        v.deregister("volume-id1", false, &w).await.unwrap_err(),
        v.delete("volume-id1", &secrets(), &w).await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::Refused { .. }), "{err}");
        assert!(err.to_string().contains("a8198d79-cfdb-6593-a999-1e9adabcba2e"), "names the claim: {err}");
    }
    v.deregister("volume-free", false, &w).await.unwrap();
    v.deregister("volume-id1", true, &w).await.unwrap();
    v.delete("volume-free", &secrets(), &w).await.unwrap();
    assert!(v.deregister("volume-free-typo", false, &w).await.unwrap_err().is_not_found());
    v.detach("volume-id1", NODE, &w).await.unwrap();
    let err = v.detach("volume-id1", "ea4c7b83", &w).await.unwrap_err().to_string();
    assert!(err.contains("node ID") && err.contains("36-character"), "{err}");
    let bad = CsiSecrets::from([("k".to_owned(), Secret::new("a,b=c"))]);
    let err = v.delete("volume-free", &bad, &w).await.unwrap_err().to_string();
    assert!(err.contains("CSI secret value") && !err.contains("a,b=c"), "{err}");
}

#[tokio::test]
async fn csi_snapshots_and_external_volumes_page_in_the_body() {
    let (server, nomad) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/volumes/snapshot"))
        .and(body_json(json_fixture("nomad-docs/csi-snapshot-create.request.docs.json")))
        .respond_with(ok("nomad-docs/csi-snapshot-create.docs.json", 70))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/volumes/snapshot"))
        .and(query_is(&[("plugin_id", "aws-ebs0"), ("per_page", "2")]))
        .and(header(CSI_SECRETS_HEADER, "password=xyzzy"))
        .respond_with(ok("nomad-docs/csi-snapshots-list.docs.json", 70))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/volumes/external"))
        .and(query_is(&[("plugin_id", "aws-ebs0")]))
        .respond_with(ok("nomad-docs/csi-volumes-external-list.docs.json", 70))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/volumes/snapshot"))
        .and(query_is(&[("plugin_id", "aws-ebs0"), ("snapshot_id", "snap-9df717f4")]))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let request = json_fixture("nomad-docs/csi-snapshot-create.request.docs.json");
    let snaps: Vec<CsiSnapshot> = serde_json::from_value(request["Snapshots"].clone()).unwrap();
    assert!(!format!("{snaps:?}").contains("xyzzy"));
    let made = nomad.csi_volumes().create_snapshots(&snaps, &WriteOptions::new()).await.unwrap();
    assert_eq!(
        (made[0].id.as_str(), made[0].create_time, made[0].is_ready),
        ("snap-031f5f7e3406d594a", 1617909982, false)
    );
    let page = nomad.csi_volumes().snapshots("aws-ebs0", &secrets(), &QueryOptions::new().per_page(2)).await.unwrap();
    assert_eq!((page.items.len(), page.next_token.as_deref()), (2, Some("eyJ2IjoiMiIsImMiOiJLZ")));
    let ext = nomad.csi_volumes().external("aws-ebs0", &QueryOptions::new()).await.unwrap();
    assert!(ext.items[1].is_abnormal && ext.items[1].status.contains("example error"));
    nomad
        .csi_volumes()
        .delete_snapshot("aws-ebs0", "snap-9df717f4", &CsiSecrets::new(), &WriteOptions::new())
        .await
        .unwrap();
    let err = nomad.csi_volumes().create_snapshots(&[], &WriteOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("snapshots"), "{err}");
    let err = nomad.csi_volumes().delete_snapshot("aws-ebs0", "", &CsiSecrets::new(), &WriteOptions::new()).await;
    assert!(err.unwrap_err().to_string().contains("CSI snapshot ID"));
}

#[tokio::test]
async fn csi_plugins_list_and_get_in_both_documented_shapes() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/plugins"))
        .and(query_is(&[("type", "csi")]))
        .respond_with(ok("nomad-docs/csi-plugins-list.docs.json", 93))
        .mount(&server)
        .await;
    // The docs show the read inside an array; the Go client decodes one object.
    Mock::given(method("GET"))
        .and(path("/v1/plugin/csi/example"))
        .respond_with(ok("nomad-docs/csi-plugin-read.docs.json", 93))
        .mount(&server)
        .await;
    let one = json_fixture("nomad-docs/csi-plugin-read.docs.json")[0].clone();
    Mock::given(method("GET"))
        .and(path("/v1/plugin/csi/object"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&one))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/plugin/csi/two"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([one, one])))
        .mount(&server)
        .await;
    let list = nomad.csi_plugins().list(&QueryOptions::new()).await.unwrap().value;
    assert_eq!((list[0].id.as_str(), list[0].controllers_expected), ("example", 3));
    let a = nomad.csi_plugins().get("example", &QueryOptions::new()).await.unwrap().value;
    let b = nomad.csi_plugins().get("object", &QueryOptions::new()).await.unwrap().value;
    assert_eq!(a, b);
    assert!(a.controllers_required);
    let err = nomad.csi_plugins().get("two", &QueryOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("2 plugins instead of one"), "{err}");
    assert!(
        nomad.csi_plugins().get("a/b", &QueryOptions::new()).await.unwrap_err().to_string().contains("CSI plugin ID")
    );
}

#[tokio::test]
async fn host_volumes_list_create_register_and_an_exact_delete() {
    let (server, nomad) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1/volumes"))
        .and(query_is(&[("type", "host"), ("namespace", "*")]))
        .respond_with(ok("nomad-docs/host-volumes-list.docs.json", 64))
        .mount(&server)
        .await;
    let read = json_fixture("nomad-docs/host-volume-read.docs.json");
    Mock::given(method("GET"))
        .and(path(format!("/v1/volume/host/{READ_VOL}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&read))
        .mount(&server)
        .await;
    let mut claimed = read.clone();
    claimed["ID"] = HOST_VOL.into();
    claimed["Allocations"] = serde_json::json!([{ "ID": ALLOC, "Name": "web.web[0]" }]);
    Mock::given(method("GET"))
        .and(path(format!("/v1/volume/host/{HOST_VOL}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&claimed))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/volume/host/{READ_VOL}/delete")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let create = json_fixture("nomad-docs/host-volume-create.request.docs.json");
    Mock::given(method("PUT"))
        .and(path("/v1/volume/host/create"))
        .and(body_json(&create))
        .respond_with(ok("nomad-docs/host-volume-create.docs.json", 11))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/volume/host/register"))
        .respond_with(ok("nomad-docs/host-volume-register.docs.json", 12))
        .expect(1)
        .mount(&server)
        .await;
    let list = nomad.host_volumes().list(&QueryOptions::new().all_namespaces()).await.unwrap().value;
    assert_eq!((list[0].id.as_str(), list[0].state.as_str()), (HOST_VOL, "ready"));
    let vol: HostVolume = serde_json::from_value(create["Volume"].clone()).unwrap();
    let made = nomad.host_volumes().create(&vol, &WriteOptions::new().namespace("default")).await.unwrap();
    assert_eq!((made.volume.state.as_str(), made.warnings.as_str()), ("pending", ""));
    let err = nomad.host_volumes().register(&vol, &WriteOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("host volume node ID"), "register names the node: {err}");
    let on_node = HostVolume { node_id: made.volume.node_id.clone(), ..vol.clone() };
    nomad.host_volumes().register(&on_node, &WriteOptions::new()).await.unwrap();
    let got = nomad.host_volumes().get(READ_VOL, &QueryOptions::new()).await.unwrap().value;
    assert_eq!((got.name.as_str(), got.capacity_bytes), ("external-plugin", 49283072));
    nomad.host_volumes().delete(READ_VOL, &WriteOptions::new()).await.unwrap();
    let err = nomad.host_volumes().delete(HOST_VOL, &WriteOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }) && err.to_string().contains(ALLOC), "{err}");
    let err = nomad.host_volumes().delete("3735cc2c", &WriteOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("host volume ID"), "{err}");
}

#[tokio::test]
async fn quotas_and_sentinel_policies_on_the_enterprise_shapes() {
    let (server, nomad) = server().await;
    for (p, f) in [
        ("/v1/quotas", "quotas-list"),
        ("/v1/quota/default-quota", "quota-read"),
        ("/v1/quota-usages", "quota-usages-list"),
        ("/v1/quota/usage/default-quota", "quota-usage-read"),
        ("/v1/sentinel/policies", "sentinel-policies-list"),
        ("/v1/sentinel/policy/foo", "sentinel-policy-read"),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ok(&format!("nomad-docs/{f}.docs.json"), 11))
            .mount(&server)
            .await;
    }
    let quota_body = json_fixture("nomad-docs/quota-create.request.docs.json");
    Mock::given(method("POST"))
        .and(path("/v1/quota/default-quota"))
        .and(body_json(&quota_body))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/sentinel/policy/my-policy"))
        .and(body_json(json_fixture("nomad-docs/sentinel-policy-create.request.docs.json")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    for p in ["/v1/quota/default-quota", "/v1/sentinel/policy/foo"] {
        Mock::given(method("DELETE"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
    }
    let q = nomad.quotas();
    let list = q.list(&QueryOptions::new()).await.unwrap().value;
    assert_eq!(list[0].limits[0].variables_limit, Some(1000));
    assert_eq!(list[0].limits[0].region_limit["CPU"], 2500);
    assert_eq!(q.get("default-quota", &QueryOptions::new()).await.unwrap().value, list[0]);
    let usage = q.usage("default-quota", &QueryOptions::new()).await.unwrap().value;
    assert_eq!(usage.used.values().next().unwrap().region_limit["MemoryMB"], 256);
    assert_eq!(q.usages(&QueryOptions::new()).await.unwrap().value[0], usage);
    let spec: QuotaSpec = serde_json::from_value(quota_body).unwrap();
    q.upsert(&spec, &WriteOptions::new()).await.unwrap();
    q.delete("default-quota", &WriteOptions::new()).await.unwrap();
    let err = q.upsert(&QuotaSpec { limits: vec![], ..spec }, &WriteOptions::new()).await.unwrap_err().to_string();
    assert!(err.contains("quota limits"), "{err}");

    let s = nomad.sentinel_policies();
    assert_eq!(s.list(&QueryOptions::new()).await.unwrap().value[0].enforcement_level, "advisory");
    assert_eq!(s.get("foo", &QueryOptions::new()).await.unwrap().value.policy, "main = rule { true }\n");
    let policy: SentinelPolicy =
        serde_json::from_value(json_fixture("nomad-docs/sentinel-policy-create.request.docs.json")).unwrap();
    s.upsert(&policy, &WriteOptions::new()).await.unwrap();
    s.delete("foo", &WriteOptions::new()).await.unwrap();
    let wrong = SentinelPolicy { enforcement_level: "mandatory".into(), ..policy.clone() };
    let err = s.upsert(&wrong, &WriteOptions::new()).await.unwrap_err();
    assert!(err.to_string().contains("enforcement level"), "{err}");
    let err = s.upsert(&SentinelPolicy { policy: " ".into(), ..policy }, &WriteOptions::new()).await.unwrap_err();
    assert!(err.to_string().contains("Sentinel policy text"), "{err}");
    assert!(s.delete("..", &WriteOptions::new()).await.unwrap_err().to_string().contains("Sentinel policy name"));

    // A community server has no such endpoints.
    Mock::given(method("GET"))
        .and(path("/v1/quota/nope"))
        .respond_with(ResponseTemplate::new(404).set_body_string("Nomad Enterprise only endpoint"))
        .mount(&server)
        .await;
    assert!(q.get("nope", &QueryOptions::new()).await.unwrap_err().is_not_found());
}
