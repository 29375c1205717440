//! What the server asks of the client and tells it: sampling, roots, elicitation, ping,
//! progress, logs and list changes.

mod common;

use std::sync::{Arc, Mutex};

use common::{connect, frame_with_method, Harness};
use ferromcp_client::{CallOptions, Client, ClientBuilder, ListChanged, RootsHandle};
use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, ElicitAction, ElicitRequestParams,
    ElicitResult, LoggingLevel, Root,
};
use ferromcp_protocol::{ErrorCode, ErrorObject};
use serde_json::{json, Value};
use tokio::sync::mpsc;

async fn start(builder: ClientBuilder) -> Harness {
    connect(builder, None)
        .await
        .map_err(|(e, _)| e)
        .expect("connects")
}

/// Has the fake server send `method` to the client; returns `Ok(result)` or `Err(code)`.
async fn ask(h: &Harness, method: &str, params: Value) -> Result<Value, i64> {
    let result = h
        .session
        .call_tool("ask_client", json!({"method": method, "params": params}))
        .await
        .expect("tool call succeeds");
    let structured = result.structured_content.expect("structured answer");
    if result.is_error == Some(true) {
        Err(structured["code"].as_i64().expect("code"))
    } else {
        Ok(structured)
    }
}

fn echo_sampler() -> impl Fn(
    CreateMessageRequestParams,
) -> futures::future::Ready<Result<CreateMessageResult, ErrorObject>>
       + Send
       + Sync
       + 'static {
    |params: CreateMessageRequestParams| {
        let prompt = params.last_user_text().unwrap_or_default().to_uppercase();
        futures::future::ready(Ok(CreateMessageResult::text("echo-model", prompt)))
    }
}

#[tokio::test]
async fn a_tool_call_with_progress_logs_and_sampling() {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let seen = logs.clone();
    let builder = Client::builder("c", "1")
        .sampling_handler(echo_sampler())
        .on_log(move |log| seen.lock().unwrap().push(log));
    let h = start(builder).await;

    let (progress_tx, mut progress) = mpsc::unbounded_channel();
    let options = CallOptions::new().with_progress(move |p| {
        let _ = progress_tx.send(p);
    });
    let result = h
        .session
        .call_tool_with("sample", json!({"prompt": "hi there"}), options)
        .await
        .unwrap();
    assert_eq!(result.text(), "HI THERE");

    let p = common::next(&mut progress).await;
    assert_eq!(
        (p.progress, p.total, p.message.as_deref()),
        (1.0, Some(2.0), Some("halfway"))
    );
    let logs = logs.lock().unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(
        (logs[0].level, logs[0].data.clone()),
        (LoggingLevel::Info, json!("sampling now"))
    );
}

#[tokio::test]
async fn the_global_progress_callback_gets_progress_of_calls_without_their_own() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let builder = Client::builder("c", "1")
        .sampling_handler(echo_sampler())
        .on_progress(move |p| {
            let _ = tx.send(p);
        });
    let h = start(builder).await;
    h.session.call_tool("sample", json!({})).await.unwrap();
    assert_eq!(
        common::next(&mut rx).await.message.as_deref(),
        Some("halfway")
    );
    // Progress for a token no request holds also lands here.
    h.session.call_tool("notify", json!({})).await.unwrap();
    assert_eq!(common::next(&mut rx).await.progress, 7.0);
}

#[tokio::test]
async fn sampling_without_a_handler_is_method_not_found() {
    let h = start(Client::builder("c", "1")).await;
    let params = serde_json::to_value(CreateMessageRequestParams::from_prompt("x", 5)).unwrap();
    assert_eq!(ask(&h, "sampling/createMessage", params).await, Err(-32601));
    // The `sample` tool reports the failure as an error of its own.
    let error = h.session.call_tool("sample", json!({})).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::INTERNAL_ERROR));
}

#[tokio::test]
async fn handler_errors_and_bad_params_reach_the_server() {
    let builder =
        Client::builder("c", "1").sampling_handler(|_: CreateMessageRequestParams| async {
            Err(ErrorObject::new(ErrorCode(-1), "user rejected"))
        });
    let h = start(builder).await;
    let params = serde_json::to_value(CreateMessageRequestParams::from_prompt("x", 5)).unwrap();
    assert_eq!(ask(&h, "sampling/createMessage", params).await, Err(-1));
    assert_eq!(
        ask(&h, "sampling/createMessage", json!({"messages": 3})).await,
        Err(-32602)
    );
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_internal_error() {
    let builder =
        Client::builder("c", "1").sampling_handler(|_: CreateMessageRequestParams| async {
            if true {
                panic!("handler bug");
            }
            Ok(CreateMessageResult::text("m", "unreachable"))
        });
    let h = start(builder).await;
    let params = serde_json::to_value(CreateMessageRequestParams::from_prompt("x", 5)).unwrap();
    assert_eq!(ask(&h, "sampling/createMessage", params).await, Err(-32603));
    h.session.ping().await.unwrap();
}

#[tokio::test]
async fn roots_are_listed_and_changes_are_announced() {
    let roots = RootsHandle::new(vec![Root::new("file:///work", "work")]);
    let mut h = start(Client::builder("c", "1").roots(roots.clone())).await;
    let listed = ask(&h, "roots/list", json!({})).await.unwrap();
    assert_eq!(
        listed,
        json!({"roots": [{"uri": "file:///work", "name": "work"}]})
    );

    roots.set(vec![Root::new("file:///other", "other")]);
    let changed = frame_with_method(&mut h.frames, "notifications/roots/list_changed").await;
    assert!(changed.get("id").is_none());
    let listed = ask(&h, "roots/list", json!({})).await.unwrap();
    assert_eq!(listed["roots"][0]["uri"], "file:///other");

    // A closed session is skipped, and the handle keeps working for the others.
    h.session.close().await;
    roots.set(vec![]);
    assert!(roots.get().is_empty());
}

#[tokio::test]
async fn roots_without_a_handle_is_method_not_found() {
    let h = start(Client::builder("c", "1")).await;
    assert_eq!(ask(&h, "roots/list", json!({})).await, Err(-32601));
}

#[tokio::test]
async fn elicitation_in_form_mode_only() {
    let builder =
        Client::builder("c", "1").elicitation_handler(|params: ElicitRequestParams| async move {
            let mut content = serde_json::Map::new();
            content.insert("name".into(), json!(params.message));
            Ok(ElicitResult {
                action: ElicitAction::Accept,
                content: Some(content),
                meta: None,
            })
        });
    let h = start(builder).await;
    let form = json!({"message": "who?", "requestedSchema": {"type": "object", "properties": {}}});
    assert_eq!(
        ask(&h, "elicitation/create", form).await,
        Ok(json!({"action": "accept", "content": {"name": "who?"}}))
    );
    let url =
        json!({"mode": "url", "message": "go", "url": "https://x.invalid", "elicitationId": "1"});
    assert_eq!(ask(&h, "elicitation/create", url).await, Err(-32602));

    let plain = start(Client::builder("c", "1")).await;
    assert_eq!(
        ask(&plain, "elicitation/create", json!({"message": "x"})).await,
        Err(-32601)
    );
}

#[tokio::test]
async fn the_client_answers_ping_and_refuses_unknown_methods() {
    let h = start(Client::builder("c", "1")).await;
    assert_eq!(ask(&h, "ping", json!({})).await, Ok(json!({})));
    assert_eq!(ask(&h, "tools/list", json!({})).await, Err(-32601));
}

#[tokio::test]
async fn notifications_reach_their_callbacks() {
    let (changed_tx, mut changed) = mpsc::unbounded_channel();
    let (updated_tx, mut updated) = mpsc::unbounded_channel();
    let builder = Client::builder("c", "1")
        .on_list_changed(move |which| {
            let _ = changed_tx.send(which);
        })
        .on_resource_updated(move |uri| {
            let _ = updated_tx.send(uri);
        });
    let h = start(builder).await;
    h.session.call_tool("notify", json!({})).await.unwrap();
    let mut kinds = Vec::new();
    for _ in 0..3 {
        kinds.push(common::next(&mut changed).await);
    }
    assert_eq!(
        kinds,
        [
            ListChanged::Tools,
            ListChanged::Resources,
            ListChanged::Prompts
        ]
    );
    assert_eq!(common::next(&mut updated).await, "file:///a");
    // The malformed update was dropped, not delivered.
    h.session.ping().await.unwrap();
    assert!(updated.try_recv().is_err());
}

#[tokio::test]
async fn a_panicking_callback_does_not_kill_the_connection() {
    let builder = Client::builder("c", "1").on_list_changed(|_| panic!("callback bug"));
    let h = start(builder).await;
    h.session.call_tool("notify", json!({})).await.unwrap();
    h.session.ping().await.unwrap();
}
