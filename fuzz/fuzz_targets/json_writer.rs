//! `ferromcp_protocol::json` (the hand-written writer results go through) against serde_json:
//! values built from the input (strings full of escapes and multi-byte characters, numbers
//! at their limits, nested raw values compact and pretty, maps with integer and refused
//! keys), and the input itself read as JSON, a value and a raw value. Each must come out
//! byte for byte as serde_json writes it (so it parses to the same value), fail where
//! serde_json fails, and frame as a response whose result is that same text. The checks
//! live with the crate's own tests (`tests/json_support`), which run them on fixed seeds.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/ferromcp-protocol/tests/json_support/mod.rs"]
mod json_support;

fuzz_target!(|data: &[u8]| {
    json_support::check_input(data);
});
