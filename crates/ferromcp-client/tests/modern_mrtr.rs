//! 2026-07-28 results: `resultType`, the multi-round-trip (MRTR) loop, and
//! `subscriptions/listen`.

mod common;

use std::sync::{Arc, Mutex};

use common::modern::{connect_modern, id_of, Discover, ModernHarness};
use common::{frame_with_method, next, SOON};
use ferromcp_client::SubscriptionEvent;
use ferromcp_client::{Client, ClientBuilder, ClientError, Era, ListChanged, RootsHandle};
use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, ElicitAction, ElicitRequestParams,
    ElicitResult, Root, SubscriptionFilter,
};
use serde_json::json;
use tokio::sync::Semaphore;

async fn start(builder: ClientBuilder) -> ModernHarness {
    connect_modern(builder.era(Era::Stateless), Discover::Modern)
        .await
        .map_err(|(e, _)| e)
        .expect("connects")
}

/// A client answering everything: elicitations are accepted with `{"ok": true}` once
/// `gate` lets them through.
fn answering_client(gate: Arc<Semaphore>) -> ClientBuilder {
    Client::builder("c", "1")
        .roots(RootsHandle::new(vec![Root::new("file:///work", "work")]))
        .sampling_handler(|p: CreateMessageRequestParams| async move {
            let question = p.last_user_text().unwrap_or_default().to_owned();
            Ok(CreateMessageResult::text(
                "m",
                format!("Paris ({question})"),
            ))
        })
        .elicitation_handler(move |_: ElicitRequestParams| {
            let gate = gate.clone();
            async move {
                let _permit = gate.acquire().await.expect("gate open");
                Ok(ElicitResult {
                    action: ElicitAction::Accept,
                    content: json!({"ok": true}).as_object().cloned(),
                    meta: None,
                })
            }
        })
}

#[tokio::test]
async fn mrtr_answers_every_input_over_several_rounds_and_isolates_other_calls() {
    let gate = Arc::new(Semaphore::new(0));
    let mut h = start(answering_client(gate.clone())).await;
    let session = h.session.clone();
    let call = tokio::spawn(async move { session.call_tool("ask", json!({"q": 1})).await });

    // While the first round's inputs are being answered, an unrelated call goes out clean.
    let first = frame_with_method(&mut h.frames, "tools/call").await;
    assert_eq!(first["params"]["name"], "ask");
    h.session.call_tool("echo_meta", json!({})).await.unwrap();
    let unrelated = frame_with_method(&mut h.frames, "tools/call").await;
    assert_eq!(unrelated["params"]["name"], "echo_meta");
    assert!(unrelated["params"].get("inputResponses").is_none());
    assert!(unrelated["params"].get("requestState").is_none());
    gate.add_permits(2);

    let result = tokio::time::timeout(SOON, call)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(result.text(), "done");

    // Round 2: all three answers, keyed as asked, the state echoed, a new id, same params.
    let second = frame_with_method(&mut h.frames, "tools/call").await;
    assert_ne!(id_of(&second), id_of(&first));
    assert_eq!(second["params"]["arguments"], json!({"q": 1}));
    assert_eq!(second["params"]["requestState"], "state-1");
    let responses = &second["params"]["inputResponses"];
    assert_eq!(
        responses["confirm"],
        json!({"action": "accept", "content": {"ok": true}})
    );
    assert_eq!(
        responses["sample"]["content"]["text"],
        "Paris (capital of France?)"
    );
    assert_eq!(responses["sample"]["model"], "m");
    assert_eq!(responses["where"]["roots"][0]["uri"], "file:///work");
    assert_eq!(
        second["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );

    // Round 3: the server sent no state this time, so the key is left out entirely.
    let third = frame_with_method(&mut h.frames, "tools/call").await;
    assert!(third["params"].get("requestState").is_none(), "{third}");
    assert_eq!(
        third["params"]["inputResponses"],
        json!({"again": {"action": "accept", "content": {"ok": true}}})
    );
    let ids = [id_of(&first), id_of(&second), id_of(&third)];
    assert!(ids[0] != ids[2] && ids[1] != ids[2]);
    assert_eq!(
        result.structured_content.unwrap()["second"]["again"]["action"],
        "accept"
    );
}

#[tokio::test]
async fn mrtr_rounds_are_bounded() {
    let mut h = start(Client::builder("c", "1").max_input_rounds(3)).await;
    let error = h.session.call_tool("forever", json!({})).await.unwrap_err();
    assert!(matches!(error, ClientError::InputRequired(_)), "{error}");
    for _ in 0..4 {
        let attempt = frame_with_method(&mut h.frames, "tools/call").await;
        assert_eq!(attempt["params"]["name"], "forever");
    }
    let more = tokio::time::timeout(std::time::Duration::from_millis(100), async {
        frame_with_method(&mut h.frames, "tools/call").await
    });
    assert!(more.await.is_err(), "a fifth attempt was sent");
}

#[tokio::test]
async fn a_state_only_round_is_retried_without_input_responses() {
    let mut h = start(Client::builder("c", "1")).await;
    let result = h.session.call_tool("state_only", json!({})).await.unwrap();
    assert_eq!(result.text(), "responses=false");
    frame_with_method(&mut h.frames, "tools/call").await;
    let retry = frame_with_method(&mut h.frames, "tools/call").await;
    assert_eq!(retry["params"]["requestState"], "s");
    assert!(retry["params"].get("inputResponses").is_none());
}

#[tokio::test]
async fn input_the_client_cannot_give_fails_the_call() {
    // No sampling handler (and no capability declared): the server asked anyway.
    let builder = Client::builder("c", "1").elicitation_handler(|_: ElicitRequestParams| async {
        Ok(ElicitResult {
            action: ElicitAction::Cancel,
            content: None,
            meta: None,
        })
    });
    let h = start(builder).await;
    let error = h.session.call_tool("ask", json!({})).await.unwrap_err();
    match error {
        ClientError::InputRequired(message) => {
            assert!(message.contains("sampling/createMessage"), "{message}")
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_missing_result_type_is_complete_and_an_unknown_one_is_invalid() {
    let mut h = start(Client::builder("c", "1")).await;
    let plain = h.session.call_tool("no_type", json!({})).await.unwrap();
    assert_eq!(plain.text(), "plain");
    frame_with_method(&mut h.frames, "tools/call").await;
    let error = h
        .session
        .call_tool("bad_type", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::InvalidResult(_)), "{error}");
    // Exactly one attempt each: nothing was retried.
    let second = frame_with_method(&mut h.frames, "tools/call").await;
    assert_eq!(second["params"]["name"], "bad_type");
    let more = tokio::time::timeout(std::time::Duration::from_millis(100), async {
        frame_with_method(&mut h.frames, "tools/call").await
    });
    assert!(more.await.is_err());
}

#[tokio::test]
async fn listen_delivers_its_notifications_and_closing_cancels_it() {
    let changes = Arc::new(Mutex::new(Vec::new()));
    let seen = changes.clone();
    let builder =
        Client::builder("c", "1").on_list_changed(move |which| seen.lock().unwrap().push(which));
    let mut h = start(builder).await;
    let filter = SubscriptionFilter {
        tools_list_changed: Some(true),
        resource_subscriptions: Some(vec!["file:///a".into()]),
        ..Default::default()
    };
    let mut subscription = h.session.listen(filter.clone()).await.unwrap();
    assert_eq!(subscription.acknowledged(), &filter);
    let listen = frame_with_method(&mut h.frames, "subscriptions/listen").await;
    assert_eq!(&id_of(&listen), subscription.id());
    assert_eq!(listen["params"]["notifications"]["toolsListChanged"], true);
    assert_eq!(
        listen["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );

    assert_eq!(
        subscription.next().await,
        Some(SubscriptionEvent::ListChanged(ListChanged::Tools))
    );
    assert_eq!(
        subscription.next().await,
        Some(SubscriptionEvent::ResourceUpdated("file:///a".into()))
    );
    assert_eq!(*changes.lock().unwrap(), [ListChanged::Tools]);
    assert!(next(&mut h.events).await.starts_with("listening"));

    // A second subscription runs alongside the first.
    let other = h
        .session
        .listen(SubscriptionFilter {
            tools_list_changed: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_ne!(other.id(), subscription.id());

    let id = subscription.id().clone();
    subscription.close();
    let cancelled = frame_with_method(&mut h.frames, "notifications/cancelled").await;
    assert_eq!(id_of(&json!({"id": cancelled["params"]["requestId"]})), id);
    let _ = next(&mut h.events).await; // the second one listening
    assert_eq!(
        next(&mut h.events).await,
        format!("listen {} cancelled", serde_json::to_value(&id).unwrap())
    );
}

#[tokio::test]
async fn a_completed_subscription_ends() {
    let mut h = start(Client::builder("c", "1")).await;
    let filter = SubscriptionFilter {
        prompts_list_changed: Some(true),
        ..Default::default()
    };
    let mut subscription = h.session.listen(filter).await.unwrap();
    assert_eq!(
        subscription.next().await,
        Some(SubscriptionEvent::ListChanged(ListChanged::Prompts))
    );
    let end = tokio::time::timeout(SOON, subscription.next())
        .await
        .unwrap();
    assert_eq!(end, None);
    let listen = frame_with_method(&mut h.frames, "subscriptions/listen").await;
    assert_eq!(&id_of(&listen), subscription.id());
}
