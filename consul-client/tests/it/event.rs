//! User events and network coordinates against the real Consul.

use std::time::Duration;

use consul_client::{Coord, EventFilter, NodeCoordinate, QueryOptions, WatchOptions, WriteOptions};
use futures::StreamExt;

use crate::common::{consul_or_skip, name};

#[tokio::test]
async fn fire_list_and_watch_user_events() {
    let consul = consul_or_skip!();
    let events = consul.events();
    let event_name = name("ev");
    let mut watch = Box::pin(events.watch(Some(&event_name), WatchOptions::default()));
    let first = watch.next().await.unwrap().unwrap();
    assert!(first.value.is_empty(), "nothing fired yet: {:?}", first.value);

    let fired =
        events.fire(&event_name, b"deploy v2", &EventFilter::default(), &WriteOptions::default()).await.unwrap();
    assert_eq!(fired.name, event_name);
    assert_eq!(fired.payload.as_deref(), Some(&b"deploy v2"[..]));
    let seen =
        tokio::time::timeout(Duration::from_secs(10), watch.next()).await.expect("the watch wakes").unwrap().unwrap();
    assert_eq!(seen.value.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), [fired.id.as_str()]);

    let filtered = EventFilter { node: Some("^nobody$".into()), ..EventFilter::default() };
    let second = events.fire(&event_name, b"", &filtered, &WriteOptions::default()).await.unwrap();
    assert_eq!(second.node_filter, "^nobody$");
    let listed = events.list(Some(&event_name), &QueryOptions::default()).await.unwrap().value;
    assert!(listed.iter().any(|e| e.id == fired.id), "{listed:?}");
    assert!(events.list(None, &QueryOptions::default()).await.unwrap().value.iter().any(|e| e.name == event_name));

    let big = vec![b'x'; 600];
    let err = events.fire(&event_name, &big, &EventFilter::default(), &WriteOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("at most 512 bytes"), "{err}");
    let tag_only = EventFilter { tag: Some("v1".into()), ..EventFilter::default() };
    assert!(
        events
            .fire(&event_name, b"", &tag_only, &WriteOptions::default())
            .await
            .unwrap_err()
            .to_string()
            .contains("needs a service filter")
    );
}

#[tokio::test]
async fn coordinates_of_datacenters_and_nodes() {
    let consul = consul_or_skip!();
    let coords = consul.coordinates();
    let dcs = coords.datacenters().await.unwrap();
    assert_eq!(dcs.iter().map(|d| d.datacenter.as_str()).collect::<Vec<_>>(), ["dc1"]);

    // Register a node of our own and give it a coordinate 5 ms from the origin.
    let node = name("coord-node");
    let reg = serde_json::json!({"Node": node, "Address": "10.9.9.9"});
    consul.http().send(client_core::Request::put("/v1/catalog/register").json(&reg).unwrap()).await.unwrap();
    let coord =
        Coord { vec: vec![0.005, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], error: 1.5, adjustment: 0.0, height: 1e-5 };
    coords
        .update(
            &NodeCoordinate { node: node.clone(), segment: String::new(), coord: coord.clone() },
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    // Coordinate updates are batched by the servers (every ~5 s in dev mode).
    let mut found = Vec::new();
    for _ in 0..100 {
        found = coords.node(&node, &QueryOptions::default()).await.unwrap().value;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found.len(), 1, "the coordinate was applied");
    assert_eq!(found[0].coord, coord);
    let all = coords.nodes(&QueryOptions::default()).await.unwrap();
    assert!(all.value.iter().any(|n| n.node == node) && all.meta.last_index > 0);
    let origin = Coord { vec: vec![0.0; 8], ..Coord::default() };
    let rtt = coord.rtt(&origin);
    assert!((rtt.as_secs_f64() - 0.00501).abs() < 1e-6, "{rtt:?}");
    assert!(coords.node(&name("no-such-node"), &QueryOptions::default()).await.unwrap().value.is_empty());
    let dereg = serde_json::json!({"Node": node});
    consul.http().send(client_core::Request::put("/v1/catalog/deregister").json(&dereg).unwrap()).await.unwrap();
}
