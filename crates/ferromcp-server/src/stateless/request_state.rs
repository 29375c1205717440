//! The `requestState` codec of Multi Round-Trip Requests.
//!
//! A `requestState` is `1.<payload>.<tag>`: the payload is base64url JSON holding what the
//! next execution of the handler needs (the client's answers so far and the values kept by
//! `Context::remember`) and what binds it (the method, a SHA-256 digest of the request's
//! params, the principal, an expiry); the tag is an HMAC-SHA256 of the payload under the
//! server's key. The client sees the payload but cannot change it unnoticed. Any server
//! instance holding the same key can open a state another one issued.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ferromcp_protocol::ErrorObject;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Version prefix of the format; a future format gets another.
const FORMAT: &str = "1";
/// Mixed into every tag, so the key signs nothing else by accident.
const DOMAIN: &[u8] = b"ferromcp/requestState/1\n";

/// What a `requestState` is bound to: the request it continues and who sent it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Binding {
    /// The method (`tools/call`, `prompts/get`, `resources/read`).
    pub method: String,
    /// [`params_digest`] of the request.
    pub params_digest: String,
    /// The caller, when the transport knows.
    pub principal: Option<String>,
}

/// What one execution hands to the next.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Carried {
    /// The client's answers to earlier rounds, by ask key.
    pub answers: BTreeMap<String, Value>,
    /// Values kept by `Context::remember`, by the handler's key.
    pub remembered: BTreeMap<String, Value>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    #[serde(rename = "m")]
    method: String,
    #[serde(rename = "d")]
    params_digest: String,
    #[serde(rename = "p", default)]
    principal: Option<String>,
    /// Expiry, in milliseconds since the Unix epoch.
    #[serde(rename = "e")]
    expires_ms: u64,
    #[serde(rename = "a", default)]
    answers: BTreeMap<String, Value>,
    #[serde(rename = "r", default)]
    remembered: BTreeMap<String, Value>,
}

/// Used states remembered at most, when states are single-use: past it the entry that
/// expires first is forgotten (with a warning), so a flood cannot grow memory without bound.
const MAX_USED_STATES: usize = 100_000;

/// Seals and opens `requestState`s with one HMAC key.
pub(crate) struct StateCodec {
    key: Vec<u8>,
    /// `Some` when each state may be opened once only: the tags of the states opened so
    /// far that have not expired yet.
    used: Option<Mutex<UsedStates>>,
}

/// The tags of used states with their expiry (ms since the epoch), soonest first, to
/// forget what expired. A replay carries the same signed payload, so the same expiry: the
/// pair alone finds it.
#[derive(Default)]
struct UsedStates {
    by_expiry: BTreeSet<(u64, Vec<u8>)>,
}

impl UsedStates {
    /// Records a tag; false when it was there already (a replay).
    fn first_use(&mut self, tag: &[u8], expires_ms: u64, now_ms: u64) -> bool {
        while let Some(first) = self.by_expiry.first() {
            if first.0 > now_ms && self.by_expiry.len() < MAX_USED_STATES {
                break;
            }
            if first.0 > now_ms {
                tracing::warn!(
                    limit = MAX_USED_STATES,
                    "too many requestStates in use: forgetting the one expiring first"
                );
            }
            self.by_expiry.pop_first();
        }
        self.by_expiry.insert((expires_ms, tag.to_vec()))
    }
}

impl StateCodec {
    /// A codec with `key`, or with the process's random key; `single_use` refuses a state
    /// opened before.
    pub fn new(key: Option<&[u8]>, single_use: bool) -> StateCodec {
        if key.is_some_and(|k| k.len() < 32) {
            tracing::warn!(
                "request_state_key is shorter than 32 bytes: requestState is weakly protected"
            );
        }
        let key = key.map_or_else(|| process_key().to_vec(), <[u8]>::to_vec);
        StateCodec {
            key,
            used: single_use.then(Mutex::default),
        }
    }

    fn tag(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(DOMAIN);
        mac.update(payload.as_bytes());
        mac
    }

    /// A `requestState` carrying `carried`, bound to `binding`, valid for `ttl`.
    pub fn seal(&self, binding: &Binding, carried: Carried, ttl: Duration) -> String {
        let expires = SystemTime::now() + ttl;
        let payload = Payload {
            method: binding.method.clone(),
            params_digest: binding.params_digest.clone(),
            principal: binding.principal.clone(),
            expires_ms: millis_since_epoch(expires),
            answers: carried.answers,
            remembered: carried.remembered,
        };
        let json = serde_json::to_vec(&payload).expect("JSON values serialize");
        let payload = URL_SAFE_NO_PAD.encode(json);
        let tag = URL_SAFE_NO_PAD.encode(self.tag(&payload).finalize().into_bytes());
        format!("{FORMAT}.{payload}.{tag}")
    }

    /// Opens a `requestState`: checks its tag, expiry and binding (-32602 otherwise).
    pub fn open(&self, state: &str, binding: &Binding) -> Result<Carried, ErrorObject> {
        let invalid = || {
            ErrorObject::invalid_params(
                "requestState failed verification: it was altered, or issued by a server \
                 with another key",
            )
        };
        let mut parts = state.split('.');
        let (Some(FORMAT), Some(payload), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        self.tag(payload)
            .verify_slice(&tag)
            .map_err(|_| invalid())?;
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| invalid())?;
        if payload.expires_ms <= millis_since_epoch(SystemTime::now()) {
            return Err(ErrorObject::invalid_params(
                "requestState expired: send the request again without inputResponses and \
                 requestState",
            ));
        }
        if payload.method != binding.method || payload.params_digest != binding.params_digest {
            return Err(ErrorObject::invalid_params(
                "requestState belongs to another request: a retry must repeat the method and \
                 parameters of the request that returned it",
            ));
        }
        if payload.principal != binding.principal {
            return Err(ErrorObject::invalid_params(
                "requestState was issued to another caller",
            ));
        }
        if let Some(used) = &self.used {
            let now = millis_since_epoch(SystemTime::now());
            let first = used
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .first_use(&tag, payload.expires_ms, now);
            if !first {
                return Err(ErrorObject::invalid_params(
                    "requestState was already used: this server accepts each one once; send \
                     the request again without inputResponses and requestState",
                ));
            }
        }
        Ok(Carried {
            answers: payload.answers,
            remembered: payload.remembered,
        })
    }
}

fn millis_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The key used when the configuration names none: random, made once per process.
fn process_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system provides random bytes");
        key
    })
}

/// The SHA-256 digest (base64url) of a request's params without `_meta`, `inputResponses`
/// and `requestState`, in a canonical form (object keys sorted), so a retry that repeats
/// the same params matches whatever the order of its keys.
pub(crate) fn params_digest(params: Option<&Value>) -> String {
    let mut canonical = String::new();
    match params {
        Some(Value::Object(map)) => {
            let mut map = map.clone();
            for key in ["_meta", "inputResponses", "requestState"] {
                map.remove(key);
            }
            write_canonical(&Value::Object(map), &mut canonical);
        }
        Some(other) => write_canonical(other, &mut canonical),
        None => {}
    }
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn binding() -> Binding {
        Binding {
            method: "tools/call".into(),
            params_digest: params_digest(Some(&json!({"name": "t", "arguments": {"a": 1}}))),
            principal: None,
        }
    }

    #[test]
    fn a_sealed_state_opens_with_the_same_key_and_binding() {
        let codec = StateCodec::new(Some(b"k"), false);
        let carried = Carried {
            answers: [("sampling_0".to_string(), json!({"x": 1}))].into(),
            remembered: BTreeMap::new(),
        };
        let state = codec.seal(&binding(), carried.clone(), Duration::from_secs(60));
        assert_eq!(codec.open(&state, &binding()).unwrap(), carried);
        assert!(StateCodec::new(Some(b"other"), false)
            .open(&state, &binding())
            .is_err());
        let mut elsewhere = binding();
        elsewhere.principal = Some("mallory".into());
        assert!(codec.open(&state, &elsewhere).is_err());
    }

    #[test]
    fn a_single_use_codec_opens_a_state_once() {
        let codec = StateCodec::new(Some(b"k"), true);
        let state = codec.seal(&binding(), Carried::default(), Duration::from_secs(60));
        assert!(codec.open(&state, &binding()).is_ok());
        let replay = codec.open(&state, &binding()).unwrap_err();
        assert_eq!(replay.code, ferromcp_protocol::ErrorCode::INVALID_PARAMS);
        assert!(
            replay.message.contains("already used"),
            "{}",
            replay.message
        );
        // A new state (another round) opens.
        let next = codec.seal(&binding(), Carried::default(), Duration::from_secs(61));
        assert!(codec.open(&next, &binding()).is_ok());
    }

    #[test]
    fn the_used_set_forgets_expired_states_and_stays_bounded() {
        let mut used = UsedStates::default();
        assert!(used.first_use(b"a", 10, 0));
        assert!(!used.first_use(b"a", 10, 5));
        assert!(used.first_use(b"b", 100, 20), "a expired and was forgotten");
        assert_eq!(used.by_expiry.len(), 1);
        for i in 0..MAX_USED_STATES + 10 {
            used.first_use(&i.to_be_bytes(), 1000 + i as u64, 20);
        }
        assert!(used.by_expiry.len() <= MAX_USED_STATES);
    }

    #[test]
    fn the_digest_ignores_key_order_and_retry_fields() {
        let a = params_digest(Some(&json!({"name": "t", "arguments": {"a": 1, "b": 2}})));
        let b = params_digest(Some(&json!({
            "arguments": {"b": 2, "a": 1}, "name": "t",
            "_meta": {"x": 1}, "inputResponses": {}, "requestState": "s"
        })));
        assert_eq!(a, b);
        assert_ne!(a, params_digest(Some(&json!({"name": "t"}))));
    }
}
