//! Operations procedures as safe programs: bootstrap a Patroni HA cluster, restore it, clean up Consul ghosts, credentials.
#![deny(missing_docs)]
