//! Multi Round-Trip Requests inside a [`Context`](crate::Context): the asks of one
//! execution of a handler, answered from the retry's `inputResponses` and the verified
//! `requestState`, or recorded for the next `input_required` round.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ferromcp_protocol::types::{InputRequest, InputResponses};
use ferromcp_protocol::{ErrorCode, ErrorObject};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::request::RequestView;
use super::request_state::Carried;
use crate::error::McpError;
use crate::locks::lock;

/// One execution of a handler on a 2026-07-28 request.
pub(crate) struct StatelessCall {
    /// The request's own `_meta`: capabilities, client, log level, progress token.
    pub view: Arc<RequestView>,
    round: Mutex<Round>,
}

#[derive(Default)]
struct Round {
    /// The answers the retry brought (`inputResponses`).
    fresh: InputResponses,
    /// What earlier executions handed on through the verified `requestState`.
    carried: Carried,
    /// Answers this execution used, by ask key.
    used: BTreeMap<String, Value>,
    /// Values this execution computed in `Context::remember`.
    kept: BTreeMap<String, Value>,
    /// Index of the next unkeyed ask; its key is `<kind>_<index>`, in the order the asks
    /// start.
    next_ask: usize,
    /// Every key this execution gave an ask.
    taken: Vec<String>,
    /// Asks without a usable answer: this round's `inputRequests`.
    pending: BTreeMap<String, InputRequest>,
    /// Capabilities an ask needed and the request did not declare (dotted paths).
    missing: Vec<&'static str>,
}

/// What an execution left unanswered: the next round's input requests and state.
pub(crate) struct Unanswered {
    pub input_requests: BTreeMap<String, InputRequest>,
    pub carried: Carried,
}

impl StatelessCall {
    pub fn new(
        view: Arc<RequestView>,
        fresh: Option<InputResponses>,
        carried: Carried,
    ) -> StatelessCall {
        StatelessCall {
            view,
            round: Mutex::new(Round {
                fresh: fresh.unwrap_or_default(),
                carried,
                ..Round::default()
            }),
        }
    }

    /// Answers an ask from this request's answers, or records it and fails with the
    /// hidden [`McpError::InputRequired`]. The key (the caller's, or `<kind>_<index>`) is
    /// taken when the ask starts (its first poll), so a handler that runs the same way
    /// again finds the same keys.
    pub async fn ask<R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
        explicit_key: Option<&str>,
    ) -> Result<R, McpError> {
        {
            let mut round = lock(&self.round);
            let key = round.key(method, explicit_key);
            // What an earlier round accepted comes first; a fresh answer of the wrong shape
            // (garbage, or the answer to another ask) is ignored and the ask made again.
            let candidates = [round.carried.answers.get(&key), round.fresh.get(&key)];
            let answer = candidates.into_iter().flatten().find_map(|value| {
                serde_json::from_value::<R>(value.clone())
                    .ok()
                    .map(|r| (r, value.clone()))
            });
            if let Some((result, value)) = answer {
                round.used.insert(key, value);
                return Ok(result);
            }
            tracing::debug!(%key, method, "no answer yet; asking the client in this round");
            round.pending.insert(
                key,
                InputRequest {
                    method: method.to_string(),
                    params: Some(params),
                },
            );
        }
        // Let asks polled alongside this one (`join!`, `try_join!`) start before this one
        // fails, so they all go out in the same round.
        tokio::task::yield_now().await;
        Err(McpError::InputRequired { method })
    }

    /// Notes that an ask needed `capability` (a dotted path such as `sampling.tools`).
    pub fn record_missing_capability(&self, capability: &'static str) {
        let mut round = lock(&self.round);
        if !round.missing.contains(&capability) {
            round.missing.push(capability);
        }
    }

    /// A value `Context::remember` kept under `key`, in this execution or an earlier one.
    pub fn recall(&self, key: &str) -> Option<Value> {
        let round = lock(&self.round);
        round
            .kept
            .get(key)
            .or_else(|| round.carried.remembered.get(key))
            .cloned()
    }

    /// Keeps a value of `Context::remember` for later executions.
    pub fn keep(&self, key: &str, value: Value) {
        lock(&self.round).kept.insert(key.to_string(), value);
    }

    /// The asks left unanswered, with what the next execution needs, or `None` when every
    /// ask was answered.
    pub fn unanswered(&self) -> Option<Unanswered> {
        let round = lock(&self.round);
        if round.pending.is_empty() {
            return None;
        }
        let mut carried = round.carried.clone();
        carried
            .answers
            .extend(round.used.iter().map(|(k, v)| (k.clone(), v.clone())));
        carried
            .remembered
            .extend(round.kept.iter().map(|(k, v)| (k.clone(), v.clone())));
        Some(Unanswered {
            input_requests: round.pending.clone(),
            carried,
        })
    }

    /// -32021 naming the capabilities asks needed and the request did not declare, as an
    /// object shaped like `ClientCapabilities` (`{"sampling": {}}`); `None` if there were none.
    pub fn missing_capabilities_error(&self) -> Option<ErrorObject> {
        let round = lock(&self.round);
        if round.missing.is_empty() {
            return None;
        }
        let mut required = Map::new();
        for path in &round.missing {
            let mut node = &mut required;
            for part in path.split('.') {
                node = node
                    .entry(part)
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .expect("capability paths only make objects");
            }
        }
        let names = round.missing.join(", ");
        Some(
            ErrorObject::new(
                ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
                format!("this request needs client capabilities it did not declare: {names}"),
            )
            .with_data(serde_json::json!({ "requiredCapabilities": required })),
        )
    }
}

impl Round {
    /// The key of the next ask: the caller's (suffixed `_2`, `_3`... when repeated), or
    /// `<kind>_<index>`. Deterministic for a handler that asks the same things in order.
    fn key(&mut self, method: &str, explicit: Option<&str>) -> String {
        let key = match explicit {
            Some(base) => {
                let mut key = base.to_string();
                let mut n = 1;
                while self.taken.contains(&key) {
                    n += 1;
                    key = format!("{base}_{n}");
                }
                key
            }
            None => loop {
                let key = format!("{}_{}", kind(method), self.next_ask);
                self.next_ask += 1;
                if !self.taken.contains(&key) {
                    break key;
                }
            },
        };
        self.taken.push(key.clone());
        key
    }
}

/// The key prefix of an ask: `sampling`, `roots` or `elicitation`.
fn kind(method: &str) -> String {
    match method {
        ferromcp_protocol::methods::SAMPLING_CREATE_MESSAGE => "sampling".into(),
        ferromcp_protocol::methods::ROOTS_LIST => "roots".into(),
        ferromcp_protocol::methods::ELICITATION_CREATE => "elicitation".into(),
        other => other.replace('/', "_"),
    }
}
