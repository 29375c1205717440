//! Entry points for the fuzz targets in the repository's `fuzz/` folder: the
//! `requestState` codec of Multi Round-Trip Requests, reached without a server. Not part of
//! the API (hidden from the docs, may change at any time).

use std::collections::BTreeMap;
use std::time::Duration;

use ferromcp_protocol::ErrorObject;
use serde_json::Value;

use crate::stateless::request_state::{params_digest, Binding, Carried, StateCodec};

/// The HMAC key the fuzz entry points use.
const FUZZ_KEY: &[u8; 32] = b"ferromcp fuzzing key, not secret";

/// What a `requestState` carries: the answers of earlier rounds and remembered values.
pub type CarriedMaps = (BTreeMap<String, Value>, BTreeMap<String, Value>);

fn binding(method: &str, params: Option<&Value>, principal: Option<&str>) -> Binding {
    Binding {
        method: method.to_owned(),
        params_digest: params_digest(params),
        principal: principal.map(str::to_owned),
    }
}

/// Opens `state` for a retry of `method` with `params` by `principal`, under the fuzzing
/// key, as the server does (-32602 when it does not verify).
pub fn open_request_state(
    state: &str,
    method: &str,
    params: Option<&Value>,
    principal: Option<&str>,
) -> Result<CarriedMaps, ErrorObject> {
    StateCodec::new(Some(FUZZ_KEY), false)
        .open(state, &binding(method, params, principal))
        .map(|carried| (carried.answers, carried.remembered))
}

/// Seals `carried` for `method` with `params` by `principal`, under the fuzzing key, valid
/// for a minute.
pub fn seal_request_state(
    method: &str,
    params: Option<&Value>,
    principal: Option<&str>,
    carried: CarriedMaps,
) -> String {
    let (answers, remembered) = carried;
    StateCodec::new(Some(FUZZ_KEY), false).seal(
        &binding(method, params, principal),
        Carried {
            answers,
            remembered,
        },
        Duration::from_secs(60),
    )
}

/// The digest a `requestState` binds to: `params` without `_meta`, `inputResponses` and
/// `requestState`, canonical (keys sorted).
pub fn request_params_digest(params: Option<&Value>) -> String {
    params_digest(params)
}
