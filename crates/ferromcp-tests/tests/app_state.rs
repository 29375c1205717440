//! Application state (`.state(value)`, `State<T>`, `ctx.state::<T>()`) and the progress
//! builder (`ctx.progress(done, total).message(..)`), through a real client on an
//! in-memory transport, in both eras.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ferromcp::client::{CallOptions, Client, ClientSession, Era};
use ferromcp::prelude::*;
use ferromcp::server::NoArguments;
use serde_json::json;

/// Settings of one server.
struct Settings {
    name: String,
    limit: usize,
}

/// A second state type, shared and mutable.
struct Counter(AtomicU64);

/// Says which settings it sees; counts its calls in a second state.
#[tool]
async fn whoami(settings: State<Settings>, counter: State<Counter>, suffix: String) -> String {
    let n = counter.0.fetch_add(1, Ordering::Relaxed) + 1;
    format!(
        "{} (limit {}) call {n}{suffix}",
        settings.name, settings.limit
    )
}

/// Takes the context and a state, in any order.
#[tool]
async fn limited(
    ctx: Context,
    text: String,
    settings: State<Settings>,
) -> Result<String, McpError> {
    ctx.debug("limiting");
    Ok(text.chars().take(settings.limit).collect())
}

/// A state no server here is given.
struct Missing;

/// Needs a state that is not there.
#[tool]
async fn needs_missing(_missing: State<Missing>) -> String {
    "unreachable".into()
}

/// The settings' name as a resource.
#[resource("app://name")]
async fn name_resource(settings: State<Settings>) -> String {
    settings.name.clone()
}

/// A templated resource with a state.
#[resource("app://item/{id}")]
async fn item(settings: State<Settings>, id: u32) -> String {
    format!("{}#{id}", settings.name)
}

/// A prompt with a state.
#[prompt]
async fn hello(settings: State<Settings>, who: String) -> String {
    format!("{} greets {who}", settings.name)
}

/// A prompt that needs a missing state.
#[prompt]
async fn broken(_missing: State<Missing>) -> String {
    String::new()
}

/// Reports progress three ways: a builder with a message sent on drop, one sent
/// explicitly, and the older `report_progress`.
#[tool]
async fn work(ctx: Context) -> String {
    ctx.progress(1.0, 3.0).message("first step");
    let report = ctx.progress(2.0, 3.0);
    report.message("second step").send();
    ctx.progress(2.5, None).send();
    ctx.report_progress(3.0, Some(3.0), Some("done"));
    "worked".into()
}

fn server(name: &str, limit: usize) -> McpServer {
    McpServer::builder("state-test", "1.0.0")
        .state(Settings {
            name: name.into(),
            limit,
        })
        .state(Counter(AtomicU64::new(0)))
        .tool(whoami)
        .tool(limited)
        .tool(needs_missing)
        .tool(work)
        .tool(ToolDef::new(
            "closure",
            |ctx: Context, _: NoArguments| async move {
                let settings = ctx
                    .state::<Settings>()
                    .ok_or_else(|| McpError::tool("no settings"))?;
                let also = ferromcp::server::State::<Settings>::from_context(&ctx)?;
                Ok::<_, McpError>(format!("{}/{}", settings.name, also.limit))
            },
        ))
        .resource(name_resource)
        .resource(item)
        .prompt(hello)
        .prompt(broken)
        .build()
}

async fn connect(server: &McpServer, era: Era) -> ClientSession {
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let _connection = server.serve(server_end);
    Client::builder("state-client", "1.0.0")
        .era(era)
        .connect(client_end)
        .await
        .expect("connect")
}

async fn call(client: &ClientSession, tool: &str, args: serde_json::Value) -> (bool, String) {
    let result = client
        .call_tool(tool, args)
        .await
        .expect("the call succeeds");
    (result.is_error == Some(true), result.text())
}

#[tokio::test]
async fn two_servers_in_one_process_each_see_their_own_state() {
    let (a, b) = (server("alpha", 3), server("beta", 5));
    for era in [Era::Stateful, Era::Stateless] {
        let (ca, cb) = (connect(&a, era).await, connect(&b, era).await);
        let (error, text) = call(&ca, "whoami", json!({"suffix": "!"})).await;
        assert!(!error, "{text}");
        assert!(text.starts_with("alpha (limit 3) call "), "{text}");
        let (_, text) = call(&cb, "whoami", json!({"suffix": "?"})).await;
        assert!(text.starts_with("beta (limit 5) call "), "{text}");
        assert_eq!(
            call(&ca, "limited", json!({"text": "abcdefgh"})).await.1,
            "abc"
        );
        assert_eq!(
            call(&cb, "limited", json!({"text": "abcdefgh"})).await.1,
            "abcde"
        );
        assert_eq!(call(&ca, "closure", json!({})).await.1, "alpha/3");
        assert_eq!(call(&cb, "closure", json!({})).await.1, "beta/5");

        let read = ca.read_resource("app://name").await.expect("read");
        assert_eq!(
            serde_json::to_value(&read.contents[0]).unwrap()["text"],
            "alpha"
        );
        let read = cb.read_resource("app://item/7").await.expect("read");
        assert_eq!(
            serde_json::to_value(&read.contents[0]).unwrap()["text"],
            "beta#7"
        );
        let prompt = cb
            .get_prompt("hello", [("who".to_string(), "you".to_string())])
            .await
            .expect("prompt");
        let message = serde_json::to_value(&prompt.messages[0]).unwrap();
        assert_eq!(message["content"]["text"], "beta greets you");
    }
    // Each server's counter counted only its own calls (two eras, one call each).
    assert_eq!(a.state::<Counter>().unwrap().0.load(Ordering::Relaxed), 2);
    assert_eq!(b.state::<Counter>().unwrap().0.load(Ordering::Relaxed), 2);
    // The state is not an argument: the schema has only `suffix`.
    let tools = connect(&a, Era::Stateful).await.list_tools().await.unwrap();
    let listed = tools.iter().find(|t| t.name == "whoami").unwrap();
    let schema = serde_json::to_value(&listed.input_schema).unwrap();
    assert_eq!(schema["required"], json!(["suffix"]), "{schema}");
    assert_eq!(
        schema["properties"].as_object().unwrap().len(),
        1,
        "{schema}"
    );
}

#[tokio::test]
async fn a_missing_state_is_an_error_naming_the_type() {
    let server = server("alpha", 3);
    for era in [Era::Stateful, Era::Stateless] {
        let client = connect(&server, era).await;
        let (error, text) = call(&client, "needs_missing", json!({})).await;
        assert!(error, "{text}");
        assert!(
            text.contains("no state of type") && text.contains("Missing"),
            "{text}"
        );
        assert!(text.contains(".state(value)"), "{text}");
        let refused = client
            .get_prompt("broken", Vec::new())
            .await
            .expect_err("a prompt without its state fails");
        assert!(refused.to_string().contains("Missing"), "{refused}");
    }
    // Without any state at all, `ctx.state` is `None`.
    let bare = McpServer::builder("bare", "1.0.0").build();
    assert!(bare.state::<Settings>().is_none());
}

#[tokio::test]
async fn the_client_receives_progress_with_messages() {
    let server = server("alpha", 3);
    for era in [Era::Stateful, Era::Stateless] {
        let client = connect(&server, era).await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let options = CallOptions::default().with_progress(move |p| {
            sink.lock().unwrap().push((p.progress, p.total, p.message));
        });
        let result = client
            .call_tool_with("work", json!({}), options)
            .await
            .expect("call");
        assert_eq!(result.text(), "worked");
        // Notifications travel before the response on the same connection; give the
        // callback a moment anyway.
        for _ in 0..50 {
            if seen.lock().unwrap().len() == 4 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            *seen.lock().unwrap(),
            vec![
                (1.0, Some(3.0), Some("first step".to_string())),
                (2.0, Some(3.0), Some("second step".to_string())),
                (2.5, None, None),
                (3.0, Some(3.0), Some("done".to_string())),
            ],
            "{era:?}"
        );
    }
}
