//! `/v1/client/fs/*`: list, stat and read files of an allocation's directory.

use bytes::Bytes;
use client_core::{Request, Response};

use client_core::path::PathBuf;

use crate::allocations::{Allocations, alloc_path};
use crate::error::{Error, Result};
use crate::logs::{LogFrames, LogsOptions, Origin};
use crate::models::FileInfo;
use crate::options::QueryOptions;
use crate::validate;

/// An allocation directory path: `/` or `/alloc/logs`, no `..`, no control characters.
fn fs_path(path: &str) -> Result<&str> {
    client_core::path::validate_name("allocation file path", path, 4096)?;
    if path.split('/').any(|s| s == "..") {
        return Err(client_core::Error::invalid("allocation file path", path, "must not contain '..' segments").into());
    }
    Ok(path)
}

impl Allocations {
    async fn fs(&self, op: &'static str, alloc_id: &str, path: &str, opts: &QueryOptions) -> Result<Response> {
        validate::uuid("allocation ID", alloc_id)?;
        let url = PathBuf::new("/v1/client/fs").literal(op).segment("allocation ID", alloc_id)?.finish();
        let req = Request::get(url).query("path", fs_path(path)?);
        let resp = self.client.http().send(self.client.query_one(req, opts)?).await?;
        Ok(resp)
    }

    /// `GET /v1/client/fs/ls/:alloc?path=`: the entries of a directory.
    pub async fn ls(&self, alloc_id: &str, path: &str, opts: &QueryOptions) -> Result<Vec<FileInfo>> {
        Ok(self.fs("ls", alloc_id, path, opts).await?.json()?)
    }

    /// `GET /v1/client/fs/stat/:alloc?path=`: one file's size, mode and time.
    pub async fn stat(&self, alloc_id: &str, path: &str, opts: &QueryOptions) -> Result<FileInfo> {
        Ok(self.fs("stat", alloc_id, path, opts).await?.json()?)
    }

    /// `GET /v1/client/fs/cat/:alloc?path=`: a whole file (within the client's body limit).
    ///
    /// Nomad 1.1 answers 200 with the error text when the file does not exist;
    /// that answer becomes [`Error::NotFound`] instead of file content.
    pub async fn cat(&self, alloc_id: &str, path: &str, opts: &QueryOptions) -> Result<Bytes> {
        let resp = self.fs("cat", alloc_id, path, opts).await?;
        if is_missing_file_answer(&resp) {
            return Err(Error::NotFound { kind: "file", name: path.to_owned(), namespace: None });
        }
        Ok(resp.body)
    }

    /// `GET /v1/client/fs/readat/:alloc?path=&offset=&limit=`: `limit` bytes from `offset`.
    pub async fn read_at(
        &self,
        alloc_id: &str,
        path: &str,
        offset: u64,
        limit: u64,
        opts: &QueryOptions,
    ) -> Result<Bytes> {
        let req = Request::get(alloc_path("/v1/client/fs/readat", alloc_id, None)?)
            .query("path", fs_path(path)?)
            .query("offset", offset)
            .query("limit", limit);
        let resp = self.client.http().send(self.client.query_one(req, opts)?).await?;
        if is_missing_file_answer(&resp) {
            return Err(Error::NotFound { kind: "file", name: path.to_owned(), namespace: None });
        }
        Ok(resp.body)
    }
}

impl Allocations {
    /// `GET /v1/client/fs/stream/:alloc?path=&offset=&origin=&follow=`: any
    /// file of the allocation directory as the framed stream logs use (the
    /// same decoder: one frame in memory at a time, file events, heartbeats,
    /// rotations). `opts` gives origin, offset, follow, idle timeout and the
    /// query scope; its log type is not used.
    pub async fn stream_file(&self, alloc_id: &str, path: &str, opts: &LogsOptions) -> Result<LogFrames> {
        let url = alloc_path("/v1/client/fs/stream", alloc_id, None)?;
        let origin = match opts.origin {
            Origin::Start => "start",
            Origin::End => "end",
        };
        let req = Request::get(url)
            .query("path", fs_path(path)?)
            .query("offset", opts.offset)
            .query("origin", origin)
            .query("follow", opts.follow);
        let chunks = self.client.http().stream(self.client.query_one(req, &opts.query)?).await?.bytes();
        Ok(LogFrames::new(chunks, opts.follow.then_some(opts.idle_timeout)))
    }
}

/// File contents come with the security headers of Go's file server; the
/// missing-file answer is a bare `stat <path>: no such file or directory`.
fn is_missing_file_answer(resp: &Response) -> bool {
    let body = resp.body.as_ref();
    !resp.headers.contains_key("content-security-policy")
        && body.starts_with(b"stat ")
        && body.ends_with(b": no such file or directory")
}
