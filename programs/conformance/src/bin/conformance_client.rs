//! The client the official MCP conformance suite drives. The suite runs
//! `conformance-client <server-url>` with `MCP_CONFORMANCE_SCENARIO` naming the scenario,
//! `MCP_CONFORMANCE_PROTOCOL_VERSION` the revision (`2025-*`: the `initialize` handshake;
//! `2026-07-28`: the stateless revision) and, for some scenarios, `MCP_CONFORMANCE_CONTEXT`
//! (JSON). The client does what the scenario expects of a well-behaved host, then exits 0.

use std::sync::Arc;

use ferromcp::auth::client::{
    AssertionKey, AuthError, AuthorizationHandler, IdJagExchange, OAuthClient, OAuthConfig,
    PreRegisteredClient, WorkloadToken,
};
use ferromcp::client::{Client, ClientSession, Era};
use ferromcp::types::{ElicitAction, ElicitRequestParams, ElicitResult, JsonObject, Tool};
use ferromcp_http::client::HttpClientConfig;
use serde_json::{json, Value};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// Accepts every elicitation, filling each field with its schema's default (SEP-1034), and
/// a boolean without one with `true`.
async fn accept_with_defaults(
    params: ElicitRequestParams,
) -> Result<ElicitResult, ferromcp::protocol::ErrorObject> {
    let mut content = JsonObject::new();
    let properties = params
        .requested_schema
        .as_ref()
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object);
    for (name, schema) in properties.into_iter().flatten() {
        if let Some(default) = schema.get("default") {
            content.insert(name.clone(), default.clone());
        } else if schema.get("type") == Some(&json!("boolean")) {
            content.insert(name.clone(), Value::Bool(true));
        }
    }
    Ok(ElicitResult {
        action: ElicitAction::Accept,
        content: Some(content),
        meta: None,
    })
}

/// The redirect URI the suite's authorization server accepts.
const REDIRECT_URI: &str = "http://localhost:3000/callback";

/// The Client ID Metadata Document URL the suite's authorization server knows.
const CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";

/// The user's part of the login, as the suite plays it: its authorization endpoint
/// approves at once, so the redirect it answers with is the authorization response.
struct FollowOneRedirect;

impl AuthorizationHandler for FollowOneRedirect {
    fn redirect_uri(&self) -> url::Url {
        url::Url::parse(REDIRECT_URI).expect("a valid URL")
    }

    fn authorize<'a>(
        &'a self,
        authorization_url: &'a url::Url,
    ) -> futures::future::BoxFuture<'a, Result<url::Url, AuthError>> {
        Box::pin(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| AuthError::Interaction(e.to_string()))?;
            let response = http
                .get(authorization_url.clone())
                .send()
                .await
                .map_err(|e| AuthError::Interaction(e.to_string()))?;
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    AuthError::Interaction(format!(
                        "the authorization endpoint answered {} without a redirect",
                        response.status()
                    ))
                })?;
            authorization_url
                .join(location)
                .map_err(|e| AuthError::Interaction(format!("redirect {location:?}: {e}")))
        })
    }
}

/// The OAuth client an `auth/*` scenario calls for, from its name and context.
fn oauth_for(scenario: &str, url: &str) -> Result<OAuthClient, AnyError> {
    let context: Value = match std::env::var("MCP_CONFORMANCE_CONTEXT") {
        Ok(text) => serde_json::from_str(&text)?,
        Err(_) => Value::Null,
    };
    let text = |key: &str| -> Result<String, AnyError> {
        Ok(context[key]
            .as_str()
            .ok_or_else(|| format!("the context has no {key}"))?
            .to_owned())
    };
    let name = "ferromcp-conformance-client";
    let config = match scenario {
        "auth/client-credentials-basic" => OAuthConfig::client_credentials(
            name,
            PreRegisteredClient::new(text("client_id")?).with_secret(text("client_secret")?),
        ),
        "auth/client-credentials-jwt" => {
            let algorithm = context["signing_algorithm"].as_str().unwrap_or("ES256");
            let key = AssertionKey::from_pem(algorithm, &text("private_key_pem")?)?;
            OAuthConfig::client_credentials(name, PreRegisteredClient::new(text("client_id")?))
                .assertion_key(key)
        }
        "auth/wif-jwt-bearer" => OAuthConfig::jwt_bearer(
            name,
            PreRegisteredClient::new(text("client_id")?),
            Arc::new(WorkloadToken::Jwt(text("valid_jwt")?)),
        ),
        "auth/enterprise-managed-authorization" => OAuthConfig::jwt_bearer(
            name,
            PreRegisteredClient::new(text("client_id")?).with_secret(text("client_secret")?),
            Arc::new(IdJagExchange {
                idp_token_endpoint: url::Url::parse(&text("idp_token_endpoint")?)?,
                idp_client_id: text("idp_client_id")?,
                idp_client_secret: None,
                id_token: text("idp_id_token")?,
            }),
        ),
        _ => {
            let mut config = OAuthConfig::authorization_code(name, Arc::new(FollowOneRedirect))
                .client_metadata_url(url::Url::parse(CLIENT_METADATA_URL)?);
            if context["client_id"].is_string() {
                let mut client = PreRegisteredClient::new(text("client_id")?);
                if context["client_secret"].is_string() {
                    client = client.with_secret(text("client_secret")?);
                }
                config = config.pre_registered(client);
            }
            config
        }
    };
    Ok(OAuthClient::new(url, config)?)
}

async fn connect(scenario: &str, url: &str, era: Era) -> Result<ClientSession, AnyError> {
    let builder = Client::builder("ferromcp-conformance-client", env!("CARGO_PKG_VERSION"))
        .era(era)
        .elicitation_handler(accept_with_defaults);
    let mut config = HttpClientConfig::default();
    if scenario.starts_with("auth/") {
        config.auth = Some(Arc::new(oauth_for(scenario, url)?));
    }
    Ok(ferromcp_http::client::connect_with_config(builder, url, config).await?)
}

/// Plausible arguments for a tool: a value for every property of a simple type.
fn sample_arguments(tool: &Tool) -> Value {
    let mut arguments = JsonObject::new();
    let properties = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object);
    for (name, schema) in properties.into_iter().flatten() {
        let value = match schema.get("enum").and_then(Value::as_array) {
            Some(values) if !values.is_empty() => values[0].clone(),
            _ => match schema.get("type").and_then(Value::as_str) {
                Some("string") => json!("us-west1"),
                Some("integer") => json!(1),
                Some("number") => json!(1.5),
                Some("boolean") => json!(true),
                _ => continue,
            },
        };
        arguments.insert(name.clone(), value);
    }
    Value::Object(arguments)
}

/// Calls every tool with sample arguments; a failing call is reported, not fatal.
async fn call_each(client: &ClientSession, tools: &[Tool]) {
    for tool in tools {
        match client.call_tool(&tool.name, sample_arguments(tool)).await {
            Ok(result) => println!("{}: {}", tool.name, result.text()),
            Err(error) => eprintln!("{}: {error}", tool.name),
        }
    }
}

/// `tools/call` for each `toolCalls` entry of the scenario's context, arguments as given.
async fn context_calls(client: &ClientSession) -> Result<(), AnyError> {
    let context: Value = serde_json::from_str(&std::env::var("MCP_CONFORMANCE_CONTEXT")?)?;
    let calls = context["toolCalls"]
        .as_array()
        .ok_or("no toolCalls in the context")?;
    for call in calls {
        let name = call["name"].as_str().ok_or("a tool call without a name")?;
        let arguments = call.get("arguments").cloned().unwrap_or(Value::Null);
        let result = client.call_tool(name, arguments).await?;
        println!("{name}: {}", result.text());
    }
    Ok(())
}

/// The MRTR scenario: an unrelated call, then the two input-required tools (the client
/// answers and retries inside `call_tool`), then one whose result has no `resultType`.
async fn request_state(client: &ClientSession) -> Result<(), AnyError> {
    for tool in [
        "test_mrtr_unrelated",
        "test_mrtr_echo_state",
        "test_mrtr_no_state",
        "test_mrtr_no_result_type",
    ] {
        let result = client.call_tool(tool, json!({})).await?;
        println!("{tool}: {}", result.text());
    }
    Ok(())
}

/// Every method that carries standard headers: lists, then each tool, resource and prompt.
async fn standard_headers(client: &ClientSession, tools: &[Tool]) -> Result<(), AnyError> {
    call_each(client, tools).await;
    for resource in client.list_resources().await? {
        let read = client.read_resource(&resource.uri).await?;
        println!("{}: {} contents", resource.uri, read.contents.len());
    }
    for prompt in client.list_prompts().await? {
        let arguments = prompt
            .arguments
            .iter()
            .flatten()
            .filter(|a| a.required == Some(true));
        let arguments = arguments.map(|a| (a.name.clone(), "test".to_owned()));
        let got = client.get_prompt(&prompt.name, arguments).await?;
        println!("{}: {} messages", prompt.name, got.messages.len());
    }
    Ok(())
}

async fn run(scenario: &str, url: &str, era: Era) -> Result<(), AnyError> {
    let client = connect(scenario, url, era).await?;
    let tools = client.list_tools().await?;
    match scenario {
        // The protected scenarios: list (above), then call the test tool, which may need
        // more scopes than listing did.
        s if s.starts_with("auth/") => {
            if let Some(tool) = tools.iter().find(|t| t.name == "test-tool") {
                let result = client.call_tool(&tool.name, json!({})).await?;
                println!("{}: {}", tool.name, result.text());
            }
        }
        "initialize" | "request-metadata" | "json-schema-ref-no-deref" => {}
        "tools_call" => {
            let tool = tools.first().ok_or("the server lists no tools")?;
            let result = client
                .call_tool(&tool.name, json!({"a": 2, "b": 3}))
                .await?;
            println!("{}: {}", tool.name, result.text());
        }
        "elicitation-sep1034-client-defaults" => {
            let result = client
                .call_tool("test_client_elicitation_defaults", json!({}))
                .await?;
            println!("{}", result.text());
        }
        "sse-retry" => {
            let result = client.call_tool("test_reconnection", json!({})).await?;
            println!("{}", result.text());
        }
        "sep-2322-client-request-state" => request_state(&client).await?,
        "http-standard-headers" => standard_headers(&client, &tools).await?,
        "http-custom-headers" => context_calls(&client).await?,
        // The invalid tools were dropped from the list; call what is left.
        "http-invalid-tool-headers" => call_each(&client, &tools).await,
        other => {
            // Unknown scenarios: exercise the basics and report what was seen.
            eprintln!("unknown scenario {other:?}: listed {} tools", tools.len());
        }
    }
    client.close().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let url = std::env::args().next_back().unwrap_or_default();
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    let version = std::env::var("MCP_CONFORMANCE_PROTOCOL_VERSION").unwrap_or_default();
    // 2025-* (and older) is the handshake; anything newer is the stateless revision.
    let era = match version.as_str() {
        "" => Era::Stateful,
        v if v.starts_with("2024-") || v.starts_with("2025-") => Era::Stateful,
        _ => Era::Stateless,
    };
    if let Err(error) = run(&scenario, &url, era).await {
        eprintln!("conformance-client ({scenario}, {version}): {error}");
        std::process::exit(1);
    }
}
