//! Virtual authenticators, scenario drivers and the scenario runner.

pub mod app_server;
pub mod app_under_test;
pub mod authenticator;
pub mod cli;
pub mod commands;
pub mod driver;
pub mod init;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod setup;
pub mod snapshots;
pub mod transcript;
