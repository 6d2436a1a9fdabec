//! SigV4 known-answer tests from the AWS signing test suite (copied from
//! aws-sigv4's `aws-signing-test-suite/v4` into tests/fixtures/sigv4).

use std::time::{Duration, SystemTime};

use vault_client::Secret;
use vault_client::aws::{AwsCredentials, SigV4Request, SigV4Scope};

use crate::common::raw;

/// Parses `request.txt`: request line, headers, blank line, body.
fn parse_request(text: &str) -> (String, String, Vec<(String, String)>, String) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let mut first = lines.next().unwrap().split(' ');
    let (method, target) = (first.next().unwrap().to_owned(), first.next().unwrap().to_owned());
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    (method, target, headers, body.to_owned())
}

fn expected_header(signed: &str, name: &str) -> String {
    signed
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_else(|| panic!("no {name} in the signed request"))
}

fn check_vector(name: &str) {
    let dir = format!("sigv4/{name}");
    let context: serde_json::Value = serde_json::from_str(&raw(&dir, "context.json")).unwrap();
    let (method, target, headers, body) = parse_request(&raw(&dir, "request.txt"));
    let host = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")).unwrap().1.clone();
    let url = format!("https://{host}{target}");
    let creds = &context["credentials"];
    let credentials = AwsCredentials {
        access_key_id: creds["access_key_id"].as_str().unwrap().to_owned(),
        secret_access_key: Secret::new(creds["secret_access_key"].as_str().unwrap()),
        session_token: creds["token"].as_str().map(Secret::new),
    };
    // 2015-08-30T12:36:00Z, the suite's fixed signing time.
    assert_eq!(context["timestamp"], "2015-08-30T12:36:00Z");
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let request = SigV4Request { method: &method, url: &url, headers, body: body.as_bytes() };
    let scope = SigV4Scope {
        region: context["region"].as_str().unwrap(),
        service: context["service"].as_str().unwrap(),
        time,
        content_sha256_header: context["sign_body"].as_bool().unwrap(),
    };
    let signed = request.sign(&credentials, &scope).unwrap();
    let get = |n: &str| signed.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
    let expected = raw(&dir, "header-signed-request.txt");
    assert_eq!(get("authorization").unwrap(), expected_header(&expected, "authorization"), "{name}");
    assert_eq!(get("x-amz-date").unwrap(), "20150830T123600Z", "{name}");
    if credentials.session_token.is_some() {
        assert_eq!(get("x-amz-security-token").unwrap(), expected_header(&expected, "x-amz-security-token"));
    }
}

#[test]
fn sigv4_get_vanilla() {
    check_vector("get-vanilla");
}

#[test]
fn sigv4_post_form_urlencoded_with_body_hash() {
    check_vector("post-x-www-form-urlencoded");
}

#[test]
fn sigv4_with_session_token() {
    check_vector("get-vanilla-with-session-token");
}
