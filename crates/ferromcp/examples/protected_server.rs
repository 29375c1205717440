//! An OAuth-protected MCP server: JWT access tokens from an authorization server, checked
//! against its keys, with a scope per tool.
//!
//! ```sh
//! cargo run -p ferromcp --example protected_server -- https://auth.example.com
//! ```
//!
//! It serves `http://127.0.0.1:8000/mcp`, publishes its protected resource metadata at
//! `/.well-known/oauth-protected-resource/mcp`, answers requests without a valid token 401
//! (pointing there), and a call to `delete_note` with a token lacking `notes:write` 403
//! `insufficient_scope`.

use ferromcp::auth::resource::JwtVerifier;
use ferromcp::auth::ProtectedResourceMetadata;
use ferromcp::http::server::{HttpServerConfig, ResourceServerConfig};
use ferromcp::prelude::*;

/// Says who is calling, from the verified token.
#[tool(scopes = ["notes:read"])]
async fn whoami(ctx: Context) -> Result<String, McpError> {
    let auth = ctx.auth().ok_or_else(|| McpError::tool("no token"))?;
    let subject = auth.subject.as_deref().unwrap_or("an unnamed client");
    Ok(format!("{subject} (scopes: {})", auth.scopes.join(" ")))
}

/// Deletes a note; needs the write scope.
#[tool(scopes = ["notes:read", "notes:write"])]
async fn delete_note(name: String) -> String {
    format!("deleted {name}")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:9000".into());
    let resource = "http://127.0.0.1:8000/mcp";
    // Keys come from the issuer's jwks_uri (discovered, cached, refetched for a new kid);
    // `aud` must be this server, `iss` the issuer.
    let verifier = JwtVerifier::builder(issuer.clone(), resource).build()?;
    let metadata =
        ProtectedResourceMetadata::new(resource, vec![issuer]).with_scopes(["notes:read"]);
    let config = HttpServerConfig::default().oauth(ResourceServerConfig::new(verifier, metadata)?);
    let server = McpServer::builder("notes", "1.0.0")
        .tool(whoami)
        .tool(delete_note)
        .build();
    ferromcp::http::server::run(server, "127.0.0.1:8000", config).await?;
    Ok(())
}
