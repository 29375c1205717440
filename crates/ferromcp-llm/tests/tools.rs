//! Sampling with tools (MCP 2025-11-25) through both providers, against local stubs speaking
//! the Messages API and Chat Completions wire formats: request bodies and mapped results.

mod common;

use ferromcp_llm::{
    AnthropicProvider, LlmError, LlmProvider, OpenAiCompatibleProvider, StreamEvent,
};
use ferromcp_protocol::types::{
    CreateMessageRequestParams, Role, SamplingContent, SamplingMessage, ToolChoice, ToolUseContent,
};
use ferromcp_test_support::{sse_events, Reply, StubProvider};
use futures::StreamExt;
use serde_json::json;

/// The weather tool of the specification's example, under a name with a dot (valid in MCP,
/// refused by both APIs), plus one with a plain name.
fn tools() -> serde_json::Value {
    json!([
        {
            "name": "weather.get",
            "description": "Get current weather for a city",
            "inputSchema": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "City name"}},
                "required": ["city"]
            }
        },
        {"name": "clock", "inputSchema": {"type": "object"}}
    ])
}

/// A first request: one question, tools offered.
fn first_request(mode: Option<&str>) -> CreateMessageRequestParams {
    let mut p = CreateMessageRequestParams::from_prompt("Weather in Paris and London?", 500);
    p.tools = Some(serde_json::from_value(tools()).unwrap());
    p.tool_choice = mode.map(|m| ToolChoice {
        mode: Some(m.into()),
    });
    p
}

/// The follow-up of the specification's multi-turn loop: the assistant's two tool uses,
/// then the user's two results (one an error, one with structured content only).
fn follow_up() -> CreateMessageRequestParams {
    let mut p = first_request(Some("auto"));
    p.messages = serde_json::from_value(json!([
        {"role": "user", "content": {"type": "text", "text": "Weather in Paris and London?"}},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "call_1", "name": "weather.get", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "weather.get", "input": {"city": "London"}}
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "toolUseId": "call_1",
             "content": [{"type": "text", "text": "18°C, partly cloudy"}]},
            {"type": "tool_result", "toolUseId": "call_2", "content": [],
             "structuredContent": {"error": "station offline"}, "isError": true}
        ]}
    ]))
    .unwrap();
    p
}

fn tool_use(result: &SamplingContent) -> &ToolUseContent {
    match result {
        SamplingContent::ToolUse(u) => u,
        other => panic!("expected tool_use, got {other:?}"),
    }
}

fn anthropic(url: &str) -> AnthropicProvider {
    AnthropicProvider::new("sk-ant-test", "claude-test").base_url(url)
}

fn openai(url: &str) -> OpenAiCompatibleProvider {
    OpenAiCompatibleProvider::new(format!("{url}/v1"), None, "gpt-test")
}

#[tokio::test]
async fn anthropic_sends_tools_and_maps_tool_use() {
    let s = StubProvider::scripted(vec![Reply::json(
        200,
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [
                {"type": "thinking", "thinking": "…", "signature": "x"},
                {"type": "text", "text": "Checking both."},
                {"type": "tool_use", "id": "toolu_1", "name": "weather_get", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_2", "name": "clock", "input": {}}
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 10, "output_tokens": 20}
        }),
    )])
    .await;
    let r = anthropic(&s.url())
        .complete(first_request(None))
        .await
        .unwrap();

    let body = &s.requests()[0].body;
    assert_eq!(
        body["tools"],
        json!([
            {
                "name": "weather_get",
                "description": "Get current weather for a city",
                "input_schema": {
                    "type": "object",
                    "properties": {"city": {"type": "string", "description": "City name"}},
                    "required": ["city"]
                }
            },
            {"name": "clock", "input_schema": {"type": "object"}}
        ])
    );
    assert_eq!(body["tool_choice"], json!({"type": "auto"}));

    assert_eq!(r.role, Role::Assistant);
    assert_eq!(r.stop_reason.as_deref(), Some("toolUse"));
    assert_eq!(r.content.len(), 3, "thinking is dropped: {:?}", r.content);
    assert_eq!(r.content[0].as_text(), Some("Checking both."));
    let first = tool_use(&r.content[1]);
    assert_eq!(
        (first.id.as_str(), first.name.as_str()),
        ("toolu_1", "weather.get")
    );
    assert_eq!(json!(first.input), json!({"city": "Paris"}));
    assert_eq!(tool_use(&r.content[2]).name, "clock");
    // The result is valid MCP on the wire.
    let wire = serde_json::to_value(&r).unwrap();
    assert_eq!(wire["content"][1]["type"], "tool_use");
    assert_eq!(wire["stopReason"], "toolUse");
}

#[tokio::test]
async fn anthropic_sends_tool_history_and_choice_modes() {
    let ok = json!({
        "id": "m", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": "Paris is nicer."}],
        "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}
    });
    let s = StubProvider::scripted(vec![
        Reply::json(200, ok.clone()),
        Reply::json(200, ok.clone()),
        Reply::json(200, ok),
    ])
    .await;
    let p = anthropic(&s.url());
    let r = p.complete(follow_up()).await.unwrap();
    assert_eq!(r.text_content(), "Paris is nicer.");
    assert_eq!(r.stop_reason.as_deref(), Some("endTurn"));
    p.complete(first_request(Some("required"))).await.unwrap();
    p.complete(first_request(Some("none"))).await.unwrap();

    let reqs = s.requests();
    assert_eq!(
        reqs[0].body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and London?"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "call_1", "name": "weather_get", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "weather_get", "input": {"city": "London"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1",
                 "content": [{"type": "text", "text": "18°C, partly cloudy"}]},
                {"type": "tool_result", "tool_use_id": "call_2",
                 "content": [{"type": "text", "text": "{\"error\":\"station offline\"}"}],
                 "is_error": true}
            ]}
        ])
    );
    assert_eq!(reqs[1].body["tool_choice"], json!({"type": "any"}));
    assert_eq!(reqs[2].body["tool_choice"], json!({"type": "none"}));
}

#[tokio::test]
async fn openai_sends_functions_and_maps_tool_calls() {
    let s = StubProvider::scripted(vec![Reply::json(
        200,
        json!({
            "id": "c", "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [
                    {"id": "call_a", "type": "function",
                     "function": {"name": "weather_get", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_b", "type": "function",
                     "function": {"name": "clock", "arguments": ""}}
                ]
            }}]
        }),
    )])
    .await;
    let r = openai(&s.url())
        .complete(first_request(Some("required")))
        .await
        .unwrap();

    let body = &s.requests()[0].body;
    assert_eq!(
        body["tools"],
        json!([
            {"type": "function", "function": {
                "name": "weather_get",
                "description": "Get current weather for a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string", "description": "City name"}},
                    "required": ["city"]
                }
            }},
            {"type": "function", "function": {"name": "clock", "parameters": {"type": "object"}}}
        ])
    );
    assert_eq!(body["tool_choice"], json!("required"));

    assert_eq!(r.stop_reason.as_deref(), Some("toolUse"));
    assert_eq!(r.content.len(), 2, "no empty text block: {:?}", r.content);
    let a = tool_use(&r.content[0]);
    assert_eq!((a.id.as_str(), a.name.as_str()), ("call_a", "weather.get"));
    assert_eq!(json!(a.input), json!({"city": "Paris"}));
    let b = tool_use(&r.content[1]);
    assert_eq!((b.name.as_str(), json!(b.input)), ("clock", json!({})));
}

#[tokio::test]
async fn openai_sends_tool_history_as_tool_calls_and_tool_messages() {
    let ok = |finish: &str| {
        json!({
            "id": "c", "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": "Paris is nicer."}}]
        })
    };
    let s = StubProvider::scripted(vec![
        Reply::json(200, ok("stop")),
        Reply::json(200, ok("stop")),
    ])
    .await;
    let p = openai(&s.url());
    let r = p.complete(follow_up()).await.unwrap();
    assert_eq!(r.text_content(), "Paris is nicer.");
    assert_eq!(r.stop_reason.as_deref(), Some("endTurn"));
    p.complete(first_request(Some("none"))).await.unwrap();

    let reqs = s.requests();
    assert_eq!(
        reqs[0].body["messages"],
        json!([
            {"role": "user", "content": "Weather in Paris and London?"},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "weather_get", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "weather_get", "arguments": "{\"city\":\"London\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18°C, partly cloudy"},
            {"role": "tool", "tool_call_id": "call_2",
             "content": "Error: {\"error\":\"station offline\"}"}
        ])
    );
    assert_eq!(reqs[0].body["tool_choice"], json!("auto"));
    assert_eq!(reqs[1].body["tool_choice"], json!("none"));
}

#[tokio::test]
async fn openai_tool_calls_with_stop_and_object_arguments_still_map() {
    // Some compatible servers answer a tool call with finish_reason "stop" and the
    // arguments as an object rather than a JSON string.
    let s = StubProvider::scripted(vec![Reply::json(
        200,
        json!({
            "model": "local",
            "choices": [{"finish_reason": "stop", "message": {
                "role": "assistant", "content": "",
                "tool_calls": [{"id": "1", "type": "function",
                                "function": {"name": "clock", "arguments": {"tz": "UTC"}}}]
            }}]
        }),
    )])
    .await;
    let r = openai(&s.url())
        .complete(first_request(None))
        .await
        .unwrap();
    assert_eq!(r.stop_reason.as_deref(), Some("toolUse"));
    assert_eq!(json!(tool_use(&r.content[0]).input), json!({"tz": "UTC"}));
}

#[tokio::test]
async fn malformed_tool_calls_are_invalid_responses() {
    let s = StubProvider::scripted(vec![
        Reply::json(
            200,
            json!({"choices": [{"finish_reason": "tool_calls", "message": {"tool_calls": [
                {"id": "1", "type": "function", "function": {"name": "clock", "arguments": "{oops"}}
            ]}}]}),
        ),
        Reply::json(
            200,
            json!({"choices": [{"finish_reason": "tool_calls", "message": {"tool_calls": [
                {"id": "1", "type": "function", "function": {"name": "clock", "arguments": "[1]"}}
            ]}}]}),
        ),
    ])
    .await;
    let p = openai(&s.url());
    for expected in ["not JSON", "not a JSON object"] {
        let err = p.complete(first_request(None)).await.unwrap_err();
        assert!(
            matches!(&err, LlmError::InvalidResponse { message, .. } if message.contains(expected)),
            "{err:?}"
        );
    }
    let s = StubProvider::scripted(vec![Reply::json(
        200,
        json!({"type": "message", "model": "m", "stop_reason": "tool_use",
               "content": [{"type": "tool_use", "id": "t", "name": "clock", "input": [1]}]}),
    )])
    .await;
    let err = anthropic(&s.url())
        .complete(first_request(None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LlmError::InvalidResponse { message, .. } if message.contains("not an object")),
        "{err:?}"
    );
}

/// Conversations the specification forbids, each refused before anything is sent.
#[tokio::test]
async fn invalid_tool_conversations_are_refused_before_sending() {
    let use_block = |id: &str| json!({"type": "tool_use", "id": id, "name": "clock", "input": {}});
    let result_block = |id: &str| json!({"type": "tool_result", "toolUseId": id, "content": []});
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "must contain only tool results",
            json!([
                {"role": "user", "content": {"type": "text", "text": "hi"}},
                {"role": "assistant", "content": use_block("a")},
                {"role": "user", "content": [result_block("a"), {"type": "text", "text": "and?"}]}
            ]),
        ),
        (
            "has no result",
            json!([
                {"role": "user", "content": {"type": "text", "text": "hi"}},
                {"role": "assistant", "content": [use_block("a"), use_block("b")]},
                {"role": "user", "content": result_block("a")}
            ]),
        ),
        (
            "answers no tool use",
            json!([
                {"role": "user", "content": {"type": "text", "text": "hi"}},
                {"role": "assistant", "content": use_block("a")},
                {"role": "user", "content": [result_block("a"), result_block("zzz")]}
            ]),
        ),
        (
            "must be answered by tool results in the next message",
            json!([
                {"role": "user", "content": {"type": "text", "text": "hi"}},
                {"role": "assistant", "content": use_block("a")},
                {"role": "user", "content": {"type": "text", "text": "never mind"}}
            ]),
        ),
        (
            "must follow an assistant message",
            json!([{"role": "user", "content": result_block("a")}]),
        ),
        (
            "must come from the assistant",
            json!([{"role": "user", "content": use_block("a")}]),
        ),
        (
            "have no results",
            json!([
                {"role": "user", "content": {"type": "text", "text": "hi"}},
                {"role": "assistant", "content": use_block("a")}
            ]),
        ),
    ];
    let s = StubProvider::scripted(vec![]).await;
    let providers: Vec<Box<dyn LlmProvider>> =
        vec![Box::new(anthropic(&s.url())), Box::new(openai(&s.url()))];
    for (expected, messages) in cases {
        let mut p = first_request(None);
        p.messages = serde_json::from_value::<Vec<SamplingMessage>>(messages).unwrap();
        for provider in &providers {
            let err = provider.complete(p.clone()).await.unwrap_err();
            assert!(
                matches!(&err, LlmError::InvalidRequest { message, .. } if message.contains(expected)),
                "{}: expected {expected:?}, got {err:?}",
                provider.name()
            );
        }
    }
    let mut p = first_request(Some("sometimes"));
    p.messages = vec![SamplingMessage::user_text("hi")];
    for provider in &providers {
        let err = provider.complete(p.clone()).await.unwrap_err();
        assert!(err.to_string().contains("toolChoice.mode"), "{err}");
    }
    assert!(s.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn no_tools_means_no_tool_fields_and_text_streaming_refuses_tools() {
    let ok = json!({"model": "m", "type": "message", "stop_reason": "end_turn",
                    "content": [{"type": "text", "text": "hi"}]});
    let s = StubProvider::scripted(vec![Reply::json(200, ok)]).await;
    // A tool choice without tools is dropped: both APIs refuse it.
    let mut p = CreateMessageRequestParams::from_prompt("hi", 5);
    p.tool_choice = Some(ToolChoice {
        mode: Some("required".into()),
    });
    anthropic(&s.url()).complete(p).await.unwrap();
    let body = &s.requests()[0].body;
    assert!(body.get("tools").is_none() && body.get("tool_choice").is_none());

    let err = match anthropic(&s.url())
        .complete_stream(first_request(None))
        .await
    {
        Err(e) => e,
        Ok(_) => panic!("streaming with tools must be refused"),
    };
    assert!(matches!(&err, LlmError::Unsupported { what, .. } if what.contains("complete")));
    let err = match openai(&s.url()).complete_stream(first_request(None)).await {
        Err(e) => e,
        Ok(_) => panic!("streaming with tools must be refused"),
    };
    assert!(matches!(err, LlmError::Unsupported { .. }));
    assert_eq!(s.requests().len(), 1);
}

#[tokio::test]
async fn anthropic_streams_tool_calls_as_events() {
    let body = sse_events(&[
        (
            "message_start",
            json!({"type": "message_start", "message": {"id": "m"}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "Checking."}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "weather_get", "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}}),
        ),
        ("ping", json!({"type": "ping"})),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": "ris\"}"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 1}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_2", "name": "clock", "input": {}}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 2}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ]);
    let s = StubProvider::scripted(vec![Reply::event_stream(body)]).await;
    let events: Vec<StreamEvent> = anthropic(&s.url())
        .complete_stream_events(first_request(None))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    let uses: Vec<ToolUseContent> = serde_json::from_value(json!([
        {"id": "toolu_1", "name": "weather.get", "input": {"city": "Paris"}},
        {"id": "toolu_2", "name": "clock", "input": {}}
    ]))
    .unwrap();
    assert_eq!(
        events,
        [
            StreamEvent::Text("Checking.".into()),
            StreamEvent::ToolUse(uses[0].clone()),
            StreamEvent::ToolUse(uses[1].clone()),
            StreamEvent::Stop(Some("toolUse".into())),
        ]
    );
    let body = &s.requests()[0].body;
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["tools"][0]["name"], "weather_get");
}

#[tokio::test]
async fn openai_streams_tool_calls_as_events() {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        format!(
            "data: {}\n\n",
            json!({"object": "chat.completion.chunk", "model": "gpt-test",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        )
    };
    let body = [
        chunk(
            json!({"role": "assistant", "content": "Checking."}),
            json!(null),
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                   "function": {"name": "weather_get", "arguments": ""}}]}),
            json!(null),
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
            json!(null),
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
            json!(null),
        ),
        chunk(
            json!({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                   "function": {"name": "clock", "arguments": "{}"}}]}),
            json!(null),
        ),
        chunk(json!({}), json!("tool_calls")),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    let s = StubProvider::scripted(vec![Reply::event_stream(body)]).await;
    let events: Vec<StreamEvent> = openai(&s.url())
        .complete_stream_events(first_request(Some("auto")))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    let uses: Vec<ToolUseContent> = serde_json::from_value(json!([
        {"id": "call_a", "name": "weather.get", "input": {"city": "Paris"}},
        {"id": "call_b", "name": "clock", "input": {}}
    ]))
    .unwrap();
    assert_eq!(
        events,
        [
            StreamEvent::Text("Checking.".into()),
            StreamEvent::ToolUse(uses[0].clone()),
            StreamEvent::ToolUse(uses[1].clone()),
            StreamEvent::Stop(Some("toolUse".into())),
        ]
    );
    assert_eq!(s.requests()[0].body["tool_choice"], json!("auto"));
}

#[tokio::test]
async fn streamed_text_ends_with_the_stop_reason_and_bad_tool_input_is_an_error() {
    let ok = sse_events(&[
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "Hi"}}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "max_tokens"}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ]);
    let bad = sse_events(&[
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "name": "clock", "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": "{\"unclosed"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ]);
    let s = StubProvider::scripted(vec![Reply::event_stream(ok), Reply::event_stream(bad)]).await;
    let p = anthropic(&s.url());
    let events: Vec<_> = p
        .complete_stream_events(CreateMessageRequestParams::from_prompt("hi", 1))
        .await
        .unwrap()
        .collect()
        .await;
    assert!(
        matches!(&events[..], [Ok(StreamEvent::Text(t)), Ok(StreamEvent::Stop(Some(r)))]
            if t == "Hi" && r == "maxTokens"),
        "{events:?}"
    );
    let events: Vec<_> = p
        .complete_stream_events(first_request(None))
        .await
        .unwrap()
        .collect()
        .await;
    assert!(
        matches!(&events[..], [Err(LlmError::InvalidResponse { message, .. })] if message.contains("not JSON")),
        "{events:?}"
    );
}
