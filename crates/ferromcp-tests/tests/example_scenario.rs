//! The example scenario end to end, between our own server and our own client: in one process
//! over the in-memory transport, and with the server as a real child process over stdio.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferromcp::client::{CallOptions, ClientError, ClientSession, ListChanged, RootsHandle};
use ferromcp::server::ServerConfig;
use ferromcp::types::{
    CompletionArgument, CompletionReference, Content, LoggingLevel, ResourceContents, Root,
};
use ferromcp_tests::example_client::{self, expected_events};
use ferromcp_tests::{example_server, Seen};
use serde_json::json;
use tokio::process::Command;

const SERVER: &str = env!("CARGO_BIN_EXE_example_server");

fn recorder() -> Arc<Mutex<Vec<Seen>>> {
    Arc::new(Mutex::new(Vec::new()))
}

async fn run_scenario(client: &ClientSession, seen: &Arc<Mutex<Vec<Seen>>>) -> String {
    let result = client
        .call_tool_with(
            "scenario",
            json!({"text": "hello scenario"}),
            example_client::recording_progress(seen.clone()),
        )
        .await
        .expect("scenario");
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result.text()
}

const EXPECTED_TEXT: &str = "summary=sampled: Summarize: hello scenario; roots=file:///tmp/ferromcp-root-a,file:///tmp/ferromcp-root-b";

#[tokio::test]
async fn example_scenario_in_memory() {
    let server = example_server::build_server(ServerConfig::default());
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let _connection = server.serve(server_end);
    let seen = recorder();
    let client = example_client::builder(seen.clone(), RootsHandle::new(example_client::roots()))
        .connect(client_end)
        .await
        .expect("connect");
    assert_eq!(client.server_info().name, "example-server");
    let text = run_scenario(&client, &seen).await;
    assert_eq!(text, EXPECTED_TEXT);
    // Every log and progress message arrived, in order, before the result.
    assert_eq!(*seen.lock().unwrap(), expected_events());
}

#[tokio::test]
async fn example_scenario_over_stdio_child_process() {
    let seen = recorder();
    let client = example_client::builder(seen.clone(), RootsHandle::new(example_client::roots()))
        .connect_stdio(Command::new(SERVER))
        .await
        .expect("connect");
    let text = run_scenario(&client, &seen).await;
    assert_eq!(text, EXPECTED_TEXT);
    assert_eq!(*seen.lock().unwrap(), expected_events());
    client.close().await;
}

async fn memory_client(
    config: ServerConfig,
) -> (
    ClientSession,
    ferromcp::server::McpServer,
    ferromcp::rpc::Connection,
    Arc<Mutex<Vec<Seen>>>,
    RootsHandle,
) {
    let server = example_server::build_server(config);
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let connection = server.serve(server_end);
    let seen = recorder();
    let roots = RootsHandle::new(example_client::roots());
    let client = example_client::builder(seen.clone(), roots.clone())
        .connect(client_end)
        .await
        .expect("connect");
    (client, server, connection, seen, roots)
}

#[tokio::test]
async fn roots_are_cached_and_refreshed_on_list_changed() {
    let (client, _server, _conn, seen, roots) = memory_client(ServerConfig::default()).await;
    assert_eq!(run_scenario(&client, &seen).await, EXPECTED_TEXT);
    roots.set(vec![Root::new("file:///tmp/elsewhere", "elsewhere")]);
    // The notification travels before the next call on the same ordered stream.
    let text = run_scenario(&client, &seen).await;
    assert!(text.ends_with("roots=file:///tmp/elsewhere"), "{text}");
}

#[tokio::test]
async fn set_log_level_filters_log_messages() {
    let (client, _server, _conn, seen, _roots) = memory_client(ServerConfig::default()).await;
    client.set_log_level(LoggingLevel::Warning).await.unwrap();
    run_scenario(&client, &seen).await;
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|s| matches!(s, Seen::Progress(..))));
}

#[tokio::test]
async fn cancelling_a_call_cancels_the_handler() {
    let (client, _server, connection, _seen, _roots) = memory_client(ServerConfig::default()).await;
    let token = tokio_util::sync::CancellationToken::new();
    let options = CallOptions {
        cancellation: Some(token.clone()),
        ..Default::default()
    };
    let call = client.call_tool_with("slow", json!({"millis": 10_000}), options);
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        token.cancel();
    };
    let (result, ()) = tokio::join!(call, cancel);
    assert!(matches!(result, Err(ClientError::Cancelled)), "{result:?}");
    // The server dropped the handler.
    for _ in 0..100 {
        if connection.peer().in_flight_requests() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(connection.peer().in_flight_requests(), 0);
    let sum = client
        .call_tool("add", json!({"a": 1, "b": 2}))
        .await
        .unwrap();
    assert_eq!(sum.text(), "3");
}

#[tokio::test]
async fn progress_extends_a_timeout_and_silence_hits_it() {
    let (client, _server, _conn, seen, _roots) = memory_client(ServerConfig::default()).await;
    let mut options = example_client::recording_progress(seen.clone());
    options.timeout = Some(Duration::from_millis(300));
    let result = client
        .call_tool_with("slow", json!({"millis": 1000}), options)
        .await
        .expect("progress keeps the call alive");
    assert_eq!(result.text(), "finished");
    let options = CallOptions {
        timeout: Some(Duration::from_millis(100)),
        ..Default::default()
    };
    let result = client
        .call_tool_with("slow", json!({"millis": 2000}), options)
        .await;
    assert!(matches!(result, Err(ClientError::Timeout(_))), "{result:?}");
}

#[tokio::test]
async fn slow_tools_do_not_block_others() {
    let (client, _server, _conn, _seen, _roots) = memory_client(ServerConfig::default()).await;
    let slow = client.call_tool("slow", json!({"millis": 2000}));
    let fast = async {
        let started = std::time::Instant::now();
        let r = client
            .call_tool("add", json!({"a": 20, "b": 22}))
            .await
            .unwrap();
        (r.text(), started.elapsed())
    };
    tokio::pin!(slow);
    let (text, elapsed) = tokio::select! {
        _ = &mut slow => panic!("the slow tool finished first"),
        r = fast => r,
    };
    assert_eq!(text, "42");
    assert!(elapsed < Duration::from_millis(1500));
}

#[tokio::test]
async fn tools_resources_prompts_and_completion() {
    let config = ServerConfig {
        page_size: 3,
        ..Default::default()
    };
    let (client, _server, _conn, _seen, _roots) = memory_client(config).await;

    // Pagination: all pages, and a first page with a cursor.
    let tools = client.list_tools().await.unwrap();
    assert!(tools.len() > 3);
    let first = client.list_tools_page(None).await.unwrap();
    assert_eq!(first.tools.len(), 3);
    assert!(first.next_cursor.is_some());
    let weather = tools.iter().find(|t| t.name == "weather").unwrap();
    assert!(weather.output_schema.is_some());

    // Structured output and tool errors.
    let result = client
        .call_tool("weather", json!({"city": "Oslo"}))
        .await
        .unwrap();
    assert_eq!(result.structured_content.unwrap()["city"], "Oslo");
    let result = client.call_tool("fail", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(result.text().contains("on purpose"));
    let result = client.call_tool("media", json!({})).await.unwrap();
    assert!(matches!(result.content[1], Content::Audio(_)));

    // Resources, static and templated.
    let resources = client.list_resources().await.unwrap();
    assert!(resources.iter().any(|r| r.uri == "docs://readme"));
    let read = client.read_resource("docs://readme").await.unwrap();
    assert!(read.contents[0].as_text().unwrap().starts_with("# Example"));
    let read = client.read_resource("docs://logo").await.unwrap();
    assert!(
        matches!(&read.contents[0], ResourceContents::Blob(b) if b.mime_type.as_deref() == Some("image/png"))
    );
    let templates = client.list_resource_templates().await.unwrap();
    assert_eq!(templates[0].uri_template, "weather://{city}/now");
    let read = client.read_resource("weather://Paris/now").await.unwrap();
    assert_eq!(read.contents[0].as_text(), Some("Sunny in Paris"));
    let missing = client.read_resource("nope://x").await.unwrap_err();
    assert_eq!(missing.code().map(|c| c.0), Some(-32002));

    // Prompts and completion.
    let prompts = client.list_prompts().await.unwrap();
    assert_eq!(prompts[0].name, "review");
    let prompt = client
        .get_prompt("review", [("code".to_string(), "fn main() {}".to_string())])
        .await
        .unwrap();
    assert_eq!(prompt.messages.len(), 2);
    let completion = client
        .complete(
            CompletionReference::Prompt {
                name: "review".into(),
            },
            CompletionArgument {
                name: "language".into(),
                value: "py".into(),
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(completion.completion.values, vec!["python"]);
    client.ping().await.unwrap();
}

#[tokio::test]
async fn run_time_registration_notifies_clients() {
    let server = example_server::build_server(ServerConfig::default());
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let _connection = server.serve(server_end);
    let changes = Arc::new(Mutex::new(Vec::new()));
    let updates = Arc::new(Mutex::new(Vec::new()));
    let (c, u) = (changes.clone(), updates.clone());
    let client = example_client::builder(recorder(), RootsHandle::new(vec![]))
        .on_list_changed(move |change| c.lock().unwrap().push(change))
        .on_resource_updated(move |uri| u.lock().unwrap().push(uri))
        .connect(client_end)
        .await
        .unwrap();
    client.subscribe_resource("docs://readme").await.unwrap();
    let result = client
        .call_tool("add_tool", json!({"text": "fresh"}))
        .await
        .unwrap();
    assert_eq!(result.text(), "added fresh");
    assert_eq!(*changes.lock().unwrap(), vec![ListChanged::Tools]);
    assert_eq!(*updates.lock().unwrap(), vec!["docs://readme".to_string()]);
    let tools = client.list_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "fresh"));
    assert_eq!(
        client.call_tool("fresh", json!({})).await.unwrap().text(),
        "dynamic"
    );
    assert!(server.remove_tool("fresh"));
}

#[tokio::test]
async fn missing_client_capabilities_give_clear_tool_errors() {
    let server = example_server::build_server(ServerConfig::default());
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let _connection = server.serve(server_end);
    let client = ferromcp::client::Client::builder("bare", "1")
        .connect(client_end)
        .await
        .unwrap();
    let result = client
        .call_tool("scenario", json!({"text": "x"}))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        result.text().contains("`sampling` capability"),
        "{}",
        result.text()
    );
    let result = client.call_tool("ask_name", json!({})).await.unwrap();
    assert!(
        result.text().contains("`elicitation` capability"),
        "{}",
        result.text()
    );
}

#[tokio::test]
async fn elicitation_returns_a_typed_answer() {
    let server = example_server::build_server(ServerConfig::default());
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let _connection = server.serve(server_end);
    let client = ferromcp::client::Client::builder("asker", "1")
        .elicitation_handler(|params: ferromcp::types::ElicitRequestParams| async move {
            assert_eq!(params.message, "What is your name?");
            assert_eq!(
                params.requested_schema.unwrap()["properties"]["name"]["type"],
                "string"
            );
            Ok(ferromcp::types::ElicitResult {
                action: ferromcp::types::ElicitAction::Accept,
                content: Some(serde_json::from_value(json!({"name": "Ada"})).unwrap()),
                meta: None,
            })
        })
        .connect(client_end)
        .await
        .unwrap();
    let result = client.call_tool("ask_name", json!({})).await.unwrap();
    assert_eq!(result.text(), "hello Ada");
}

#[tokio::test]
async fn an_unanswered_sampling_request_times_out_with_a_clear_error() {
    let server = example_server::build_server(ServerConfig {
        client_request_timeout: Duration::from_millis(200),
        ..Default::default()
    });
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let _connection = server.serve(server_end);
    let client = ferromcp::client::Client::builder("silent", "1")
        .sampling_handler(
            |_p: ferromcp::types::CreateMessageRequestParams| async move {
                std::future::pending::<
                    Result<ferromcp::types::CreateMessageResult, ferromcp::protocol::ErrorObject>,
                >()
                .await
            },
        )
        .connect(client_end)
        .await
        .unwrap();
    let result = client
        .call_tool("scenario", json!({"text": "x"}))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(result.text().contains("timed out"), "{}", result.text());
}
