//! Multi Round-Trip Requests: the same handler code serves a stateful session (server
//! requests) and 2026-07-28 requests (input_required rounds answered by the test), with
//! the requestState protected, bound and portable between instances.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferromcp::server::{McpServer, ServerConfig, SessionOptions};
use ferromcp_tests::dual_era::{
    self, answer_input, full_capabilities, modern_params, run_mrtr, RawMemory, RawPeer,
};
use serde_json::{json, Value};

const EXPECTED_TEXT: &str = "summary=sampled: Summarize: hello scenario; roots=file:///tmp/ferromcp-root-a,file:///tmp/ferromcp-root-b";

fn server() -> McpServer {
    dual_era::build_server(ServerConfig::default(), Arc::default())
}

fn keyed(key: &[u8]) -> ServerConfig {
    ServerConfig {
        request_state_key: Some(key.to_vec()),
        ..Default::default()
    }
}

fn scenario_call(capabilities: Value) -> Value {
    modern_params(
        json!({"name": "scenario", "arguments": {"text": "hello scenario"}}),
        capabilities,
        json!({"io.modelcontextprotocol/logLevel": "info", "progressToken": "scenario"}),
    )
}

fn tool(name: &str, capabilities: Value) -> Value {
    modern_params(
        json!({"name": name, "arguments": {}}),
        capabilities,
        json!({}),
    )
}

fn text(response: &Value) -> &str {
    response["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text: {response}"))
}

fn input_keys(round: &Value) -> Vec<String> {
    round["inputRequests"]
        .as_object()
        .unwrap_or_else(|| panic!("no inputRequests: {round}"))
        .keys()
        .cloned()
        .collect()
}

/// A legacy call whose server requests the test answers like the example client.
async fn legacy_call(peer: &mut RawMemory, id: i64, params: Value) -> (Value, Vec<Value>) {
    peer.send_message(
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}),
    )
    .await;
    let mut notifications = Vec::new();
    loop {
        let message = peer
            .next_message(Duration::from_secs(20))
            .await
            .expect("answer");
        if message.get("method").is_some() && message.get("id").is_some() {
            let answer = answer_input(&message);
            peer.send_message(json!({"jsonrpc": "2.0", "id": message["id"], "result": answer}))
                .await;
        } else if message["id"] == id {
            return (message, notifications);
        } else {
            notifications.push(message);
        }
    }
}

async fn initialize(peer: &mut RawMemory, capabilities: Value) {
    let (init, _) = peer
        .call(
            json!(0),
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": capabilities,
                   "clientInfo": {"name": "legacy", "version": "1"}}),
        )
        .await;
    assert!(init.get("result").is_some(), "{init}");
    peer.send_message(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
}

fn events(notifications: &[Value]) -> Vec<String> {
    notifications
        .iter()
        .map(|n| match n["method"].as_str().unwrap() {
            "notifications/message" => format!("log {}", n["params"]["data"]),
            "notifications/progress" => format!("progress {}", n["params"]["progress"]),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn the_scenario_gives_the_same_text_in_both_eras() {
    let server = server();
    let mut legacy = RawMemory::connect(&server);
    initialize(&mut legacy, json!({"sampling": {}, "roots": {}})).await;
    let (response, notifications) = legacy_call(
        &mut legacy,
        1,
        json!({"name": "scenario", "arguments": {"text": "hello scenario"}, "_meta": {"progressToken": "scenario"}}),
    )
    .await;
    assert_eq!(text(&response), EXPECTED_TEXT);
    let legacy_events = events(&notifications);

    let mut modern = RawMemory::connect(&server);
    let run = run_mrtr(
        &mut modern,
        10,
        "tools/call",
        scenario_call(full_capabilities()),
    )
    .await;
    assert_eq!(run.response["result"]["resultType"], "complete");
    assert_eq!(text(&run.response), EXPECTED_TEXT);
    // The final execution ran the handler through: the same logs and progress, in order.
    let last_id = json!(10 + run.rounds.len() as i64);
    let final_round: Vec<Value> = modern
        .related
        .lock()
        .unwrap()
        .iter()
        .filter(|(related, _, frame)| {
            frame.get("method").is_some()
                && related.as_ref().map(|r| json!(r)) == Some(last_id.clone())
        })
        .map(|(_, _, frame)| frame.clone())
        .collect();
    assert_eq!(events(&final_round), legacy_events);
    assert_eq!(
        legacy_events,
        [
            "log \"starting\"",
            "progress 1.0",
            "progress 2.0",
            "progress 3.0",
            "log \"finished\""
        ]
    );
    // Nothing the server sent on the modern connection was a request.
    assert!(modern
        .related
        .lock()
        .unwrap()
        .iter()
        .all(|(_, _, f)| f.get("method").is_none() || f.get("id").is_none()));
}

#[tokio::test]
async fn sequential_asks_take_one_round_each() {
    let mut peer = RawMemory::connect(&server());
    let run = run_mrtr(
        &mut peer,
        1,
        "tools/call",
        scenario_call(full_capabilities()),
    )
    .await;
    assert_eq!(run.rounds.len(), 2, "{:?}", run.rounds);
    assert_eq!(input_keys(&run.rounds[0]), ["sampling_0"]);
    assert_eq!(input_keys(&run.rounds[1]), ["roots_1"]);
    let sampling = &run.rounds[0]["inputRequests"]["sampling_0"];
    assert_eq!(sampling["method"], "sampling/createMessage");
    assert_eq!(sampling["params"]["maxTokens"], 1024);
    assert!(sampling.get("id").is_none() && sampling.get("jsonrpc").is_none());
    assert_eq!(
        run.rounds[1]["inputRequests"]["roots_1"],
        json!({"method": "roots/list", "params": {}})
    );
    // Each round has its own state, and the retry used a new id each time.
    let states: Vec<&Value> = run.rounds.iter().map(|r| &r["requestState"]).collect();
    assert!(states[0].is_string() && states[0] != states[1]);
    let ids: Vec<&Value> = run.sent.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&json!(1), &json!(2), &json!(3)]);
    assert_eq!(text(&run.response), EXPECTED_TEXT);
}

#[tokio::test]
async fn concurrent_asks_share_one_round() {
    let mut peer = RawMemory::connect(&server());
    let run = run_mrtr(
        &mut peer,
        1,
        "tools/call",
        tool("join_asks", full_capabilities()),
    )
    .await;
    assert_eq!(run.rounds.len(), 1, "{:?}", run.rounds);
    assert_eq!(
        input_keys(&run.rounds[0]),
        ["elicitation_2", "roots_1", "sampling_0"]
    );
    assert_eq!(
        run.rounds[0]["inputRequests"]["elicitation_2"]["params"]["message"],
        "What is your name?"
    );
    assert_eq!(
        text(&run.response),
        "sampled: Summarize: joined; 2 roots; Ada"
    );
}

#[tokio::test]
async fn asks_can_be_keyed_and_spawned() {
    let mut peer = RawMemory::connect(&server());
    let run = run_mrtr(
        &mut peer,
        1,
        "tools/call",
        tool("keyed", full_capabilities()),
    )
    .await;
    assert_eq!(run.rounds.len(), 2, "{:?}", run.rounds);
    assert_eq!(input_keys(&run.rounds[0]), ["capital_question", "roots_0"]);
    assert_eq!(input_keys(&run.rounds[1]), ["capital_question_2"]);
    assert_eq!(
        text(&run.response),
        "sampled: What is the capital of France? | sampled: And of Italy? | 2 roots"
    );
}

#[tokio::test]
async fn a_missing_capability_is_32021_in_modern_and_a_tool_error_in_legacy() {
    let server = server();
    let mut peer = RawMemory::connect(&server);
    let run = run_mrtr(&mut peer, 1, "tools/call", scenario_call(json!({}))).await;
    assert!(run.rounds.is_empty());
    assert_eq!(run.response["error"]["code"], -32021, "{:?}", run.response);
    assert_eq!(run.response["id"], 1);
    assert_eq!(
        run.response["error"]["data"]["requiredCapabilities"],
        json!({"sampling": {}})
    );
    // Sampling is declared, roots are not: one round, then -32021 naming roots.
    let run = run_mrtr(
        &mut peer,
        10,
        "tools/call",
        scenario_call(json!({"sampling": {}})),
    )
    .await;
    assert_eq!(run.rounds.len(), 1);
    assert_eq!(
        run.response["error"]["data"]["requiredCapabilities"],
        json!({"roots": {}})
    );

    let mut legacy = RawMemory::connect(&server);
    initialize(&mut legacy, json!({})).await;
    let (response, _) = legacy_call(
        &mut legacy,
        1,
        json!({"name": "scenario", "arguments": {"text": "x"}}),
    )
    .await;
    assert_eq!(response["result"]["isError"], true, "{response}");
    assert!(text(&response).contains("sampling"), "{response}");
}

#[tokio::test]
async fn a_handler_that_degrades_asks_only_for_what_is_declared() {
    let mut peer = RawMemory::connect(&server());
    let run = run_mrtr(
        &mut peer,
        1,
        "tools/call",
        tool("degrade", json!({"sampling": {}})),
    )
    .await;
    assert_eq!(run.rounds.len(), 1);
    assert_eq!(input_keys(&run.rounds[0]), ["sampling_0"]);
    assert_eq!(text(&run.response), "sampled: Greet anonymous");
    let run = run_mrtr(
        &mut peer,
        10,
        "tools/call",
        tool("degrade", full_capabilities()),
    )
    .await;
    assert_eq!(run.rounds.len(), 2);
    assert_eq!(text(&run.response), "sampled: Greet Ada");
}

#[tokio::test]
async fn a_handler_that_stringifies_errors_still_asks() {
    let mut peer = RawMemory::connect(&server());
    let run = run_mrtr(
        &mut peer,
        1,
        "tools/call",
        tool("stringify", full_capabilities()),
    )
    .await;
    assert_eq!(run.rounds.len(), 1);
    assert_eq!(text(&run.response), "ok: sampled: Summarize: swallowed");
    // Without the capability the handler recovers on its own: its answer stands.
    let run = run_mrtr(&mut peer, 10, "tools/call", tool("stringify", json!({}))).await;
    assert!(run.rounds.is_empty());
    assert!(text(&run.response).starts_with("failed: the client did not declare"));
}

#[tokio::test]
async fn garbage_answers_are_asked_again_and_extra_keys_ignored() {
    let mut peer = RawMemory::connect(&server());
    let params = scenario_call(full_capabilities());
    let (first, _) = peer.call(json!(1), "tools/call", params.clone()).await;
    let state = first["result"]["requestState"].clone();
    let mut retry = params.clone();
    retry["requestState"] = state.clone();
    retry["inputResponses"] = json!({"sampling_0": {"garbage": true}, "unrelated": {"x": 1}});
    let (again, _) = peer.call(json!(2), "tools/call", retry.clone()).await;
    assert_eq!(again["result"]["resultType"], "input_required", "{again}");
    assert_eq!(input_keys(&again["result"]), ["sampling_0"]);
    let sampling = &first["result"]["inputRequests"]["sampling_0"];
    retry["inputResponses"] = json!({"sampling_0": answer_input(sampling), "unrelated": 5});
    let (next, _) = peer.call(json!(3), "tools/call", retry).await;
    assert_eq!(input_keys(&next["result"]), ["roots_1"], "{next}");
}

#[tokio::test]
async fn tampered_expired_and_foreign_states_are_refused() {
    let config = ServerConfig {
        request_state_ttl: Duration::from_millis(300),
        ..Default::default()
    };
    let server = dual_era::build_server(config, Arc::default());
    let mut peer = RawMemory::connect(&server);
    let params = scenario_call(full_capabilities());
    let (first, _) = peer.call(json!(1), "tools/call", params.clone()).await;
    let state = first["result"]["requestState"]
        .as_str()
        .unwrap()
        .to_string();
    let answers =
        json!({"sampling_0": answer_input(&first["result"]["inputRequests"]["sampling_0"])});
    let retry = |state: &str, params: &Value| {
        let mut retry = params.clone();
        retry["requestState"] = json!(state);
        retry["inputResponses"] = answers.clone();
        retry
    };
    let refused = |response: &Value, needle: &str| {
        assert_eq!(response["error"]["code"], -32602, "{response}");
        let message = response["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
    };

    // One character of the payload changed.
    let mut chars: Vec<char> = state.chars().collect();
    chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    let (response, _) = peer
        .call(json!(2), "tools/call", retry(&tampered, &params))
        .await;
    refused(&response, "verification");
    let (response, _) = peer
        .call(json!(3), "tools/call", retry("garbage", &params))
        .await;
    refused(&response, "verification");

    // Other params, or another method.
    let mut other = params.clone();
    other["arguments"]["text"] = json!("something else");
    let (response, _) = peer
        .call(json!(4), "tools/call", retry(&state, &other))
        .await;
    refused(&response, "another request");
    let prompt = modern_params(
        json!({"name": "contextual"}),
        full_capabilities(),
        json!({}),
    );
    let (response, _) = peer
        .call(json!(5), "prompts/get", retry(&state, &prompt))
        .await;
    refused(&response, "another request");

    // Another caller.
    let mut bob = RawMemory::connect_with(&server, SessionOptions::default().with_principal("bob"));
    let (response, _) = bob
        .call(json!(6), "tools/call", retry(&state, &params))
        .await;
    refused(&response, "another caller");

    // The untouched state still works, until it expires.
    let (response, _) = peer
        .call(json!(7), "tools/call", retry(&state, &params))
        .await;
    assert_eq!(
        response["result"]["resultType"], "input_required",
        "{response}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (response, _) = peer
        .call(json!(8), "tools/call", retry(&state, &params))
        .await;
    refused(&response, "expired");
}

#[tokio::test]
async fn a_retry_completes_on_another_instance_with_the_same_key() {
    let a = dual_era::build_server(
        keyed(b"the shared key of the whole fleet of servers"),
        Arc::default(),
    );
    let b = dual_era::build_server(
        keyed(b"the shared key of the whole fleet of servers"),
        Arc::default(),
    );
    let stranger = dual_era::build_server(
        keyed(b"another key, of another fleet of servers"),
        Arc::default(),
    );
    let mut on_a = RawMemory::connect(&a);
    let mut on_b = RawMemory::connect(&b);
    let mut on_stranger = RawMemory::connect(&stranger);

    let params = scenario_call(full_capabilities());
    let (first, _) = on_a.call(json!(1), "tools/call", params.clone()).await;
    let mut retry = params.clone();
    retry["requestState"] = first["result"]["requestState"].clone();
    retry["inputResponses"] =
        json!({"sampling_0": answer_input(&first["result"]["inputRequests"]["sampling_0"])});
    let (refused, _) = on_stranger
        .call(json!(2), "tools/call", retry.clone())
        .await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");

    let (second, _) = on_b.call(json!(3), "tools/call", retry).await;
    assert_eq!(input_keys(&second["result"]), ["roots_1"], "{second}");
    let mut last = params.clone();
    last["requestState"] = second["result"]["requestState"].clone();
    last["inputResponses"] = json!({"roots_1": answer_input(&json!({"method": "roots/list"}))});
    let (done, _) = on_a.call(json!(4), "tools/call", last).await;
    assert_eq!(text(&done), EXPECTED_TEXT);
}

#[tokio::test]
async fn remember_runs_its_step_once_across_rounds() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = dual_era::build_server(ServerConfig::default(), runs.clone());
    let mut peer = RawMemory::connect(&server);
    let run = run_mrtr(
        &mut peer,
        1,
        "tools/call",
        tool("remembering", json!({"sampling": {}})),
    )
    .await;
    assert_eq!(run.rounds.len(), 2, "three executions");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the remembered step ran once"
    );
    assert_eq!(
        text(&run.response),
        "ticket 100: sampled: first / sampled: second"
    );

    // In a stateful session the handler runs once, and so does the step.
    let mut legacy = RawMemory::connect(&server);
    initialize(&mut legacy, json!({"sampling": {}})).await;
    let (response, _) = legacy_call(
        &mut legacy,
        1,
        json!({"name": "remembering", "arguments": {}}),
    )
    .await;
    assert_eq!(
        text(&response),
        "ticket 101: sampled: first / sampled: second"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn prompts_can_require_input_too() {
    let mut peer = RawMemory::connect(&server());
    let params = modern_params(
        json!({"name": "contextual"}),
        full_capabilities(),
        json!({}),
    );
    let run = run_mrtr(&mut peer, 1, "prompts/get", params).await;
    assert_eq!(run.rounds.len(), 1);
    assert_eq!(input_keys(&run.rounds[0]), ["elicitation_0"]);
    let result = &run.response["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["messages"][0]["content"]["text"], "Help Ada");
    assert_eq!(result["description"], "Asks who is asking.");
}
