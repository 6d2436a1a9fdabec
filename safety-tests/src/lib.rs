//! The reliability and safety suite of the ops SDK lives in this crate's
//! tests: a fault matrix run against every HTTP client, wrong-target safety
//! on a look-alike world in a real Consul, secret redaction across logs and
//! errors, and TLS verification. The library itself is empty.
