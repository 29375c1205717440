//! Which generation of MCP a client speaks: the `initialize` handshake (legacy) or the
//! stateless revision 2026-07-28 (modern), and how the client tells a server's era.

/// The generation of MCP a client speaks, set with
/// [`ClientBuilder::era`](crate::ClientBuilder::era).
///
/// - [`Era::Legacy`] (the default) runs the `initialize` handshake (2024-11-05 to
///   2025-11-25), exactly as ferromcp always has. It is the default because it is what
///   every server deployed today answers, and because a dual-era server (the official SDKs'
///   2.x servers, say) switches a connection to 2026-07-28 as soon as it sees modern
///   `_meta`, after which it can no longer ask the client anything mid-request except
///   through MRTR.
/// - [`Era::Modern`] speaks only 2026-07-28: it probes the server with `server/discover`
///   (carrying the full per-request `_meta`) and fails if the server turns out to be
///   legacy. Every request then carries `params._meta` (protocol version, client
///   capabilities, client info, log level), results are read by `resultType`, and
///   `input_required` results run the multi-round-trip (MRTR) loop.
/// - [`Era::Auto`] probes like [`Era::Modern`] and falls back to the `initialize` handshake
///   when the answer is not a modern one: an error other than the three modern codes
///   (-32020, -32021, -32022), a result that does not look like a `DiscoverResult`, or no
///   answer within the probe timeout
///   ([`ClientBuilder::probe_timeout`](crate::ClientBuilder::probe_timeout)). A -32022
///   whose `data.supported` lists 2026-07-28 is retried once; one listing only older
///   revisions selects `initialize` with the newest of them.
///
/// [`ClientBuilder::protocol_version`](crate::ClientBuilder::protocol_version) with
/// [`ProtocolVersion::V2026_07_28`](ferromcp_protocol::ProtocolVersion::V2026_07_28) and no
/// explicit era means [`Era::Modern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Era {
    /// The `initialize` handshake and a stateful session (2024-11-05 to 2025-11-25).
    #[default]
    Legacy,
    /// The stateless revision 2026-07-28 only.
    Modern,
    /// Probe with `server/discover`; modern if the server is, else `initialize`.
    Auto,
}
