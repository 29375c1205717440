//! # ferromcp-protocol
//!
//! The protocol layer of ferromcp: everything about *what* travels on the wire and nothing
//! about *how* it travels.
//!
//! - [`jsonrpc`]: JSON-RPC 2.0 framing — decoding raw bytes into [`jsonrpc::Message`]s with the
//!   exact error code the specification asks for, and encoding requests, notifications and
//!   responses without a detour through `serde_json::Value`.
//! - [`version`]: the MCP revisions ferromcp speaks and how one is negotiated.
//! - [`types`]: one neutral model of every MCP request, result and notification. It is the
//!   newest shape of each type; [`adapt`] lowers a value to an older revision at the edge.
//! - [`methods`]: the method names, so no string literal is typed twice.
//!
//! ```
//! use ferromcp_protocol::jsonrpc::{decode, Decoded, Message};
//!
//! let decoded = decode(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).unwrap();
//! let Decoded::Single(Ok(Message::Request(request))) = decoded else { panic!() };
//! assert_eq!(request.method, "ping");
//! ```

pub mod adapt;
mod frame_pool;
pub mod json;
pub mod jsonrpc;
pub mod meta;
pub mod methods;
pub mod types;
pub mod version;

pub use jsonrpc::{ErrorCode, ErrorObject, RequestId};
pub use version::ProtocolVersion;
