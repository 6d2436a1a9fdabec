//! AWS IAM login material: a SigV4-signed `sts:GetCallerIdentity` request
//! that Vault replays to AWS to learn who the caller is.

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use client_core::Secret;
use serde::Serialize;

use crate::error::{Error, Result};

/// The body of every `GetCallerIdentity` request.
pub const GET_CALLER_IDENTITY_BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
const SERVER_ID_HEADER: &str = "X-Vault-AWS-IAM-Server-ID";

/// AWS credentials. The secret key and session token are redacted in `Debug`.
#[derive(Debug, Clone)]
pub struct AwsCredentials {
    /// Access key ID (`AKIA...`/`ASIA...`).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: Secret,
    /// Session token of temporary credentials.
    pub session_token: Option<Secret>,
}

impl AwsCredentials {
    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`AwsCredentials::from_env`], through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let access_key_id = get("AWS_ACCESS_KEY_ID").ok_or_else(|| Error::Aws {
            reason: "AWS_ACCESS_KEY_ID is not set; export the IAM credentials first".into(),
        })?;
        let secret_access_key = get("AWS_SECRET_ACCESS_KEY").map(Secret::new).ok_or_else(|| Error::Aws {
            reason: "AWS_SECRET_ACCESS_KEY is not set; export the IAM credentials first".into(),
        })?;
        Ok(Self { access_key_id, secret_access_key, session_token: get("AWS_SESSION_TOKEN").map(Secret::new) })
    }
}

/// A request to sign with SigV4.
#[derive(Debug, Clone)]
pub struct SigV4Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Full URL.
    pub url: &'a str,
    /// Headers to sign (`host` is taken from the URL when absent).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: &'a [u8],
}

/// Where and how to sign.
#[derive(Debug, Clone)]
pub struct SigV4Scope<'a> {
    /// Region, e.g. `us-east-1`.
    pub region: &'a str,
    /// Service, e.g. `sts`.
    pub service: &'a str,
    /// Signing time.
    pub time: SystemTime,
    /// Also sign and send `x-amz-content-sha256` (S3 style).
    pub content_sha256_header: bool,
}

impl SigV4Request<'_> {
    /// Signs the request and returns the headers to add (`authorization`,
    /// `x-amz-date`, and `x-amz-security-token` for temporary credentials).
    pub fn sign(&self, credentials: &AwsCredentials, scope: &SigV4Scope<'_>) -> Result<Vec<(String, String)>> {
        let creds = aws_credential_types::Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.expose().to_owned(),
            credentials.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "vault-client",
        );
        let identity = creds.into();
        let mut settings = SigningSettings::default();
        if scope.content_sha256_header {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(scope.region)
            .name(scope.service)
            .time(scope.time)
            .settings(settings)
            .build()
            .map_err(|e| Error::Aws { reason: format!("cannot build the signing parameters: {e}") })?
            .into();
        let signable = SignableRequest::new(
            self.method,
            self.url,
            self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(self.body),
        )
        .map_err(|e| Error::Aws { reason: format!("cannot sign a request to {}: {e}", self.url) })?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| Error::Aws { reason: format!("cannot sign a request to {}: {e}", self.url) })?
            .into_parts();
        Ok(instructions.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }
}

/// What to log in with on Vault's AWS auth method (IAM type).
///
/// ```
/// use vault_client::aws::{AwsCredentials, AwsLogin};
/// let creds = AwsCredentials { access_key_id: "AKIDEXAMPLE".into(), secret_access_key: "k".into(), session_token: None };
/// let login = AwsLogin::new("admin", creds).with_server_id("vault.example.com");
/// assert!(format!("{login:?}").contains("admin"));
/// ```
#[derive(Debug, Clone)]
pub struct AwsLogin {
    role: String,
    credentials: AwsCredentials,
    region: String,
    sts_url: String,
    server_id: Option<String>,
}

/// The login body Vault's AWS IAM method expects (all request parts base64).
/// `Debug` hides the signed headers (they carry the session token).
#[derive(Clone, Serialize, PartialEq, Eq)]
pub struct AwsLoginData {
    /// Vault role.
    pub role: String,
    /// Always `POST`.
    pub iam_http_request_method: String,
    /// Base64 of the STS URL.
    pub iam_request_url: String,
    /// Base64 of the form body.
    pub iam_request_body: String,
    /// Base64 of the JSON map of signed headers (each a list of values).
    pub iam_request_headers: String,
}

impl std::fmt::Debug for AwsLoginData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsLoginData")
            .field("role", &self.role)
            .field("iam_http_request_method", &self.iam_http_request_method)
            .field("iam_request_url", &self.iam_request_url)
            .field("iam_request_body", &self.iam_request_body)
            .field("iam_request_headers", &"<redacted>")
            .finish()
    }
}

impl AwsLogin {
    /// Logs in to Vault `role` with `credentials`, signing for the global STS
    /// endpoint (`https://sts.amazonaws.com/`, `us-east-1`).
    pub fn new(role: impl Into<String>, credentials: AwsCredentials) -> Self {
        Self {
            role: role.into(),
            credentials,
            region: "us-east-1".into(),
            sts_url: "https://sts.amazonaws.com/".into(),
            server_id: None,
        }
    }

    /// Uses the regional STS endpoint of `region` (Vault must be configured for it).
    #[must_use]
    pub fn with_region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self.sts_url = format!("https://sts.{region}.amazonaws.com/");
        self
    }

    /// Adds the `X-Vault-AWS-IAM-Server-ID` header Vault may require (its `iam_server_id_header_value`).
    #[must_use]
    pub fn with_server_id(mut self, server_id: &str) -> Self {
        self.server_id = Some(server_id.to_owned());
        self
    }

    /// The credentials used.
    #[must_use]
    pub fn credentials(&self) -> &AwsCredentials {
        &self.credentials
    }

    /// Builds the signed login body for signing time `time`.
    pub fn login_data(&self, time: SystemTime) -> Result<AwsLoginData> {
        client_core::path::validate_name("AWS role", &self.role, 256)?;
        let mut headers = vec![("Content-Type".to_owned(), FORM_CONTENT_TYPE.to_owned())];
        if let Some(id) = &self.server_id {
            headers.push((SERVER_ID_HEADER.to_owned(), id.clone()));
        }
        let request =
            SigV4Request { method: "POST", url: &self.sts_url, headers, body: GET_CALLER_IDENTITY_BODY.as_bytes() };
        let scope = SigV4Scope { region: &self.region, service: "sts", time, content_sha256_header: false };
        let signed = request.sign(&self.credentials, &scope)?;
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in request.headers.iter().chain(signed.iter()) {
            map.entry(k.clone()).or_default().push(v.clone());
        }
        let headers_json = serde_json::to_vec(&map).map_err(|e| Error::Aws { reason: e.to_string() })?;
        Ok(AwsLoginData {
            role: self.role.clone(),
            iam_http_request_method: "POST".into(),
            iam_request_url: STANDARD.encode(&self.sts_url),
            iam_request_body: STANDARD.encode(GET_CALLER_IDENTITY_BODY),
            iam_request_headers: STANDARD.encode(headers_json),
        })
    }
}
