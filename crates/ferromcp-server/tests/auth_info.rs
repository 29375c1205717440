//! Scopes and `ctx.auth()` without an OAuth transport: declared scopes are not enforced
//! (stdio and unprotected HTTP ignore them), and the claims a transport puts in a
//! session's `AuthSlot` reach handlers, the latest for each request.

use ferromcp_client::{Client, Era};
use ferromcp_server::{
    AuthInfo, AuthSlot, Context, McpServer, NoArguments, SessionOptions, ToolDef,
};
use serde_json::json;

fn server() -> McpServer {
    McpServer::builder("auth-info", "1.0.0")
        .tool(
            ToolDef::new("whoami", |ctx: Context, _: NoArguments| async move {
                match ctx.auth() {
                    Some(auth) => format!("{:?} {:?}", auth.subject, auth.scopes),
                    None => "nobody".to_string(),
                }
            })
            .scopes(["admin"]),
        )
        .build()
}

async fn text(session: &ferromcp_client::ClientSession) -> String {
    let result = session.call_tool("whoami", json!({})).await.unwrap();
    assert_ne!(result.is_error, Some(true));
    serde_json::to_value(&result.content[0]).unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn scopes_are_ignored_without_oauth_and_the_slot_reaches_handlers() {
    for era in [Era::Stateful, Era::Stateless] {
        let server = server();
        assert_eq!(server.required_scopes("tools/call", "whoami"), ["admin"]);
        assert!(server.declares_scopes());

        let (server_end, client_end) = ferromcp_transport::memory::pair();
        let _connection = server.serve(server_end);
        let session = Client::builder("t", "1")
            .era(era)
            .connect(client_end)
            .await
            .unwrap();
        assert_eq!(text(&session).await, "nobody", "{era:?}");

        let slot = AuthSlot::default();
        let (server_end, client_end) = ferromcp_transport::memory::pair();
        let options = SessionOptions {
            auth: Some(slot.clone()),
            ..SessionOptions::default()
        };
        let _connection = server.serve_with_options(server_end, options);
        let session = Client::builder("t", "1")
            .era(era)
            .connect(client_end)
            .await
            .unwrap();
        slot.set(Some(AuthInfo {
            subject: Some("alice".into()),
            scopes: vec!["read".into()],
            ..AuthInfo::default()
        }));
        assert_eq!(text(&session).await, r#"Some("alice") ["read"]"#, "{era:?}");
        slot.set(Some(AuthInfo {
            subject: Some("alice".into()),
            scopes: vec!["read".into(), "admin".into()],
            ..AuthInfo::default()
        }));
        assert_eq!(
            text(&session).await,
            r#"Some("alice") ["read", "admin"]"#,
            "{era:?}"
        );
    }
}
