//! A host logging in to an OAuth-protected MCP server: discovery, registration, the
//! browser login through a loopback redirect, tokens kept in the user's configuration
//! folder and refreshed, step-up when a tool needs more scopes.
//!
//! ```sh
//! cargo run -p ferromcp --example protected_client -- http://127.0.0.1:8000/mcp
//! ```

use std::sync::Arc;

use ferromcp::auth::client::{FileTokenStore, LoopbackRedirect, OAuthClient, OAuthConfig};
use ferromcp::client::Client;
use ferromcp::http::client::{connect_with_config, HttpClientConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8000/mcp".into());
    // Where the browser comes back: http://127.0.0.1:<free port>/callback.
    let redirect = LoopbackRedirect::bind(
        0,
        Arc::new(|login: &url::Url| eprintln!("Open this URL to log in: {login}")),
    )
    .await?;
    let oauth = OAuthClient::new(
        &url,
        OAuthConfig::authorization_code("notes-host", Arc::new(redirect))
            .store(Arc::new(FileTokenStore::in_user_config()?)),
    )?;
    let config = HttpClientConfig {
        auth: Some(Arc::new(oauth)),
        ..Default::default()
    };
    // The first 401 starts the login; later runs use (and refresh) the kept token.
    let session = connect_with_config(Client::builder("notes-host", "1.0.0"), &url, config).await?;
    let answer = session.call_tool("whoami", serde_json::json!({})).await?;
    println!("{}", answer.text());
    session.close().await;
    Ok(())
}
