//! The one integration-test binary. Every test that touches the database runs on SQLite
//! and, when `OC_TEST_POSTGRES_URL` is set, on Postgres too (each in a fresh database).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

mod api;
mod browser;
mod console;
mod contracts;
mod cti;
mod helpcenter;
mod i18n;
mod jobs;
mod mail;
mod migration;
mod org_admins;
mod orgs;
mod people;
mod security;
mod sessions;
mod tickets;
mod two_factor;
mod web;
mod workspace;
