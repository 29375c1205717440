//! `Client::builder(..).connect_http(url)` from the prelude, against a real Streamable HTTP
//! server on 127.0.0.1, in both eras; the server's tools read application state and report
//! progress with the builder, which the HTTP client receives.

use std::sync::{Arc, Mutex};

use ferromcp::client::{CallOptions, Era};
use ferromcp::http::server::{serve_listener, HttpServerConfig};
use ferromcp::prelude::*;
use serde_json::json;

struct Greeting(String);

/// Greets someone with the server's greeting, reporting progress on the way.
#[tool]
async fn greet(ctx: Context, greeting: State<Greeting>, name: String) -> String {
    ctx.progress(1.0, 2.0).message("looking up the greeting");
    ctx.progress(2.0, 2.0).message("greeting");
    format!("{}, {name}!", greeting.0)
}

#[tokio::test]
async fn connect_http_reaches_a_server_on_localhost_in_both_eras() {
    let server = McpServer::builder("http-greeter", "1.0.0")
        .state(Greeting("Bonjour".into()))
        .tool(greet)
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = serve_listener(server, listener, HttpServerConfig::default()).unwrap();
    let url = format!("http://{}/mcp", handle.local_addr());
    for era in [Era::Stateful, Era::Stateless] {
        let session = Client::builder("http-host", "1.0.0")
            .era(era)
            .connect_http(&url)
            .await
            .expect("connect_http");
        assert_eq!(session.server_info().name, "http-greeter");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let options =
            CallOptions::default().with_progress(move |p| sink.lock().unwrap().push(p.message));
        let result = session
            .call_tool_with("greet", json!({"name": "Ada"}), options)
            .await
            .expect("call");
        assert_eq!(result.text(), "Bonjour, Ada!", "{era:?}");
        for _ in 0..100 {
            if seen.lock().unwrap().len() == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            *seen.lock().unwrap(),
            vec![
                Some("looking up the greeting".to_string()),
                Some("greeting".to_string())
            ],
            "{era:?}"
        );
        session.close().await;
    }
    // An address with nothing listening is a connection error, not a hang.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/mcp", closed.local_addr().unwrap());
    drop(closed);
    let refused = Client::builder("http-host", "1.0.0")
        .connect_http(&dead)
        .await;
    assert!(refused.is_err());
    handle.shutdown().await;
}
