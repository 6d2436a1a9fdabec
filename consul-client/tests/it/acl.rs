//! ACL management against a real ACL-enabled Consul 1.8.7 (`default_policy = "deny"`).
//! Every test creates the tokens, policies, roles and auth methods it uses and deletes them.

use std::collections::BTreeMap;

use base64::Engine as _;
use consul_client::ClientError as _;
use consul_client::{
    AclAuthMethod, AclBindingRuleRequest, AclLink, AclLogin, AclPolicyRequest, AclRoleRequest, AclTokenRequest,
    BindType, ConsulClient, Error, PutOptions, QueryOptions, Secret, TokenListFilter, WriteOptions,
};

use crate::common::{acl_consul_or_skip, name};

fn q() -> QueryOptions {
    QueryOptions::default()
}
fn w() -> WriteOptions {
    WriteOptions::default()
}

fn is_invalid(err: &Error, what: &str) -> bool {
    matches!(err, Error::Core(client_core::Error::InvalidInput { what: w, .. }) if w == what)
}

async fn policy(consul: &ConsulClient, rules: &str) -> consul_client::AclPolicy {
    consul.acl().policy_create(&AclPolicyRequest::new(name("policy"), rules), &w()).await.unwrap()
}

#[tokio::test]
async fn tokens_create_get_update_clone_list_and_delete() {
    let consul = acl_consul_or_skip!();
    let acl = consul.acl();
    let p = policy(&consul, r#"key_prefix "it-acl/" { policy = "write" }"#).await;
    let created = acl
        .token_create(&AclTokenRequest::new("it token").policy(AclLink::name(&p.name)).service_identity("web"), &w())
        .await
        .unwrap();
    let secret = created.secret_id.clone().expect("a created token carries its secret");
    assert!(!format!("{created:?}").contains(secret.expose()), "the secret never shows in Debug");
    assert_eq!(created.policies, vec![AclLink { id: p.id.clone(), name: p.name.clone() }]);
    assert_eq!(created.service_identities[0].service_name, "web");

    let read = acl.token_get(&created.accessor_id, &q()).await.unwrap();
    assert_eq!(read.value.description, "it token");
    assert!(read.meta.last_index > 0, "token reads carry the index");

    let mut update = AclTokenRequest::new("it token, renamed").policy(AclLink::id(&p.id));
    update.local = true;
    let toggled = acl.token_update(&created.accessor_id, &update, &w()).await.unwrap_err();
    assert!(toggled.to_string().contains("cannot toggle local mode"), "Consul keeps a token's locality: {toggled}");
    update.local = false;
    let updated = acl.token_update(&created.accessor_id, &update, &w()).await.unwrap();
    assert_eq!(updated.description, "it token, renamed");
    assert_eq!(updated.secret_id.as_ref().map(Secret::expose), Some(secret.expose()), "the secret is kept");

    let clone = acl.token_clone(&created.accessor_id, "it clone", &w()).await.unwrap();
    assert_ne!(clone.accessor_id, created.accessor_id);
    assert_ne!(clone.secret_id.as_ref().unwrap().expose(), secret.expose());
    assert_eq!(clone.policies[0].id, p.id);

    let by_policy = TokenListFilter { policy: Some(p.id.clone()), ..TokenListFilter::default() };
    let mut listed: Vec<String> =
        acl.token_list(&by_policy, &q()).await.unwrap().value.into_iter().map(|t| t.accessor_id).collect();
    listed.sort();
    let mut expected = vec![created.accessor_id.clone(), clone.accessor_id.clone()];
    expected.sort();
    assert_eq!(listed, expected, "the policy filter lists exactly the two tokens linked to it");
    // The token works, within its policy only.
    let holder = consul.with_token(secret.clone());
    assert!(holder.kv().put("it-acl/tokens", b"v", &PutOptions::default()).await.unwrap());
    let denied = holder.kv().put("other/tokens", b"v", &PutOptions::default()).await.unwrap_err();
    assert!(denied.is_permission_denied(), "{denied}");
    holder.kv().delete("it-acl/tokens", &Default::default()).await.unwrap();

    acl.token_delete(&clone.accessor_id, &w()).await.unwrap();
    acl.token_delete(&created.accessor_id, &w()).await.unwrap();
    let gone = acl.token_get(&created.accessor_id, &q()).await.unwrap_err();
    assert!(gone.is_permission_denied() && gone.to_string().contains("ACL not found"), "{gone}");
    let revoked = holder.acl().token_self(&q()).await.unwrap_err();
    assert!(revoked.is_permission_denied(), "{revoked}");
    acl.policy_delete(&p.id, &w()).await.unwrap();
}

#[tokio::test]
async fn policies_keep_their_rules_text_and_refuse_bad_rules() {
    let consul = acl_consul_or_skip!();
    let acl = consul.acl();
    let rules = "key_prefix \"it-policy/\" {\n  policy = \"read\"\n}\n";
    let mut request = AclPolicyRequest::new(name("policy"), rules);
    request.description = "read it-policy/".into();
    let created = acl.policy_create(&request, &w()).await.unwrap();
    assert_eq!(created.rules, rules, "the rules come back as the text written");

    let by_id = acl.policy_get(&created.id, &q()).await.unwrap().value;
    let by_name = acl.policy_get_by_name(&created.name, &q()).await.unwrap().value;
    assert_eq!(by_id, by_name);
    assert_eq!(by_id.description, "read it-policy/");

    request.rules = r#"service_prefix "" { policy = "read" }"#.into();
    request.datacenters = vec!["dc1".into()];
    let updated = acl.policy_update(&created.id, &request, &w()).await.unwrap();
    assert_eq!(updated.rules, request.rules);
    assert_eq!(updated.datacenters, ["dc1"]);
    assert!(updated.modify_index > created.modify_index);
    let listed = acl.policy_list(&q()).await.unwrap().value;
    assert!(listed.iter().any(|p| p.id == created.id && p.name == created.name), "{listed:?}");

    let bad = acl.policy_create(&AclPolicyRequest::new(name("bad"), "key_prefix {"), &w()).await.unwrap_err();
    assert!(matches!(bad.status(), Some(400 | 500)), "Consul parses the rules: {bad}");
    assert!(bad.to_string().contains("Failed to parse"), "{bad}");

    acl.policy_delete(&created.id, &w()).await.unwrap();
    let gone = acl.policy_get(&created.id, &q()).await.unwrap_err();
    assert!(gone.to_string().contains("ACL not found"), "{gone}");
}

#[tokio::test]
async fn roles_create_get_list_update_and_delete() {
    let consul = acl_consul_or_skip!();
    let acl = consul.acl();
    let p = policy(&consul, r#"node_prefix "" { policy = "read" }"#).await;
    let role_name = name("role");
    let created = acl.role_create(&AclRoleRequest::new(&role_name, vec![AclLink::id(&p.id)]), &w()).await.unwrap();
    assert_eq!(created.policies[0].name, p.name, "Consul fills in the linked policy's name");

    let by_id = acl.role_get(&created.id, &q()).await.unwrap().value.expect("the role exists");
    let by_name = acl.role_get_by_name(&role_name, &q()).await.unwrap().value.expect("found by name");
    assert_eq!(by_id, by_name);
    let linked = acl.role_list(Some(&p.id), &q()).await.unwrap().value;
    assert_eq!(linked.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [created.id.as_str()]);

    let mut update = AclRoleRequest::new(&role_name, vec![AclLink::name(&p.name)]);
    update.description = "node reader".into();
    update.service_identities =
        vec![consul_client::AclServiceIdentity { service_name: "api".into(), datacenters: vec![] }];
    let updated = acl.role_update(&created.id, &update, &w()).await.unwrap();
    assert_eq!(updated.description, "node reader");
    assert_eq!(updated.service_identities[0].service_name, "api");

    // A token linking the role gets its policies.
    let token =
        acl.token_create(&AclTokenRequest::new("role holder").role(AclLink::name(&role_name)), &w()).await.unwrap();
    assert_eq!(token.roles[0].id, created.id);
    acl.token_delete(&token.accessor_id, &w()).await.unwrap();

    acl.role_delete(&created.id, &w()).await.unwrap();
    assert!(acl.role_get(&created.id, &q()).await.unwrap().value.is_none(), "a deleted role reads as None");
    assert!(acl.role_get_by_name(&role_name, &q()).await.unwrap().value.is_none());
    acl.policy_delete(&p.id, &w()).await.unwrap();
}

/// An ES256 key pair: Consul's jwt auth method verifies with the public key,
/// the test signs with the private one (no external identity provider).
struct Signer {
    key: ring::signature::EcdsaKeyPair,
}

impl Signer {
    fn new() -> Self {
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        Self { key: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap() }
    }

    /// The public key as a PEM SubjectPublicKeyInfo (the fixed P-256 header, then the point).
    fn public_pem(&self) -> String {
        use ring::signature::KeyPair as _;
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
            0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(self.key.public_key().as_ref());
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")
    }

    fn jwt(&self, sub: &str) -> Secret {
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let header = url.encode(br#"{"alg":"ES256","typ":"JWT"}"#);
        let claims = serde_json::json!({"sub": sub, "aud": "consul", "iat": now, "nbf": now - 5, "exp": now + 600});
        let payload = url.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let sig = self.key.sign(&ring::rand::SystemRandom::new(), signing_input.as_bytes()).unwrap();
        Secret::new(format!("{signing_input}.{}", url.encode(sig.as_ref())))
    }
}

#[tokio::test]
async fn jwt_auth_method_binding_rules_login_and_logout() {
    let consul = acl_consul_or_skip!();
    let acl = consul.acl();
    let signer = Signer::new();
    let method_name = name("jwt");
    let mut config = serde_json::Map::new();
    config.insert("JWTValidationPubKeys".into(), serde_json::json!([signer.public_pem()]));
    config.insert("BoundAudiences".into(), serde_json::json!(["consul"]));
    config.insert("ClaimMappings".into(), serde_json::json!({"sub": "user"}));
    let method = AclAuthMethod {
        name: method_name.clone(),
        method_type: "jwt".into(),
        description: "it jwt".into(),
        max_token_ttl: "10m".into(),
        config,
        ..AclAuthMethod::default()
    };
    let created = acl.auth_method_create(&method, &w()).await.unwrap();
    assert_eq!(created.method_type, "jwt");
    let read = acl.auth_method_get(&method_name, &q()).await.unwrap().value.expect("the method exists");
    assert_eq!(read.config["ClaimMappings"], serde_json::json!({"sub": "user"}));
    assert!(acl.auth_method_list(&q()).await.unwrap().value.iter().any(|m| m.name == method_name));
    let mut renamed = read.clone();
    renamed.display_name = "IT JWT".into();
    assert_eq!(acl.auth_method_update(&method_name, &renamed, &w()).await.unwrap().display_name, "IT JWT");

    let rule_request = AclBindingRuleRequest {
        description: "alice only".into(),
        auth_method: method_name.clone(),
        selector: r#"value.user == "alice""#.into(),
        bind_type: BindType::Service,
        bind_name: "svc-${value.user}".into(),
    };
    let rule = acl.binding_rule_create(&rule_request, &w()).await.unwrap();
    assert_eq!(acl.binding_rule_get(&rule.id, &q()).await.unwrap().value.as_ref(), Some(&rule));
    let rules = acl.binding_rule_list(Some(&method_name), &q()).await.unwrap().value;
    assert_eq!(rules, vec![rule.clone()]);
    let updated = acl
        .binding_rule_update(&rule.id, &AclBindingRuleRequest { description: "alice".into(), ..rule_request }, &w())
        .await
        .unwrap();
    assert_eq!(updated.description, "alice");

    // Login needs no ACL token: the bearer token is the credential.
    let anonymous = consul.with_token("");
    let login = |sub: &str| AclLogin {
        auth_method: method_name.clone(),
        bearer_token: signer.jwt(sub),
        meta: BTreeMap::from([("by".to_owned(), "it".to_owned())]),
    };
    let token = anonymous.acl().login(&login("alice"), &w()).await.unwrap();
    let secret = token.secret_id.clone().expect("a login token carries its secret");
    assert!(!format!("{token:?}").contains(secret.expose()));
    assert_eq!(token.auth_method, method_name);
    assert_eq!(token.service_identities[0].service_name, "svc-alice");
    let issued = TokenListFilter { auth_method: Some(method_name.clone()), ..TokenListFilter::default() };
    assert_eq!(acl.token_list(&issued, &q()).await.unwrap().value.len(), 1);

    let bob = anonymous.acl().login(&login("bob"), &w()).await.unwrap_err();
    assert!(bob.is_permission_denied(), "no binding rule matches bob: {bob}");
    let forged = AclLogin { bearer_token: Signer::new().jwt("alice"), ..login("alice") };
    assert!(anonymous.acl().login(&forged, &w()).await.is_err(), "a JWT signed by another key is refused");

    anonymous.acl().logout(&secret, &w()).await.unwrap();
    let after = consul.with_token(secret).acl().token_self(&q()).await.unwrap_err();
    assert!(after.is_permission_denied(), "the logged-out token is gone: {after}");

    acl.binding_rule_delete(&rule.id, &w()).await.unwrap();
    assert!(acl.binding_rule_get(&rule.id, &q()).await.unwrap().value.is_none());
    acl.auth_method_delete(&method_name, &w()).await.unwrap();
    assert!(acl.auth_method_get(&method_name, &q()).await.unwrap().value.is_none());
}

#[tokio::test]
async fn kubernetes_auth_method_is_checked_by_consul_and_crud_works() {
    let consul = acl_consul_or_skip!();
    let acl = consul.acl();
    let method_name = name("k8s");
    let mut method =
        AclAuthMethod { name: method_name.clone(), method_type: "kubernetes".into(), ..AclAuthMethod::default() };
    method.config.insert("Host".into(), "https://k8s.example:6443".into());
    method.config.insert("ServiceAccountJWT".into(), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln".into());
    method.config.insert("CACert".into(), "not a certificate".into());
    let bad = acl.auth_method_create(&method, &w()).await.unwrap_err();
    assert!(bad.to_string().contains("ca cert"), "Consul checks the CA certificate: {bad}");

    method.config.insert("CACert".into(), test_support::tls::Ca::new("it k8s").pem().into());
    acl.auth_method_create(&method, &w()).await.unwrap();
    let read = acl.auth_method_get(&method_name, &q()).await.unwrap().value.unwrap();
    assert_eq!(read.config["Host"], "https://k8s.example:6443");
    acl.auth_method_delete(&method_name, &w()).await.unwrap();
}

#[tokio::test]
async fn bootstrap_on_a_configured_cluster_is_refused_and_replication_reads() {
    let consul = acl_consul_or_skip!();
    let err = consul.acl().bootstrap().await.unwrap_err();
    assert!(err.is_permission_denied() && err.to_string().contains("ACL bootstrap no longer allowed"), "{err}");
    let replication = consul.acl().replication(&q()).await.unwrap().value;
    assert!(!replication.enabled && !replication.running, "the primary does not replicate: {replication:?}");
}

#[tokio::test]
async fn bootstrap_returns_the_management_token_once() {
    let started = sandbox::Consul::start_with_acl_bootstrappable();
    let Some((_agent, consul)) = crate::common::own_consul(started, "Consul with ACLs to bootstrap") else { return };
    // A fresh leader may still be setting up ACLs: it answers 500 "ACL system is not ready" briefly.
    let mut attempt = 0;
    let token = loop {
        match consul.acl().bootstrap().await {
            Ok(token) => break token,
            Err(e) if attempt < 50 && !e.is_permission_denied() => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("bootstrap failed: {e}"),
        }
    };
    let secret = token.secret_id.clone().expect("bootstrap returns the secret");
    assert!(!format!("{token:?}").contains(secret.expose()), "Debug redacts the management token");
    assert_eq!(token.policies[0].name, "global-management");
    let me = consul.with_token(secret).acl().token_self(&q()).await.unwrap().value;
    assert_eq!(me.accessor_id, token.accessor_id);
    let again = consul.acl().bootstrap().await.unwrap_err();
    assert!(again.to_string().contains("ACL bootstrap no longer allowed"), "{again}");
}

#[tokio::test]
async fn acl_inputs_are_refused_before_sending() {
    // Nothing listens here: every call must be refused before it connects.
    let consul = ConsulClient::builder().address("http://127.0.0.1:9").build().unwrap();
    let acl = consul.acl();
    assert!(is_invalid(&acl.token_get("nope", &q()).await.unwrap_err(), "ACL accessor ID"));
    assert!(is_invalid(&acl.policy_get("../x", &q()).await.unwrap_err(), "ACL policy ID"));
    assert!(is_invalid(&acl.role_get_by_name("a/b", &q()).await.unwrap_err(), "ACL role name"));
    let global = acl.policy_delete(consul_client::acl::GLOBAL_MANAGEMENT_POLICY_ID, &w()).await.unwrap_err();
    assert!(global.to_string().contains("global-management"), "{global}");
    let empty_link = AclTokenRequest::new("x").policy(AclLink::default());
    assert!(is_invalid(&acl.token_create(&empty_link, &w()).await.unwrap_err(), "ACL link"));
    let mut other = AclTokenRequest::new("x");
    other.accessor_id = Some("4b2a9c1e-0000-4000-8000-000000000000".into());
    let mismatch = acl.token_update("4b2a9c1e-0000-4000-8000-000000000001", &other, &w()).await.unwrap_err();
    assert!(mismatch.to_string().contains("names another token"), "{mismatch}");
    let mut secret = AclTokenRequest::new("x");
    secret.secret_id = Some(Secret::new("hunter2-not-a-uuid"));
    let refused = acl.token_create(&secret, &w()).await.unwrap_err();
    assert!(is_invalid(&refused, "ACL secret ID") && !refused.to_string().contains("hunter2"), "{refused}");
    let method = AclAuthMethod { name: "other".into(), method_type: "jwt".into(), ..AclAuthMethod::default() };
    assert!(acl.auth_method_update("mine", &method, &w()).await.unwrap_err().to_string().contains("keeps the name"));
}
