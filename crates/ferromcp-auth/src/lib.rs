//! OAuth 2.1 for the Model Context Protocol, both roles of the MCP authorization
//! specification (revisions 2025-11-25 and 2026-07-28):
//!
//! - [`client`]: an MCP client logging in to a protected server: the `WWW-Authenticate`
//!   challenge, protected resource and authorization server discovery, client
//!   identity (pre-registered, Client ID Metadata Document, dynamic registration), PKCE,
//!   resource indicators, scope selection and step-up, refresh, client credentials, and the
//!   token store.
//! - [`resource`]: an MCP server protecting itself: bearer tokens checked as JWTs against
//!   the issuer's keys or by introspection, and its protected resource metadata.
//!
//! [`BearerChallenge`] and the documents in [`metadata`] are shared by both.

pub mod challenge;
pub mod client;
pub mod metadata;
pub mod resource;

pub use challenge::{BearerChallenge, ChallengeError};
pub use metadata::{AuthorizationServerMetadata, ProtectedResourceMetadata};
