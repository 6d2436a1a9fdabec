//! Property tests for the JSON models of every client: recorded answers,
//! mutated (truncated, bytes flipped or inserted, a field's value replaced by
//! arbitrary JSON) and arbitrary JSON documents never make a decoder panic;
//! each either decodes or returns an error. The budget is small in CI
//! (`PROPTEST_CASES` raises it on demand).

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

type Decode = fn(&[u8]) -> bool;

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> bool {
    serde_json::from_slice::<T>(bytes).is_ok()
}

macro_rules! fixture {
    ($name:literal, $ty:ty) => {
        ($name, include_bytes!(concat!("../fixtures/models/", $name)).as_slice(), decode::<$ty> as Decode)
    };
}

/// Every recorded answer with the model it decodes into.
fn models() -> Vec<(&'static str, &'static [u8], Decode)> {
    vec![
        fixture!("job-read.json", nomad_client::Job),
        fixture!("allocation-read.json", nomad_client::Allocation),
        fixture!("jobs-list-prefix.json", Vec<nomad_client::JobListStub>),
        fixture!("job-plan-diff.json", nomad_client::JobPlanResponse),
        fixture!("node-read.json", nomad_client::Node),
        fixture!("nodes-list.json", Vec<nomad_client::NodeListStub>),
        fixture!("catalog-service.json", Vec<consul_client::CatalogService>),
        fixture!("agent-members.json", Vec<consul_client::Member>),
        fixture!("health-service-fake.json", Vec<consul_client::ServiceEntry>),
        fixture!("kv-get-recurse.json", Vec<consul_client::KvPair>),
        fixture!("acl-token-self.json", consul_client::AclToken),
        fixture!("kv2-read.json", vault_client::VaultResponse<Value>),
        fixture!("token-lookup-self.json", vault_client::VaultResponse<vault_client::TokenInfo>),
        fixture!("patroni.node3.json", patroni_client::MemberStatus),
        fixture!("cluster.node4.json", patroni_client::ClusterInfo),
        fixture!("history.node3.json", Vec<patroni_client::HistoryEntry>),
    ]
}

#[test]
fn every_recorded_answer_decodes() {
    for (name, bytes, decode) in models() {
        assert!(decode(bytes), "{name} must decode into its model");
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z_]{1,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value of the `n`-th object field found (depth first).
fn replace_nth_field(v: &mut Value, n: &mut usize, with: &Value) -> bool {
    match v {
        Value::Object(map) => {
            for (_, field) in map.iter_mut() {
                if *n == 0 {
                    *field = with.clone();
                    return true;
                }
                *n -= 1;
                if replace_nth_field(field, n, with) {
                    return true;
                }
            }
            false
        }
        Value::Array(items) => items.iter_mut().any(|i| replace_nth_field(i, n, with)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_answers_never_panic(which in 0usize..16, cut in 0.0f64..1.0, flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..6)) {
        let all = models();
        let (_, bytes, decode) = all[which % all.len()];
        let mut mutated = bytes.to_vec();
        for (at, byte) in flips {
            let i = ((mutated.len() as f64) * at) as usize % mutated.len().max(1);
            mutated[i] = byte;
        }
        let _ = decode(&mutated);
        let end = ((mutated.len() as f64) * cut) as usize;
        let _ = decode(&mutated[..end]);
    }

    #[test]
    fn a_field_with_an_unexpected_value_never_panics(which in 0usize..16, field in 0usize..200, with in arbitrary_json()) {
        let all = models();
        let (_, bytes, decode) = all[which % all.len()];
        let mut doc: Value = serde_json::from_slice(bytes).unwrap();
        let mut n = field;
        replace_nth_field(&mut doc, &mut n, &with);
        let _ = decode(&serde_json::to_vec(&doc).unwrap());
    }

    #[test]
    fn arbitrary_documents_never_panic(doc in arbitrary_json()) {
        let bytes = serde_json::to_vec(&doc).unwrap();
        for (_, _, decode) in models() {
            let _ = decode(&bytes);
        }
    }
}
