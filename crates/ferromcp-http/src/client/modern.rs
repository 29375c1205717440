//! The 2026-07-28 side of the Streamable HTTP client.
//!
//! A frame is modern when its `params._meta` names the protocol version
//! (`io.modelcontextprotocol/protocolVersion`); the client session stamps every request of a
//! 2026-07-28 session so. Such a request is POSTed without session headers, with
//! `MCP-Protocol-Version` equal to that `_meta` value, `Mcp-Method`, `Mcp-Name` (tools/call
//! and prompts/get: the name; resources/read: the URI) and one `Mcp-Param-{Name}` header
//! per `x-mcp-header` argument of the tool being called. The annotations come from the
//! `tools/list` answers this transport delivered: it reads them on the way through, and
//! drops (with a warning) every tool whose annotations break the rules, so the client never
//! sees it. Cancelling a modern request closes its stream; nothing is POSTed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use ferromcp_protocol::{meta, methods, RequestId};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::value::{to_raw_value, RawValue};
use serde_json::{Map, Value};

use super::param_headers::{annotations, encode_text, ParamHeader, PARAM_PREFIX};
use crate::headers::PROTOCOL_VERSION;

pub(crate) use crate::headers::MCP_METHOD;
pub(crate) use crate::headers::MCP_NAME;

/// What a connection remembers about its 2026-07-28 traffic. It knows nothing of the
/// connection that holds it (`core.rs`), which POSTs what it is told to.
#[derive(Debug, Default)]
pub(crate) struct ModernState(Mutex<Traffic>);

#[derive(Debug, Default)]
struct Traffic {
    /// Modern requests still running.
    requests: HashSet<RequestId>,
    /// The `tools/list` requests among them, whose answers are checked on arrival.
    tools_lists: HashSet<RequestId>,
    /// The annotated arguments of every tool listed so far, by tool name.
    tools: HashMap<String, Vec<ParamHeader>>,
}

/// The parts of a request frame the headers are made of.
#[derive(Deserialize)]
struct Frame {
    method: String,
    #[serde(default)]
    params: Option<Params>,
}

#[derive(Deserialize)]
struct Params {
    #[serde(rename = "_meta", default)]
    meta: Option<Map<String, Value>>,
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    uri: Option<Value>,
    #[serde(default)]
    arguments: Option<Value>,
}

impl ModernState {
    fn lock(&self) -> MutexGuard<'_, Traffic> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The headers of request `id` if `frame` is a 2026-07-28 request (which registers
    /// it as one), else `None`.
    pub(crate) fn headers(&self, frame: &[u8], id: &RequestId) -> Option<HeaderMap> {
        // Legacy frames (no such key anywhere) are not parsed at all.
        memchr::memmem::find(frame, meta::PROTOCOL_VERSION.as_bytes())?;
        let frame: Frame = serde_json::from_slice(frame).ok()?;
        let params = frame.params?;
        let version = params
            .meta
            .as_ref()?
            .get(meta::PROTOCOL_VERSION)?
            .as_str()?;
        let mut headers = HeaderMap::new();
        let mut put = |name: HeaderName, value: &str| match HeaderValue::from_str(value) {
            Ok(value) => {
                headers.insert(name, value);
            }
            Err(_) => tracing::warn!(header = %name, "a value cannot be sent as a header"),
        };
        put(HeaderName::from_static(PROTOCOL_VERSION), version);
        put(HeaderName::from_static(MCP_METHOD), &frame.method);
        let name = match frame.method.as_str() {
            methods::TOOLS_CALL | methods::PROMPTS_GET => params.name.as_ref(),
            methods::RESOURCES_READ => params.uri.as_ref(),
            _ => None,
        };
        if let Some(name) = name.and_then(Value::as_str) {
            put(HeaderName::from_static(MCP_NAME), &encode_text(name));
        }
        let mut state = self.lock();
        if let (methods::TOOLS_CALL, Some(tool)) =
            (frame.method.as_str(), name.and_then(Value::as_str))
        {
            let arguments = params.arguments.as_ref().and_then(Value::as_object);
            for header in state.tools.get(tool).into_iter().flatten() {
                let value = arguments.and_then(|a| header.value(a));
                let name =
                    HeaderName::from_bytes(format!("{PARAM_PREFIX}{}", header.name).as_bytes());
                if let (Some(value), Ok(name)) = (value, name) {
                    put(name, &value);
                }
            }
        }
        state.requests.insert(id.clone());
        if frame.method == methods::TOOLS_LIST {
            state.tools_lists.insert(id.clone());
        }
        Some(headers)
    }

    /// Whether `id` is a 2026-07-28 request still running.
    pub(crate) fn contains(&self, id: &RequestId) -> bool {
        self.lock().requests.contains(id)
    }

    /// Forgets a finished or cancelled request.
    pub(crate) fn forget(&self, id: &RequestId) {
        let mut state = self.lock();
        state.requests.remove(id);
        state.tools_lists.remove(id);
    }

    /// Checks the answer to a 2026-07-28 `tools/list`: remembers every tool's annotated
    /// arguments and removes the tools whose annotations are invalid. Any other frame is
    /// returned as it is.
    pub(crate) fn check_tools_list(&self, id: &RequestId, frame: Bytes) -> Bytes {
        if !self.lock().tools_lists.remove(id) {
            return frame;
        }
        match self.filter_tools(&frame) {
            Some(filtered) => filtered,
            None => frame,
        }
    }

    /// The frame without its invalid tools, or `None` to keep it as it is. Kept tools are
    /// copied byte for byte.
    fn filter_tools(&self, frame: &[u8]) -> Option<Bytes> {
        #[derive(Deserialize)]
        struct Tool {
            name: String,
            #[serde(rename = "inputSchema", default)]
            input_schema: Value,
        }
        let mut envelope: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(frame).ok()?;
        let mut result: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(envelope.get("result")?.get()).ok()?;
        let tools: Vec<Box<RawValue>> = serde_json::from_str(result.get("tools")?.get()).ok()?;
        let count = tools.len();
        let mut kept = Vec::with_capacity(count);
        {
            let mut state = self.lock();
            for raw in tools {
                let Ok(tool) = serde_json::from_str::<Tool>(raw.get()) else {
                    kept.push(raw);
                    continue;
                };
                match annotations(&tool.input_schema) {
                    Ok(headers) => {
                        state.tools.insert(tool.name, headers);
                        kept.push(raw);
                    }
                    Err(reason) => {
                        tracing::warn!(tool = %tool.name, %reason, "ignoring a tool whose x-mcp-header annotations are invalid");
                        state.tools.remove(&tool.name);
                    }
                }
            }
        }
        if kept.len() == count {
            return None;
        }
        result.insert("tools".into(), to_raw_value(&kept).ok()?);
        envelope.insert("result".into(), to_raw_value(&result).ok()?);
        serde_json::to_vec(&envelope).ok().map(Bytes::from)
    }
}
