//! MCP protocol revisions and version negotiation.

use std::fmt;

/// A revision of the MCP specification that ferromcp speaks.
///
/// Ordered by date, so `v >= ProtocolVersion::V2025_06_18` reads as "has the features of
/// 2025-06-18".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// The first stable revision.
    V2024_11_05,
    /// Adds audio content, tool annotations, completions capability, progress messages,
    /// JSON-RPC batching and Streamable HTTP.
    V2025_03_26,
    /// Removes batching; adds structured tool output, elicitation, resource links and titles.
    V2025_06_18,
    /// Adds icons, sampling with tools, URL elicitation and tasks.
    V2025_11_25,
    /// Stateless: no `initialize` and no sessions; per-request `_meta`, `server/discover`,
    /// `resultType`, Multi Round-Trip Requests instead of server-to-client requests, and
    /// `subscriptions/listen`.
    V2026_07_28,
}

impl ProtocolVersion {
    /// Every revision ferromcp speaks, oldest first.
    pub const ALL: [ProtocolVersion; 5] = [
        ProtocolVersion::V2024_11_05,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2026_07_28,
    ];

    /// The revisions with an `initialize` handshake and sessions, oldest first.
    pub const STATEFUL: [ProtocolVersion; 4] = [
        ProtocolVersion::V2024_11_05,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
    ];

    /// The newest revision with an `initialize` handshake: what `initialize` negotiates.
    pub const LATEST: ProtocolVersion = ProtocolVersion::V2025_11_25;

    /// The newest revision of all, the stateless one.
    pub const LATEST_STATELESS: ProtocolVersion = ProtocolVersion::V2026_07_28;

    /// The newest revision of all, the stateless one.
    #[deprecated(note = "renamed `LATEST_STATELESS`")]
    pub const MODERN: ProtocolVersion = ProtocolVersion::LATEST_STATELESS;

    /// The date string used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2024_11_05 => "2024-11-05",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
            ProtocolVersion::V2026_07_28 => "2026-07-28",
        }
    }

    /// Parses a wire date string; `None` for a revision ferromcp does not speak.
    pub fn parse(s: &str) -> Option<ProtocolVersion> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The version a server answers `initialize` with: the client's when it is a stateful
    /// revision ferromcp speaks, else the newest stateful one (the client then decides
    /// whether to go on). `initialize` never negotiates the stateless revision.
    pub fn negotiate(requested: &str) -> ProtocolVersion {
        Self::parse(requested)
            .filter(|v| v.is_stateful())
            .unwrap_or(Self::LATEST)
    }

    /// Whether this revision has `initialize` and sessions (everything before 2026-07-28).
    pub fn is_stateful(self) -> bool {
        self < ProtocolVersion::V2026_07_28
    }

    /// JSON-RPC batches are allowed only in 2025-03-26 (added there, removed in 2025-06-18).
    pub fn allows_batches(self) -> bool {
        self == ProtocolVersion::V2025_03_26
    }

    /// Audio content, tool annotations and progress messages (2025-03-26 and later).
    pub fn has_audio_and_annotations(self) -> bool {
        self >= ProtocolVersion::V2025_03_26
    }

    /// Structured tool output, elicitation, resource links and titles (2025-06-18 and later).
    pub fn has_structured_output(self) -> bool {
        self >= ProtocolVersion::V2025_06_18
    }

    /// Icons and sampling with tools (2025-11-25 and later).
    pub fn has_icons_and_sampling_tools(self) -> bool {
        self >= ProtocolVersion::V2025_11_25
    }
}

impl ProtocolVersion {
    /// Every revision ferromcp speaks, newest first: `supportedVersions` of `server/discover`
    /// and `data.supported` of -32022.
    pub fn supported_newest_first() -> impl Iterator<Item = &'static str> {
        Self::ALL.iter().rev().map(|v| v.as_str())
    }
}

/// The -32022 error for a request whose protocol version the server does not speak (or
/// not per request): `data.supported` lists every revision ferromcp speaks, newest first,
/// and `data.requested` echoes the one asked for. The one constructor the server's
/// 2026-07-28 checks and the Streamable HTTP checks both use, so their answers agree.
pub fn unsupported_version_error(requested: &str) -> crate::ErrorObject {
    let supported: Vec<&str> = ProtocolVersion::supported_newest_first().collect();
    let message = if ProtocolVersion::parse(requested).is_some() {
        // A revision we speak, but only with `initialize` (not in per-request `_meta`).
        format!(
            "Unsupported protocol version: {requested} is spoken only after `initialize`; \
             per-request `_meta` needs {}",
            ProtocolVersion::LATEST_STATELESS
        )
    } else {
        format!(
            "Unsupported protocol version: {requested} (supported: {})",
            supported.join(", ")
        )
    };
    crate::ErrorObject::new(crate::ErrorCode::UNSUPPORTED_PROTOCOL_VERSION, message)
        .with_data(serde_json::json!({ "supported": supported, "requested": requested }))
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_echoes_supported_and_falls_back_to_latest() {
        assert_eq!(
            ProtocolVersion::negotiate("2025-03-26"),
            ProtocolVersion::V2025_03_26
        );
        assert_eq!(
            ProtocolVersion::negotiate("1999-01-01"),
            ProtocolVersion::LATEST
        );
    }

    #[test]
    fn only_2025_03_26_allows_batches() {
        let allowed: Vec<_> = ProtocolVersion::ALL
            .into_iter()
            .filter(|v| v.allows_batches())
            .collect();
        assert_eq!(allowed, vec![ProtocolVersion::V2025_03_26]);
    }

    #[test]
    fn unsupported_version_error_names_supported_and_requested() {
        for requested in ["1999-01-01", "2025-06-18", "", "x\"y"] {
            let error = unsupported_version_error(requested);
            assert_eq!(error.code.0, -32022);
            assert!(error.message.starts_with("Unsupported protocol version: "));
            let data = error.data.expect("data");
            assert_eq!(data["requested"], requested);
            assert_eq!(
                data["supported"],
                serde_json::json!([
                    "2026-07-28",
                    "2025-11-25",
                    "2025-06-18",
                    "2025-03-26",
                    "2024-11-05"
                ])
            );
        }
        // A revision spoken only after `initialize` says so.
        assert!(unsupported_version_error("2025-06-18")
            .message
            .contains("only after `initialize`"));
    }
}
