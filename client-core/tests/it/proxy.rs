//! Proxies through a local recording proxy: an https target goes through a
//! CONNECT tunnel and the proxy never sees the token; an http target is
//! sent to the proxy; NO_PROXY and loopback addresses go direct;
//! VAULT_PROXY_ADDR takes every request; VAULT_AGENT_ADDR wins over the
//! address variable. Names like `vault.test` are never resolved by the
//! client: the proxy maps every host to 127.0.0.1.

use std::sync::{Arc, Mutex};

use test_support::tls::Ca;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::tls::{get, server};

const TOKEN: &str = "proxy-test-secret-token";

/// Everything clients sent to the proxy, one entry per connection.
type Recorded = Arc<Mutex<Vec<Vec<u8>>>>;

/// A proxy on 127.0.0.1: `CONNECT host:port` is tunnelled to
/// 127.0.0.1:port; any other request is answered by the proxy itself with
/// `"via-proxy"`. Records every byte the client sent.
async fn recording_proxy() -> (String, Recorded) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let recorded: Recorded = Arc::default();
    let rec = recorded.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let rec = rec.clone();
            tokio::spawn(async move {
                let slot = {
                    let mut all = rec.lock().unwrap();
                    all.push(Vec::new());
                    all.len() - 1
                };
                let record = |bytes: &[u8]| rec.lock().unwrap()[slot].extend_from_slice(bytes);
                let mut head = Vec::new();
                let mut buf = [0u8; 8192];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            record(&buf[..n]);
                            head.extend_from_slice(&buf[..n]);
                        }
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let Some(target) = text.strip_prefix("CONNECT ").and_then(|r| r.split(' ').next()) else {
                    let body = "\"via-proxy\"";
                    let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                    let _ = client.write_all(resp.as_bytes()).await;
                    return;
                };
                let port = target.rsplit(':').next().unwrap().to_owned();
                let Ok(upstream) = TcpStream::connect(format!("127.0.0.1:{port}")).await else { return };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                let (mut client_rd, mut client_wr) = client.into_split();
                let (mut up_rd, mut up_wr) = upstream.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut up_rd, &mut client_wr).await;
                });
                loop {
                    match client_rd.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            record(&buf[..n]);
                            if up_wr.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    (url, recorded)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn an_https_target_goes_through_a_connect_tunnel_and_the_token_stays_inside_tls() {
    let ca = Ca::new("proxy test CA");
    let tls = server(&ca, &["vault.test"], None).await;
    let port = tls.port();
    let (proxy, recorded) = recording_proxy().await;
    let vars = [
        ("NOMAD_ADDR", format!("https://vault.test:{port}")),
        ("VAULT_CACERT_BYTES", ca.pem()),
        ("NOMAD_TOKEN", TOKEN.to_owned()),
        ("HTTPS_PROXY", proxy),
    ];
    assert_eq!(get(&vars).await.unwrap(), "tls-ok");
    let all = recorded.lock().unwrap().clone();
    assert_eq!(all.len(), 1, "one tunnel");
    let head = String::from_utf8_lossy(&all[0]);
    assert!(head.starts_with(&format!("CONNECT vault.test:{port} HTTP/1.1")), "{head}");
    assert!(!contains(&all[0], TOKEN), "the proxy saw the token in clear text");
    // The server, at the other end of the tunnel, did get it.
    assert!(tls.heads()[0].contains(TOKEN));
}

#[tokio::test]
async fn an_http_target_is_sent_to_the_http_proxy() {
    let (proxy, recorded) = recording_proxy().await;
    let vars = [
        ("NOMAD_ADDR", "http://consul.test:8500".to_owned()),
        ("http_proxy", proxy.clone()),
        // For https targets only: not used here.
        ("HTTPS_PROXY", "http://127.0.0.1:9".to_owned()),
    ];
    assert_eq!(get(&vars).await.unwrap(), "via-proxy");
    let head = String::from_utf8_lossy(&recorded.lock().unwrap()[0]).into_owned();
    assert!(head.starts_with("GET http://consul.test:8500/v1/status/leader HTTP/1.1"), "{head}");
}

#[tokio::test]
async fn no_proxy_and_loopback_addresses_go_direct() {
    let (proxy, recorded) = recording_proxy().await;
    // NO_PROXY: the client connects itself, and cannot resolve the name.
    for no_proxy in ["vault.test", "*.test", ".test", "*"] {
        let vars = [
            ("NOMAD_ADDR", "https://vault.test:8200".to_owned()),
            ("HTTPS_PROXY", proxy.clone()),
            ("NO_PROXY", format!("other.example, {no_proxy}")),
        ];
        let err = get(&vars).await.unwrap_err().to_string();
        assert!(err.contains("vault.test:8200") && err.contains("connection failed"), "{err}");
    }
    // A loopback address is never proxied (Go's rule), NO_PROXY or not.
    let ca = Ca::new("loopback CA");
    let port = server(&ca, &["127.0.0.1"], None).await.port();
    let vars = [
        ("NOMAD_ADDR", format!("https://127.0.0.1:{port}")),
        ("VAULT_CACERT_BYTES", ca.pem()),
        ("HTTPS_PROXY", proxy.clone()),
    ];
    assert_eq!(get(&vars).await.unwrap(), "tls-ok");
    assert!(recorded.lock().unwrap().is_empty(), "nothing went through the proxy");
}

#[tokio::test]
async fn the_systems_own_proxy_takes_every_request_and_the_agent_address_wins() {
    let ca = Ca::new("agent CA");
    let port = server(&ca, &["vault.test"], None).await.port();
    let (proxy, recorded) = recording_proxy().await;
    let vars = [
        ("NOMAD_ADDR", "https://not-this-one.invalid:8200".to_owned()),
        ("VAULT_AGENT_ADDR", format!("https://vault.test:{port}")),
        ("VAULT_CACERT_BYTES", ca.pem()),
        ("VAULT_PROXY_ADDR", proxy),
        ("NO_PROXY", "*".to_owned()),
    ];
    assert_eq!(get(&vars).await.unwrap(), "tls-ok");
    let head = String::from_utf8_lossy(&recorded.lock().unwrap()[0]).into_owned();
    assert!(head.starts_with(&format!("CONNECT vault.test:{port}")), "{head}");
}

#[tokio::test]
async fn a_proxy_that_does_not_answer_is_named() {
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let vars = [
        ("NOMAD_ADDR", "https://vault.test:8200".to_owned()),
        ("HTTPS_PROXY", format!("http://ops:proxy-pw@127.0.0.1:{port}")),
    ];
    let err = get(&vars).await.unwrap_err().to_string();
    assert!(err.contains(&format!("through the proxy http://ops:redacted@127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("proxy-pw"), "{err}");
}

#[tokio::test]
async fn credentials_in_the_proxy_address_reach_the_proxy_as_proxy_authorization() {
    // `user:pw` in base64, as Go's http.ProxyFromEnvironment sends it.
    const BASIC: &str = "proxy-authorization: basic dxnlcjpwdw==";
    let (proxy, recorded) = recording_proxy().await;
    let with_creds = proxy.replacen("http://", "http://user:pw@", 1);
    let vars = [("NOMAD_ADDR", "http://consul.test:8500".to_owned()), ("HTTP_PROXY", with_creds.clone())];
    assert_eq!(get(&vars).await.unwrap(), "via-proxy");
    let head = String::from_utf8_lossy(&recorded.lock().unwrap()[0]).to_ascii_lowercase();
    assert!(head.contains(BASIC), "plain-HTTP request without proxy credentials: {head}");

    // The CONNECT of an https target carries them too (and only the CONNECT: the
    // request inside the tunnel is TLS).
    let ca = Ca::new("proxy auth CA");
    let port = server(&ca, &["vault.test"], None).await.port();
    let vars = [
        ("NOMAD_ADDR", format!("https://vault.test:{port}")),
        ("VAULT_CACERT_BYTES", ca.pem()),
        ("HTTPS_PROXY", with_creds),
    ];
    assert_eq!(get(&vars).await.unwrap(), "tls-ok");
    let all = recorded.lock().unwrap().clone();
    let connect = String::from_utf8_lossy(&all[1]).to_ascii_lowercase();
    assert!(connect.starts_with("connect vault.test:"), "{connect}");
    let head_end = connect.find("\r\n\r\n").unwrap();
    assert!(connect[..head_end].contains(BASIC), "CONNECT without proxy credentials: {connect}");
}
