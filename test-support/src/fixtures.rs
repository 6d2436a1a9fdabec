//! Recorded fixtures under a crate's `tests/fixtures`.

use std::path::PathBuf;

use wiremock::ResponseTemplate;

/// The fixtures of one crate: files under `<manifest dir>/tests/fixtures`,
/// or under one folder of it ([`Fixtures::under`]).
///
/// Every reader panics with a message that names the file it could not read
/// (or decode), so a missing fixture fails the test that wanted it.
///
/// ```
/// use test_support::Fixtures;
///
/// const FIXTURES: Fixtures = Fixtures::new(env!("CARGO_MANIFEST_DIR"));
/// const VAULT: Fixtures = FIXTURES.under("vault");
/// assert!(VAULT.path("kv2-read.json").ends_with("tests/fixtures/vault/kv2-read.json"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Fixtures {
    manifest_dir: &'static str,
    folder: &'static str,
}

impl Fixtures {
    /// The fixtures of the crate at `manifest_dir`: pass
    /// `env!("CARGO_MANIFEST_DIR")` of the crate whose tests read them.
    pub const fn new(manifest_dir: &'static str) -> Self {
        Self { manifest_dir, folder: "" }
    }

    /// The same fixtures, read from the folder `folder` of `tests/fixtures`
    /// (one level: call it on [`Fixtures::new`]'s value, not on another
    /// `under`).
    pub const fn under(self, folder: &'static str) -> Self {
        assert!(self.folder.is_empty(), "Fixtures::under: already under a folder");
        Self { folder, ..self }
    }

    /// The folder the names are relative to.
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(self.manifest_dir).join("tests/fixtures").join(self.folder)
    }

    /// The path of the fixture `name` (which may hold `/`); not checked.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    /// The bytes of the fixture `name`.
    pub fn bytes(&self, name: &str) -> Vec<u8> {
        let path = self.path(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
    }

    /// The text of the fixture `name` (UTF-8).
    pub fn text(&self, name: &str) -> String {
        let path = self.path(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
    }

    /// The fixture `name` decoded as JSON.
    pub fn json(&self, name: &str) -> serde_json::Value {
        serde_json::from_slice(&self.bytes(name))
            .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", self.path(name).display()))
    }

    /// Every fixture of a kind, as `(name, text)` sorted by name: the files of
    /// the folder of `kind` whose name starts with its last part and a dot.
    /// `all_of("3.0.2/cluster")` gives `("3.0.2/cluster.json", ..)`,
    /// `("3.0.2/cluster.sync.json", ..)`, but not `3.0.2/clusters.json`.
    pub fn all_of(&self, kind: &str) -> Vec<(String, String)> {
        let (folder, stem) = kind.rsplit_once('/').map_or(("", kind), |(f, s)| (f, s));
        let dir = self.path(folder);
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list fixture folder {}: {e}", dir.display()));
        let prefix = format!("{stem}.");
        let mut names: Vec<String> = entries
            .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())))
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(&prefix))
            .map(|name| if folder.is_empty() { name } else { format!("{folder}/{name}") })
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let text = self.text(&name);
                (name, text)
            })
            .collect()
    }

    /// A wiremock answer with `status` and the fixture `name` as an
    /// `application/json` body (sent as recorded, not re-encoded).
    pub fn json_response(&self, status: u16, name: &str) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_raw(self.bytes(name), "application/json")
    }

    /// A wiremock answer with `status` and the fixture `name` as a
    /// `text/plain; charset=utf-8` body (the servers' error texts).
    pub fn text_response(&self, status: u16, name: &str) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_raw(self.bytes(name), "text/plain; charset=utf-8")
    }
}

#[cfg(test)]
mod tests {
    use super::Fixtures;

    /// Fixtures in a temporary crate folder (leaked: `Fixtures` wants `'static`).
    fn crate_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Fixtures) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join("tests/fixtures").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let root: &'static str = Box::leak(dir.path().to_str().unwrap().to_owned().into_boxed_str());
        (dir, Fixtures::new(root))
    }

    #[test]
    fn reads_bytes_text_and_json_under_tests_fixtures() {
        let (_dir, fx) = crate_with(&[("a.json", "{\"k\": [1, 2]}"), ("vault/b.txt", "denied\n")]);
        assert_eq!(fx.bytes("a.json"), b"{\"k\": [1, 2]}");
        assert_eq!(fx.json("a.json"), serde_json::json!({"k": [1, 2]}));
        assert_eq!(fx.text("vault/b.txt"), "denied\n");
        assert_eq!(fx.under("vault").text("b.txt"), "denied\n");
        assert!(fx.under("vault").path("b.txt").ends_with("tests/fixtures/vault/b.txt"));
    }

    #[test]
    fn a_missing_fixture_is_named() {
        let (_dir, fx) = crate_with(&[]);
        let err = std::panic::catch_unwind(|| fx.text("nomad/missing.json")).unwrap_err();
        let message = err.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("cannot read fixture") && message.contains("tests/fixtures/nomad/missing.json"),
            "{message}"
        );
    }

    #[test]
    fn a_fixture_that_is_not_json_is_named() {
        let (_dir, fx) = crate_with(&[("x.json", "not json")]);
        let err = std::panic::catch_unwind(|| fx.json("x.json")).unwrap_err();
        let message = err.downcast_ref::<String>().unwrap();
        assert!(message.contains("x.json is not JSON"), "{message}");
    }

    #[test]
    fn all_of_a_kind_is_sorted_and_exact_on_the_stem() {
        let (_dir, fx) = crate_with(&[
            ("3.0.2/cluster.sync.json", "s"),
            ("3.0.2/cluster.json", "c"),
            ("3.0.2/clusters.json", "no"),
            ("3.0.2/patroni.json", "no"),
            ("cluster.json", "top"),
        ]);
        let all = fx.all_of("3.0.2/cluster");
        assert_eq!(
            all,
            [("3.0.2/cluster.json".to_owned(), "c".to_owned()), ("3.0.2/cluster.sync.json".to_owned(), "s".to_owned())]
        );
        assert_eq!(fx.all_of("cluster"), [("cluster.json".to_owned(), "top".to_owned())]);
    }

    #[tokio::test]
    async fn responses_carry_the_recorded_body_and_its_type() {
        let (_dir, fx) = crate_with(&[("ok.json", "{\"a\":1}"), ("denied.txt", "Permission denied")]);
        let server = wiremock::MockServer::start().await;
        for (route, answer) in
            [("/json", fx.json_response(200, "ok.json")), ("/text", fx.text_response(403, "denied.txt"))]
        {
            wiremock::Mock::given(wiremock::matchers::path(route)).respond_with(answer).mount(&server).await;
        }
        let (status, kind, body) = get(&server.uri(), "/json").await;
        assert_eq!((status, kind.as_str(), body.as_str()), (200, "application/json", "{\"a\":1}"));
        let (status, kind, body) = get(&server.uri(), "/text").await;
        assert_eq!((status, kind.as_str(), body.as_str()), (403, "text/plain; charset=utf-8", "Permission denied"));
    }

    /// A plain HTTP/1.1 GET: status, content type and body.
    async fn get(base: &str, path: &str) -> (u16, String, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = base.trim_start_matches("http://");
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).await.unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let kind = head
            .lines()
            .find_map(|line| line.to_lowercase().strip_prefix("content-type: ").map(str::to_owned))
            .unwrap_or_default();
        (status, kind, body.to_owned())
    }
}
