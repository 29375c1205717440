//! What every 2026-07-28 request carries in `params._meta`, and how results are read.

use std::sync::{Mutex, PoisonError};

use ferromcp_protocol::meta;
use ferromcp_protocol::types::{
    ClientCapabilities, Implementation, InputRequiredResult, LoggingLevel, RESULT_COMPLETE,
    RESULT_INPUT_REQUIRED,
};
use ferromcp_protocol::ProtocolVersion;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::ClientError;

/// The per-request metadata of a stateless session: fixed identity and capabilities, plus the
/// log level the host asked for (`set_log_level` is a per-request setting in 2026-07-28).
pub(crate) struct Stateless {
    pub(crate) version: ProtocolVersion,
    capabilities: Value,
    client_info: Value,
    log_level: Mutex<Option<LoggingLevel>>,
    /// How many `input_required` rounds one call may take.
    pub(crate) max_rounds: u32,
}

impl Stateless {
    pub(crate) fn new(
        version: ProtocolVersion,
        capabilities: &ClientCapabilities,
        client_info: &Implementation,
        max_rounds: u32,
    ) -> Self {
        Stateless {
            version,
            capabilities: serde_json::to_value(capabilities).unwrap_or_default(),
            client_info: serde_json::to_value(client_info).unwrap_or_default(),
            log_level: Mutex::new(None),
            max_rounds,
        }
    }

    /// Sends `notifications/message` at `level` and above on every later request.
    pub(crate) fn set_log_level(&self, level: LoggingLevel) {
        *self
            .log_level
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(level);
    }

    fn log_level(&self) -> Option<LoggingLevel> {
        *self
            .log_level
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the reserved keys to `params._meta`, creating `params` and `_meta` as needed
    /// (both are required on every stateless request). Other `_meta` keys are kept.
    pub(crate) fn stamp(&self, params: &mut Value) {
        if !params.is_object() {
            *params = Value::Object(Map::new());
        }
        let Some(object) = params.as_object_mut() else {
            return;
        };
        let meta = object
            .entry("_meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(meta::PROTOCOL_VERSION.into(), self.version.as_str().into());
            meta.insert(meta::CLIENT_CAPABILITIES.into(), self.capabilities.clone());
            meta.insert(meta::CLIENT_INFO.into(), self.client_info.clone());
            match self.log_level().and_then(|l| serde_json::to_value(l).ok()) {
                Some(level) => meta.insert(meta::LOG_LEVEL.into(), level),
                None => meta.remove(meta::LOG_LEVEL),
            };
        }
    }
}

/// What a stateless result asks of the client.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Done: the result is the answer (`resultType` `complete`, or absent).
    Complete,
    /// The server needs input first; retry with the answers.
    InputRequired(InputRequiredResult),
}

/// Reads `resultType`: absent means complete (stateful servers send none); an unknown value
/// is an invalid result, as the specification asks.
pub(crate) fn outcome(result: &RawValue) -> Result<Outcome, ClientError> {
    #[derive(Deserialize)]
    struct Kind<'a> {
        #[serde(rename = "resultType", default, borrow)]
        result_type: Option<std::borrow::Cow<'a, str>>,
    }
    let kind: Kind<'_> = serde_json::from_str(result.get())
        .map_err(|e| ClientError::InvalidResult(format!("the result is not a JSON object: {e}")))?;
    match kind.result_type.as_deref() {
        None | Some(RESULT_COMPLETE) => Ok(Outcome::Complete),
        Some(RESULT_INPUT_REQUIRED) => serde_json::from_str(result.get())
            .map(Outcome::InputRequired)
            .map_err(|e| ClientError::InvalidResult(format!("malformed input_required: {e}"))),
        Some(other) => Err(ClientError::InvalidResult(format!(
            "unknown resultType {other:?}"
        ))),
    }
}

/// The capabilities a stateless request declares: the stateful set without what 2026-07-28
/// removed (`roots.listChanged`, `tasks`).
pub(crate) fn stateless_capabilities(mut capabilities: ClientCapabilities) -> ClientCapabilities {
    if let Some(roots) = capabilities.roots.as_mut() {
        roots.list_changed = None;
    }
    capabilities.tasks = None;
    capabilities
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(value: Value) -> Box<RawValue> {
        serde_json::value::to_raw_value(&value).unwrap()
    }

    #[test]
    fn stamps_meta_and_keeps_other_keys() {
        let stateless = Stateless::new(
            ProtocolVersion::V2026_07_28,
            &ClientCapabilities::default(),
            &Implementation::new("c", "1"),
            8,
        );
        let mut params = json!({"name": "t", "_meta": {"progressToken": 3, "x": 1}});
        stateless.stamp(&mut params);
        let meta = &params["_meta"];
        assert_eq!(meta[meta::PROTOCOL_VERSION], "2026-07-28");
        assert_eq!(meta[meta::CLIENT_CAPABILITIES], json!({}));
        assert_eq!(
            meta[meta::CLIENT_INFO],
            json!({"name": "c", "version": "1"})
        );
        assert_eq!(
            (meta["progressToken"].clone(), meta["x"].clone()),
            (json!(3), json!(1))
        );
        assert!(meta.get(meta::LOG_LEVEL).is_none());

        stateless.set_log_level(LoggingLevel::Warning);
        let mut none = Value::Null;
        stateless.stamp(&mut none);
        assert_eq!(none["_meta"][meta::LOG_LEVEL], "warning");
    }

    #[test]
    fn reads_result_types() {
        assert!(matches!(outcome(&raw(json!({}))), Ok(Outcome::Complete)));
        let complete = raw(json!({"resultType": "complete", "content": []}));
        assert!(matches!(outcome(&complete), Ok(Outcome::Complete)));
        let input = raw(json!({"resultType": "input_required", "requestState": "s"}));
        match outcome(&input) {
            Ok(Outcome::InputRequired(r)) => assert_eq!(r.request_state.as_deref(), Some("s")),
            other => panic!("{other:?}"),
        }
        assert!(outcome(&raw(json!({"resultType": "later"}))).is_err());
        assert!(outcome(&raw(json!([1]))).is_err());
    }
}
