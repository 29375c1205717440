//! Multi Round-Trip Requests (2026-07-28): a result of type `input_required` asks the
//! client for sampling, elicitation or roots first; the client answers each entry with its
//! handlers and sends the same request again, under a new id, with the answers and the
//! server's `requestState`.

use ferromcp_protocol::types::{InputRequest, InputResponses};
use ferromcp_rpc::Peer;
use futures::future::try_join_all;
use serde_json::value::{to_raw_value, RawValue};
use serde_json::Value;

use crate::options::Defaults;
use crate::service::ClientService;
use crate::stateless::{outcome, Outcome, Stateless};
use crate::{CallOptions, ClientError};

/// Default cap on `input_required` rounds per call.
pub const DEFAULT_MAX_INPUT_ROUNDS: u32 = 8;

/// Sends a stateless request and answers the server's input requests until it completes.
///
/// Every attempt is stamped with fresh `_meta` and gets its own id (the engine numbers
/// each request). `inputResponses` and `requestState` exist only on this call's retries:
/// `params` itself is never changed, so nothing leaks into other requests.
pub(crate) async fn request(
    peer: &Peer,
    stateless: &Stateless,
    service: &ClientService,
    defaults: &Defaults,
    method: &str,
    params: Value,
    call: &CallOptions,
) -> Result<Box<RawValue>, ClientError> {
    let mut retry: Option<(Option<InputResponses>, Option<String>)> = None;
    let mut rounds = 0;
    loop {
        let mut attempt = params.clone();
        stateless.stamp(&mut attempt);
        if let (Some((responses, state)), Some(object)) = (&retry, attempt.as_object_mut()) {
            object.remove("inputResponses");
            object.remove("requestState");
            if let Some(responses) = responses {
                object.insert(
                    "inputResponses".into(),
                    serde_json::to_value(responses).map_err(json_error)?,
                );
            }
            if let Some(state) = state {
                object.insert("requestState".into(), Value::String(state.clone()));
            }
        }
        let options = defaults.request_options(call);
        let raw = peer.request_raw(method, attempt, options).await?;
        let input = match outcome(&raw)? {
            Outcome::Complete => return Ok(raw),
            Outcome::InputRequired(input) => input,
        };
        if rounds >= stateless.max_rounds {
            return Err(ClientError::InputRequired(format!(
                "{method} still needed input after {rounds} rounds (the limit)"
            )));
        }
        rounds += 1;
        let responses = match input.input_requests {
            Some(requests) => Some(fulfil(service, requests).await?),
            None => None,
        };
        retry = Some((responses, input.request_state));
    }
}

/// Answers every input request of one round, concurrently.
async fn fulfil(
    service: &ClientService,
    requests: impl IntoIterator<Item = (String, InputRequest)>,
) -> Result<InputResponses, ClientError> {
    let answers = requests.into_iter().map(|(key, request)| async move {
        let params: Option<Box<RawValue>> = match &request.params {
            Some(params) => Some(to_raw_value(params).map_err(json_error)?),
            None => None,
        };
        let answer = service
            .answer(&request.method, params.as_deref())
            .await
            .map_err(|error| {
                ClientError::InputRequired(format!(
                    "answering {} (input {key:?}) failed: {}",
                    request.method, error.message
                ))
            })?;
        let value: Value = serde_json::from_str(answer.get()).map_err(json_error)?;
        Ok::<_, ClientError>((key, value))
    });
    Ok(try_join_all(answers).await?.into_iter().collect())
}

fn json_error(error: serde_json::Error) -> ClientError {
    ClientError::InvalidArguments(error.to_string())
}
