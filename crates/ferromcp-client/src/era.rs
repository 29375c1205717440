//! Which family of MCP revisions a client speaks: the stateful ones (an `initialize`
//! handshake opens a session) or the stateless revision 2026-07-28 (every request carries
//! its own `_meta`), and how the client tells which one a server speaks.

/// The family of MCP revisions a client speaks, set with
/// [`ClientBuilder::era`](crate::ClientBuilder::era).
///
/// - [`Era::Stateful`] (the default) runs the `initialize` handshake (2024-11-05 to
///   2025-11-25), exactly as ferromcp always has. It is the default because it is what
///   every server deployed today answers, and because a server of both families (the
///   official SDKs' 2.x servers, say) switches a connection to 2026-07-28 as soon as it
///   sees 2026-07-28 `_meta`, after which it can no longer ask the client anything
///   mid-request except through MRTR.
/// - [`Era::Stateless`] speaks only 2026-07-28: it probes the server with `server/discover`
///   (carrying the full per-request `_meta`) and fails if the server turns out to speak
///   only the stateful revisions. Every request then carries `params._meta` (protocol
///   version, client capabilities, client info, log level), results are read by
///   `resultType`, and `input_required` results run the multi-round-trip (MRTR) loop.
/// - [`Era::Auto`] probes like [`Era::Stateless`] and falls back to the `initialize`
///   handshake when the answer is not a 2026-07-28 one: an error other than the three
///   2026-07-28 codes (-32020, -32021, -32022), a result that does not look like a
///   `DiscoverResult`, or no answer within the probe timeout
///   ([`ClientBuilder::probe_timeout`](crate::ClientBuilder::probe_timeout)). A -32022
///   whose `data.supported` lists 2026-07-28 is retried once; one listing only older
///   revisions selects `initialize` with the newest of them.
///
/// [`ClientBuilder::protocol_version`](crate::ClientBuilder::protocol_version) with
/// [`ProtocolVersion::V2026_07_28`](ferromcp_protocol::ProtocolVersion::V2026_07_28) and no
/// explicit era means [`Era::Stateless`].
///
/// The former names `Era::Legacy` and `Era::Modern` still work, deprecated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Era {
    /// The `initialize` handshake and a stateful session (2024-11-05 to 2025-11-25).
    #[default]
    Stateful,
    /// The stateless revision 2026-07-28 only.
    Stateless,
    /// Probe with `server/discover`; stateless if the server is, else `initialize`.
    Auto,
}

// The names of the first release, kept so code written against it still builds.
#[allow(non_upper_case_globals)]
impl Era {
    /// The former name of [`Era::Stateful`].
    #[deprecated(note = "renamed `Era::Stateful`")]
    pub const Legacy: Era = Era::Stateful;
    /// The former name of [`Era::Stateless`].
    #[deprecated(note = "renamed `Era::Stateless`")]
    pub const Modern: Era = Era::Stateless;
}

#[cfg(test)]
mod tests {
    use super::Era;

    #[test]
    #[allow(deprecated)]
    fn the_former_names_are_the_new_variants() {
        assert_eq!(Era::Legacy, Era::Stateful);
        assert_eq!(Era::Modern, Era::Stateless);
        // They match as patterns too, as the variants did.
        assert!(matches!(Era::Stateful, Era::Legacy));
        assert!(matches!(Era::Stateless, Era::Modern));
    }
}
