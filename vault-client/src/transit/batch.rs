//! Batches (`batch_input`): many items in one request, one result per item.
//!
//! Vault answers a batch with `batch_results` in the order of the input.
//! An item that fails carries its own `error`; the other items still
//! succeed. Up to Vault 1.9 such an answer is HTTP 200; from 1.10
//! (hashicorp/vault#13111) it is 400 (a user error in any item) or 500 (an
//! internal one) with the same `batch_results` (`batchRequestResponse` in
//! `builtin/logical/transit/path_encrypt.go`). Both come back here as
//! `Ok`, each failed item as its [`ItemError`]; an error answer without
//! `batch_results` (unknown key, bad batch) fails the whole call.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use client_core::path::check_segment;
use client_core::{Method, Secret};
use serde::{Deserialize, Serialize};

use super::{Input, Out, Plaintext, Transit, check_vault_value};
use crate::client::{decode, map_error};
use crate::error::{Error, Result};
use crate::response::VaultResponse;

/// One batch item's failure: Vault's message for that item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// The item's position in the input.
    pub index: usize,
    /// Vault's message (any secret of the item redacted).
    pub message: String,
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "batch item {} failed: {}", self.index, self.message)
    }
}

impl std::error::Error for ItemError {}

/// One item's outcome.
pub type ItemResult<T> = std::result::Result<T, ItemError>;

/// A plaintext to encrypt in [`Transit::encrypt_batch`] (`Debug` hides it).
#[derive(Debug, Clone)]
pub struct EncryptItem {
    /// The bytes to encrypt.
    pub plaintext: Plaintext,
    /// The derivation context (a derived key needs one on every item).
    pub context: Option<Vec<u8>>,
    /// The key version to encrypt with (`None`: the latest).
    pub key_version: Option<u64>,
}

impl EncryptItem {
    /// An item for `plaintext`, without context, with the latest version.
    pub fn new(plaintext: impl Into<Vec<u8>>) -> Self {
        Self { plaintext: Plaintext(plaintext.into()), context: None, key_version: None }
    }

    /// The same item with a derivation context.
    #[must_use]
    pub fn with_context(mut self, context: impl Into<Vec<u8>>) -> Self {
        self.context = Some(context.into());
        self
    }
}

/// A ciphertext for [`Transit::decrypt_batch`] or [`Transit::rewrap_batch`].
#[derive(Debug, Clone)]
pub struct CiphertextItem {
    /// The ciphertext (`vault:v<N>:...`).
    pub ciphertext: String,
    /// The derivation context it was encrypted with.
    pub context: Option<Vec<u8>>,
    /// Rewrap only: the version to re-encrypt with (`None`: the latest).
    pub key_version: Option<u64>,
}

impl CiphertextItem {
    /// An item for `ciphertext`, without context.
    pub fn new(ciphertext: impl Into<String>) -> Self {
        Self { ciphertext: ciphertext.into(), context: None, key_version: None }
    }

    /// The same item with a derivation context.
    #[must_use]
    pub fn with_context(mut self, context: impl Into<Vec<u8>>) -> Self {
        self.context = Some(context.into());
        self
    }
}

/// Input to sign in [`Transit::sign_batch`].
#[derive(Debug, Clone)]
pub struct SignItem {
    /// The bytes to sign.
    pub input: Vec<u8>,
    /// The derivation context (derived ed25519 keys).
    pub context: Option<Vec<u8>>,
}

impl SignItem {
    /// An item for `input`, without context.
    pub fn new(input: impl Into<Vec<u8>>) -> Self {
        Self { input: input.into(), context: None }
    }
}

/// One signature of [`Transit::sign_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The signature (`vault:v<N>:...`).
    pub signature: String,
    /// The derived public key (derived ed25519 keys only).
    pub public_key: Option<String>,
}

/// What [`Transit::verify_batch`] and [`Transit::verify_hmac_batch`] check.
#[derive(Debug, Clone)]
pub struct VerifyItem {
    /// The signed bytes.
    pub input: Vec<u8>,
    /// The signature or HMAC to check (`vault:v<N>:...`).
    pub proof: String,
    /// The derivation context (derived ed25519 keys).
    pub context: Option<Vec<u8>>,
}

impl VerifyItem {
    /// An item checking `proof` over `input`, without context.
    pub fn new(input: impl Into<Vec<u8>>, proof: impl Into<String>) -> Self {
        Self { input: input.into(), proof: proof.into(), context: None }
    }
}

#[derive(Serialize)]
struct Batch<'a> {
    batch_input: Vec<Input<'a>>,
    #[serde(flatten)]
    top: Input<'a>,
}

#[derive(Deserialize)]
struct Results {
    batch_results: Vec<Out>,
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Refuses an empty batch, and one where only some items have a context:
/// Vault refuses the whole batch then ("context should be set either in all
/// the request blocks or in none").
fn check_batch(name: &str, contexts: impl Iterator<Item = bool>) -> Result<()> {
    check_segment("transit key", name)?;
    let mut seen = contexts.enumerate();
    let Some((_, first)) = seen.next() else {
        return Err(Error::invalid("transit batch", name, "is empty; pass at least one item"));
    };
    if let Some((index, _)) = seen.find(|(_, has)| *has != first) {
        return Err(Error::invalid(
            "transit batch context",
            &format!("item {index}"),
            "must be set on every item or on none (Vault refuses the whole batch otherwise)",
        ));
    }
    Ok(())
}

fn check_items<'a>(what: &str, values: impl Iterator<Item = &'a str>) -> Result<()> {
    values.enumerate().try_for_each(|(i, v)| check_vault_value(&format!("{what} of batch item {i}"), v))
}

impl Transit {
    /// Sends a batch and pairs each answer with its item; `secrets[i]` is
    /// redacted from item `i`'s error and all of them from the call's error.
    async fn batch(&self, path: &str, body: &Batch<'_>, secrets: &[Secret]) -> Result<Vec<ItemResult<Out>>> {
        let mut hidden: Vec<&Secret> = secrets.iter().collect();
        let req = self.client.request(Method::POST, "Vault path", path)?.json(body)?.idempotent(false);
        // 400/500 may carry per-item results (Vault 1.10+); looked at below.
        let resp = self.client.send_accepting(req, path, &hidden, &[400, 500]).await?;
        let unexpected =
            |reason: String| Error::UnexpectedResponse { method: "POST".into(), path: path.to_owned(), reason };
        let results = match decode::<VaultResponse<Results>>(&resp) {
            Ok(VaultResponse { data: Some(r), .. }) => r.batch_results,
            _ if !resp.is_success() => {
                hidden.extend(self.client.token());
                return Err(map_error(&resp, "POST", path, &hidden));
            }
            _ => return Err(unexpected("the answer has no batch_results".into())),
        };
        if results.len() != body.batch_input.len() {
            return Err(unexpected(format!("{} batch_results for {} items", results.len(), body.batch_input.len())));
        }
        Ok(results
            .into_iter()
            .enumerate()
            .map(|(index, out)| match out.error.as_deref().filter(|e| !e.is_empty()) {
                Some(message) => Err(ItemError {
                    index,
                    message: client_core::secret::redact(message, &secrets.get(index).into_iter().collect::<Vec<_>>()),
                }),
                None => Ok(out),
            })
            .collect())
    }

    /// Maps each item's answer, a missing field being that item's error.
    fn each<T>(results: Vec<ItemResult<Out>>, field: &str, take: impl Fn(Out) -> Option<T>) -> Vec<ItemResult<T>> {
        results
            .into_iter()
            .enumerate()
            .map(|(index, r)| {
                r.and_then(|out| {
                    take(out).ok_or_else(|| ItemError { index, message: format!("the answer has no {field}") })
                })
            })
            .collect()
    }

    /// Encrypts every item with key `name` in one request; one ciphertext
    /// or [`ItemError`] per item, in order.
    ///
    /// ```no_run
    /// # async fn demo(transit: vault_client::transit::Transit) -> vault_client::Result<()> {
    /// use vault_client::transit::EncryptItem;
    /// let items = [EncryptItem::new(*b"one"), EncryptItem::new(*b"two")];
    /// for (i, result) in transit.encrypt_batch("backups", &items).await?.iter().enumerate() {
    ///     match result {
    ///         Ok(ciphertext) => println!("{i}: {ciphertext}"),
    ///         Err(e) => eprintln!("{e}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn encrypt_batch(&self, name: &str, items: &[EncryptItem]) -> Result<Vec<ItemResult<String>>> {
        check_batch(name, items.iter().map(|i| i.context.is_some()))?;
        let path = self.path("encrypt", name)?;
        let secrets: Vec<Secret> = items.iter().map(|i| Secret::new(b64(i.plaintext.expose()))).collect();
        let batch_input = items
            .iter()
            .zip(&secrets)
            .map(|(item, secret)| Input {
                plaintext: Some(secret),
                key_version: item.key_version,
                ..Input::new(item.context.as_deref())
            })
            .collect();
        let results = self.batch(&path, &Batch { batch_input, top: Input::new(None) }, &secrets).await?;
        Ok(Self::each(results, "ciphertext", |o| o.ciphertext))
    }

    /// Decrypts every item with key `name` in one request; one
    /// [`Plaintext`] or [`ItemError`] per item, in order. A ciphertext not
    /// of the form `vault:v<N>:...` is refused before sending.
    pub async fn decrypt_batch(&self, name: &str, items: &[CiphertextItem]) -> Result<Vec<ItemResult<Plaintext>>> {
        check_batch(name, items.iter().map(|i| i.context.is_some()))?;
        check_items("transit ciphertext", items.iter().map(|i| i.ciphertext.as_str()))?;
        let path = self.path("decrypt", name)?;
        let results = self.batch(&path, &ciphertext_batch(items), &[]).await?;
        Ok(results
            .into_iter()
            .enumerate()
            .map(|(index, r)| {
                r.and_then(|out| {
                    let b64 = out
                        .plaintext
                        .ok_or_else(|| ItemError { index, message: "the answer has no plaintext".into() })?;
                    STANDARD
                        .decode(b64.expose())
                        .map(Plaintext)
                        .map_err(|_| ItemError { index, message: "the plaintext is not base64".into() })
                })
            })
            .collect())
    }

    /// Re-encrypts every item with key `name` (its latest version, or the
    /// item's `key_version`) in one request, without revealing plaintexts.
    pub async fn rewrap_batch(&self, name: &str, items: &[CiphertextItem]) -> Result<Vec<ItemResult<String>>> {
        check_batch(name, items.iter().map(|i| i.context.is_some()))?;
        check_items("transit ciphertext", items.iter().map(|i| i.ciphertext.as_str()))?;
        let path = self.path("rewrap", name)?;
        let results = self.batch(&path, &ciphertext_batch(items), &[]).await?;
        Ok(Self::each(results, "ciphertext", |o| o.ciphertext))
    }

    /// Signs every item with key `name`; `hash_algorithm` as in
    /// [`Transit::sign`].
    pub async fn sign_batch(
        &self,
        name: &str,
        items: &[SignItem],
        hash_algorithm: Option<&str>,
    ) -> Result<Vec<ItemResult<Signed>>> {
        check_batch(name, std::iter::repeat_n(false, items.len()))?;
        let path = self.path("sign", name)?;
        let batch_input = items
            .iter()
            .map(|item| Input { input: Some(b64(&item.input)), ..Input::new(item.context.as_deref()) })
            .collect();
        let top = Input { hash_algorithm, ..Input::new(None) };
        let results = self.batch(&path, &Batch { batch_input, top }, &[]).await?;
        Ok(Self::each(results, "signature", |o| {
            o.signature.map(|signature| Signed { signature, public_key: o.publickey })
        }))
    }

    /// Checks every item's signature against key `name`; `true` or
    /// `false` per item, or its [`ItemError`].
    pub async fn verify_batch(
        &self,
        name: &str,
        items: &[VerifyItem],
        hash_algorithm: Option<&str>,
    ) -> Result<Vec<ItemResult<bool>>> {
        self.verify_many(name, items, Input { hash_algorithm, ..Input::new(None) }, false).await
    }

    /// Checks every item's HMAC (from [`Transit::hmac`]) against key
    /// `name`; `algorithm` as in [`Transit::hmac`].
    pub async fn verify_hmac_batch(
        &self,
        name: &str,
        items: &[VerifyItem],
        algorithm: Option<&str>,
    ) -> Result<Vec<ItemResult<bool>>> {
        self.verify_many(name, items, Input { algorithm, ..Input::new(None) }, true).await
    }

    async fn verify_many(
        &self,
        name: &str,
        items: &[VerifyItem],
        top: Input<'_>,
        hmac: bool,
    ) -> Result<Vec<ItemResult<bool>>> {
        check_batch(name, std::iter::repeat_n(false, items.len()))?;
        let what = if hmac { "transit HMAC" } else { "transit signature" };
        check_items(what, items.iter().map(|i| i.proof.as_str()))?;
        let path = self.path("verify", name)?;
        let batch_input = items
            .iter()
            .map(|item| {
                let proof = Some(item.proof.as_str());
                Input {
                    input: Some(b64(&item.input)),
                    signature: proof.filter(|_| !hmac),
                    hmac: proof.filter(|_| hmac),
                    ..Input::new(item.context.as_deref())
                }
            })
            .collect();
        let results = self.batch(&path, &Batch { batch_input, top }, &[]).await?;
        Ok(Self::each(results, "valid", |o| o.valid))
    }

    /// The HMAC of every input under key `name`, in one request.
    pub async fn hmac_batch(
        &self,
        name: &str,
        inputs: &[&[u8]],
        algorithm: Option<&str>,
    ) -> Result<Vec<ItemResult<String>>> {
        check_batch(name, std::iter::repeat_n(false, inputs.len()))?;
        let path = self.path("hmac", name)?;
        let batch_input = inputs.iter().map(|input| Input { input: Some(b64(input)), ..Input::new(None) }).collect();
        let top = Input { algorithm, ..Input::new(None) };
        let results = self.batch(&path, &Batch { batch_input, top }, &[]).await?;
        Ok(Self::each(results, "hmac", |o| o.hmac))
    }
}

fn ciphertext_batch(items: &[CiphertextItem]) -> Batch<'_> {
    let batch_input = items
        .iter()
        .map(|item| Input {
            ciphertext: Some(item.ciphertext.as_str()),
            key_version: item.key_version,
            ..Input::new(item.context.as_deref())
        })
        .collect();
    Batch { batch_input, top: Input::new(None) }
}
