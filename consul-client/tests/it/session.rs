//! Sessions against the real Consul.

use std::time::Duration;

use consul_client::{QueryOptions, SessionBehavior, SessionRequest, WriteOptions};

use crate::common::{consul_or_skip, name};

#[tokio::test]
async fn create_info_list_renew_destroy() {
    let consul = consul_or_skip!();
    let sessions = consul.sessions();
    let session_name = name("session");
    let request = SessionRequest {
        name: Some(session_name.clone()),
        ttl: Some(Duration::from_secs(30)),
        lock_delay: Some(Duration::from_secs(1)),
        behavior: SessionBehavior::Delete,
        ..SessionRequest::default()
    };
    let id = sessions.create(&request, &WriteOptions::default()).await.unwrap();
    let info = sessions.info(&id, &QueryOptions::default()).await.unwrap().value.expect("session exists");
    assert_eq!(info.name, session_name);
    assert_eq!(info.ttl, "30s");
    assert_eq!(info.behavior, SessionBehavior::Delete);
    assert_eq!(info.lock_delay(), Duration::from_secs(1));
    assert_eq!(info.node_checks, vec!["serfHealth".to_owned()]);

    assert!(sessions.list(&QueryOptions::default()).await.unwrap().value.iter().any(|s| s.id == id));
    assert!(sessions.node(&info.node, &QueryOptions::default()).await.unwrap().value.iter().any(|s| s.id == id));
    let renewed = sessions.renew(&id, &WriteOptions::default()).await.unwrap().expect("renewable");
    assert_eq!(renewed.id, id);

    sessions.destroy(&id, &WriteOptions::default()).await.unwrap();
    assert!(sessions.info(&id, &QueryOptions::default()).await.unwrap().value.is_none());
    assert!(sessions.renew(&id, &WriteOptions::default()).await.unwrap().is_none(), "renewing a gone session");
}
