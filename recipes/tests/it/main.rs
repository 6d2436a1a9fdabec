//! Integration tests of the recipes crate (one binary).

mod bootstrap;
mod fakes;
mod ghost;
mod inputs;
mod restore;
