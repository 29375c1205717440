//! Opening a session: the `initialize` handshake (stateful revisions) and the
//! `server/discover` probe that tells a 2026-07-28 server from a stateful one.

use std::time::Duration;

use ferromcp_protocol::types::{Implementation, InitializeResult, ServerCapabilities};
use ferromcp_protocol::{meta, methods, ErrorCode, ProtocolVersion};
use ferromcp_rpc::{Peer, RequestOptions, RpcError};
use serde_json::Value;

use crate::options::LONGEST_TIMEOUT;
use crate::session::ServerDetails;
use crate::stateless::Stateless;
use crate::ClientError;

/// Sends `initialize` with a timeout of its own: the specification forbids cancelling
/// `initialize`, so on timeout the connection is closed first (which suppresses the
/// engine's `notifications/cancelled`) and then the request is abandoned.
pub(crate) async fn initialize(
    peer: &Peer,
    params: Value,
    timeout: Duration,
) -> Result<InitializeResult, ClientError> {
    let request =
        peer.request::<InitializeResult>(methods::INITIALIZE, params, RequestOptions::default());
    tokio::pin!(request);
    tokio::select! {
        result = &mut request => result.map_err(|e: RpcError| e.into()),
        _ = tokio::time::sleep(timeout.min(LONGEST_TIMEOUT)) => {
            peer.close();
            Err(ClientError::Timeout(timeout))
        }
    }
}

/// What the `server/discover` probe found.
#[derive(Debug)]
pub(crate) enum Discovered {
    /// A 2026-07-28 server.
    Stateless(Box<ServerDetails>),
    /// Not a stateless server: use `initialize`, asking for `version` if the server named a
    /// stateful revision it supports.
    Stateful {
        reason: String,
        version: Option<ProtocolVersion>,
    },
}

/// Probes with `server/discover` carrying the full `_meta`. A -32022 naming a stateless
/// revision is retried once (a server may refuse the first request whatever it says); a
/// -32020 or -32021 is a stateless server refusing the request, returned as the error.
pub(crate) async fn discover(
    peer: &Peer,
    stateless: &Stateless,
    timeout: Duration,
) -> Result<Discovered, ClientError> {
    let mut retried = false;
    loop {
        let mut params = Value::Null;
        stateless.stamp(&mut params);
        let options = RequestOptions::with_timeout(timeout.min(LONGEST_TIMEOUT));
        let error = match peer
            .request::<Value>(methods::SERVER_DISCOVER, params, options)
            .await
        {
            Ok(result) => return Ok(read_discover(result, stateless.version)),
            Err(RpcError::Remote(error)) => error,
            Err(RpcError::Timeout(_)) => {
                return Ok(Discovered::Stateful {
                    reason: format!("no answer to server/discover within {timeout:?}"),
                    version: None,
                })
            }
            Err(other) => return Err(other.into()),
        };
        match error.code {
            ErrorCode::UNSUPPORTED_PROTOCOL_VERSION => {
                let supported: Vec<String> = error
                    .data
                    .as_ref()
                    .and_then(|d| d.get("supported"))
                    .and_then(|s| serde_json::from_value(s.clone()).ok())
                    .unwrap_or_default();
                if supported.iter().any(|v| v == stateless.version.as_str()) && !retried {
                    retried = true;
                    continue;
                }
                return match newest_stateful(&supported) {
                    Some(version) => Ok(Discovered::Stateful {
                        reason: format!("the server supports only {}", supported.join(", ")),
                        version: Some(version),
                    }),
                    None => Err(ClientError::UnsupportedProtocolVersion(
                        if supported.is_empty() {
                            "none named".into()
                        } else {
                            supported.join(", ")
                        },
                    )),
                };
            }
            // A refusal, or authorization the transport could not get: not a question of
            // which revision the server speaks.
            ErrorCode::HEADER_MISMATCH
            | ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY
            | ErrorCode::UNAUTHORIZED => return Err(ClientError::Remote(error)),
            // -32601 (a stateless server must implement discover), -32602, anything else.
            _ => {
                return Ok(Discovered::Stateful {
                    reason: format!("server/discover failed: {error}"),
                    version: None,
                })
            }
        }
    }
}

/// The newest stateful revision in `versions` that ferromcp speaks.
fn newest_stateful(versions: &[String]) -> Option<ProtocolVersion> {
    versions
        .iter()
        .filter_map(|v| ProtocolVersion::parse(v))
        .filter(|v| v.is_stateful())
        .max()
}

/// Reads a discover result leniently: `supportedVersions` listing `version` means stateless,
/// listing only others means stateful; without the list, a `resultType` (which no stateful
/// result has) still marks a stateless server.
fn read_discover(result: Value, version: ProtocolVersion) -> Discovered {
    let supported: Option<Vec<String>> = result
        .get("supportedVersions")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    match &supported {
        Some(list) if !list.iter().any(|v| v == version.as_str()) => {
            return Discovered::Stateful {
                reason: format!("the server supports only {}", list.join(", ")),
                version: newest_stateful(list),
            }
        }
        None if result.get("resultType").is_none() => {
            return Discovered::Stateful {
                reason: "server/discover was not answered with a DiscoverResult".into(),
                version: None,
            }
        }
        _ => {}
    }
    // Identity belongs in `_meta`; some servers still put it in the body.
    let server_info = result
        .get("_meta")
        .and_then(|m| m.get(meta::SERVER_INFO))
        .or_else(|| result.get("serverInfo"))
        .and_then(|v| serde_json::from_value::<Implementation>(v.clone()).ok())
        .unwrap_or_else(|| Implementation::new("", ""));
    let capabilities = result
        .get("capabilities")
        .and_then(|v| serde_json::from_value::<ServerCapabilities>(v.clone()).ok())
        .unwrap_or_default();
    let instructions = result
        .get("instructions")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Discovered::Stateless(Box::new(ServerDetails {
        protocol_version: version,
        server_info,
        capabilities,
        instructions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MODERN: ProtocolVersion = ProtocolVersion::V2026_07_28;

    #[test]
    fn discover_results_are_read_leniently() {
        let proper = json!({"resultType": "complete", "supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}}, "ttlMs": 0, "cacheScope": "public",
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "s", "version": "1"}}});
        let Discovered::Stateless(details) = read_discover(proper, MODERN) else {
            panic!("stateless")
        };
        assert_eq!(details.server_info.name, "s");
        assert!(details.capabilities.tools.is_some());

        let body_info = json!({"supportedVersions": ["2026-07-28"], "serverInfo": {"name": "b", "version": "2"}});
        let Discovered::Stateless(details) = read_discover(body_info, MODERN) else {
            panic!("stateless")
        };
        assert_eq!(details.server_info.name, "b");

        assert!(matches!(
            read_discover(json!({"resultType": "complete"}), MODERN),
            Discovered::Stateless(_)
        ));
        assert!(matches!(
            read_discover(json!({}), MODERN),
            Discovered::Stateful { version: None, .. }
        ));
        let old = json!({"supportedVersions": ["2025-06-18", "2025-03-26", "1999-01-01"]});
        assert!(matches!(
            read_discover(old, MODERN),
            Discovered::Stateful {
                version: Some(ProtocolVersion::V2025_06_18),
                ..
            }
        ));
    }
}
