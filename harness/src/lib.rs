//! Virtual authenticators, scenario drivers and the scenario runner.

pub mod authenticator;
pub mod cli;
