//! Validation of a request's headers and body, shared by every handler.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use ferromcp_protocol::ProtocolVersion;
use futures::StreamExt;
use http::{header, HeaderMap};

use super::config::HttpServerConfig;
use super::error::HttpError;
use crate::headers::{names, JSON, PROTOCOL_VERSION};

/// An oversized body is read and discarded up to this much, so the client (still sending)
/// sees the 413 instead of a reset connection.
const DRAIN_MAX_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_MAX_TIME: Duration = Duration::from_secs(5);

/// The `Mcp-Session-Id` header, if present (400 when it is not visible ASCII).
pub(crate) fn session_header(headers: &HeaderMap) -> Result<Option<&str>, HttpError> {
    let mut values = headers.get_all(names::SESSION_ID).iter();
    let first = values.next();
    // Two session ids make the request ambiguous: refuse rather than pick one.
    if values.any(|other| Some(other) != first) {
        return Err(HttpError::bad_request(
            "the request names more than one Mcp-Session-Id",
        ));
    }
    match first {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(Some)
            .map_err(|_| HttpError::bad_request("the Mcp-Session-Id header is not visible ASCII")),
    }
}

/// The `MCP-Protocol-Version` header of a stateful request (sessions, GET, DELETE):
/// `None` when absent, 400 when it is not a stateful revision (2026-07-28 has no sessions)
/// or is repeated with different values.
pub(crate) fn header_version(headers: &HeaderMap) -> Result<Option<ProtocolVersion>, HttpError> {
    let mut found = None;
    for value in headers.get_all(PROTOCOL_VERSION) {
        let text = value.to_str().unwrap_or("").trim();
        let parsed = ProtocolVersion::parse(text).filter(|v| v.is_stateful());
        let Some(version) = parsed else {
            let supported: Vec<&str> = ProtocolVersion::STATEFUL
                .iter()
                .map(|v| v.as_str())
                .collect();
            return Err(HttpError::bad_request(format!(
                "unsupported MCP-Protocol-Version {text:?} here (with sessions: {})",
                supported.join(", ")
            )));
        };
        if found.is_some_and(|first| first != version) {
            return Err(HttpError::bad_request(
                "conflicting MCP-Protocol-Version headers",
            ));
        }
        found = Some(version);
    }
    Ok(found)
}

/// Whether the `Accept` header admits `wanted` (`type/subtype`): order-insensitive, with
/// wildcards, ignoring ranges whose `q` is 0.
pub(crate) fn accepts(headers: &HeaderMap, wanted: &str) -> bool {
    // Read as bytes: a value that is visible ASCII has no other whitespace than spaces and
    // tabs, and splitting bytes is cheaper than splitting text by `char`s (every POST asks).
    let wanted = wanted.as_bytes();
    let wanted_type = wanted.split(|b| *b == b'/').next().unwrap_or(wanted);
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .any(|range| {
            let mut pieces = range.split(|b| *b == b';').map(<[u8]>::trim_ascii);
            let media = pieces.next().unwrap_or_default();
            let refused = pieces.any(|p| {
                p.iter().position(|b| *b == b'=').is_some_and(|eq| {
                    p[..eq].trim_ascii().eq_ignore_ascii_case(b"q")
                        && std::str::from_utf8(p[eq + 1..].trim_ascii())
                            .ok()
                            .and_then(|v| v.parse::<f32>().ok())
                            .is_some_and(|q| q <= 0.0)
                })
            });
            !refused
                && (media == b"*/*"
                    || media.eq_ignore_ascii_case(wanted)
                    || media
                        .strip_suffix(b"/*")
                        .is_some_and(|t| t.eq_ignore_ascii_case(wanted_type)))
        })
}

/// Whether `Content-Type` is `application/json` (parameters such as charset allowed).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON))
}

/// Reads the body up to `config.max_body_bytes` (413 beyond, after discarding a bounded
/// remainder) within `config.body_read_timeout` (408 after).
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    config: &HttpServerConfig,
) -> Result<Bytes, HttpError> {
    let limit = config.max_body_bytes;
    let timeout = config.body_read_timeout;
    tokio::time::timeout(timeout, read_body_within(headers, body, limit))
        .await
        .unwrap_or_else(|_| Err(HttpError::body_timeout(timeout)))
}

/// Memory reserved for a body before any of it has arrived.
const FIRST_RESERVATION: usize = 64 * 1024;

async fn read_body_within(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, HttpError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|len| len > limit as u64) {
        drain(stream).await;
        return Err(HttpError::too_large(limit));
    }
    let declared = declared.map(|len| len as usize);
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| HttpError::bad_request(format!("could not read the body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            drain(stream).await;
            return Err(HttpError::too_large(limit));
        }
        // A body that came in one chunk is used as it is, without a copy.
        if buf.is_empty() && declared == Some(chunk.len()) {
            return Ok(chunk);
        }
        reserve_for(&mut buf, chunk.len(), declared);
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Makes room for `incoming` more bytes, growing with what has arrived (at most double
/// it) and never past the declared length: a client that announces a large body and
/// sends a few bytes holds a few bytes of memory. Growing straight to the declared
/// length once most of it is known avoids the copies of growth by small steps.
fn reserve_for(buf: &mut BytesMut, incoming: usize, declared: Option<usize>) {
    let needed = buf.len() + incoming;
    if buf.capacity() >= needed {
        return;
    }
    let grown = (needed * 2).max(FIRST_RESERVATION);
    let target = declared
        .map_or(grown, |declared| grown.min(declared))
        .max(needed);
    buf.reserve(target - buf.len());
}

async fn drain(mut stream: axum::body::BodyDataStream) {
    let discard = async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > DRAIN_MAX_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_MAX_TIME, discard).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::EVENT_STREAM;

    fn with_accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        headers
    }

    #[test]
    fn body_memory_follows_what_arrived() {
        // Declared 4 MiB, 10 bytes arrived: no more than the first reservation.
        let mut buf = BytesMut::new();
        reserve_for(&mut buf, 10, Some(4 << 20));
        assert!(buf.capacity() < 2 * FIRST_RESERVATION);
        // Past half of the declared length, the buffer grows straight to it.
        buf.extend_from_slice(&[0; 10]);
        reserve_for(&mut buf, 3 << 20, Some(4 << 20));
        assert!(buf.capacity() >= (3 << 20) + 10 && buf.capacity() < (5 << 20));
        // Never short of what is needed, even when the declared length was wrong.
        let mut small = BytesMut::new();
        reserve_for(&mut small, 100, Some(10));
        assert!(small.capacity() >= 100);
    }

    #[test]
    fn accept_is_order_insensitive_with_wildcards() {
        let both = with_accept("text/event-stream, application/json");
        assert!(accepts(&both, "application/json") && accepts(&both, EVENT_STREAM));
        assert!(accepts(&with_accept("*/*"), EVENT_STREAM));
        assert!(accepts(&with_accept("text/*;q=0.5"), EVENT_STREAM));
        assert!(!accepts(&with_accept("application/json"), EVENT_STREAM));
        assert!(!accepts(
            &with_accept("text/event-stream;q=0"),
            EVENT_STREAM
        ));
        assert!(!accepts(&HeaderMap::new(), EVENT_STREAM));
        // Case, spaces and tabs, empty ranges, `q` spelled loosely.
        let loose = with_accept(" ,Application/JSON ;\tcharset=utf-8 , TEXT/* ; Q = 0.0");
        assert!(accepts(&loose, "application/json"));
        assert!(!accepts(&loose, EVENT_STREAM));
        assert!(accepts(
            &with_accept("text/event-stream; q=0.001"),
            EVENT_STREAM
        ));
        assert!(!accepts(&with_accept("application/*"), EVENT_STREAM));
    }
}
