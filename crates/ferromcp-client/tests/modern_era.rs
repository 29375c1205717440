//! 2026-07-28 sessions: era detection with `server/discover`, the fallback to
//! `initialize`, and the `_meta` every modern request carries.

mod common;

use std::time::Duration;

use common::modern::{connect_modern, methods_seen, Discover};
use common::{frame_with_method, next};
use ferromcp_client::{CallOptions, Client, ClientError, Era, RootsHandle};
use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, ElicitAction, ElicitRequestParams,
    ElicitResult, LoggingLevel, SubscriptionFilter,
};
use ferromcp_protocol::ProtocolVersion;
use serde_json::{json, Value};

const VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const INFO: &str = "io.modelcontextprotocol/clientInfo";
const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";

fn full_client() -> ferromcp_client::ClientBuilder {
    Client::builder("modern-client", "2.0.0")
        .era(Era::Stateless)
        .roots(RootsHandle::default())
        .sampling_handler(|_: CreateMessageRequestParams| async {
            Ok(CreateMessageResult::text("m", "x"))
        })
        .elicitation_handler(|_: ElicitRequestParams| async {
            Ok(ElicitResult {
                action: ElicitAction::Decline,
                content: None,
                meta: None,
            })
        })
}

/// The three required-or-recommended keys, as a modern client with every handler sends them.
fn assert_full_meta(meta: &Value) {
    assert_eq!(meta[VERSION], "2026-07-28", "{meta}");
    assert_eq!(
        meta[CAPABILITIES],
        json!({"roots": {}, "sampling": {}, "elicitation": {}})
    );
    assert_eq!(
        meta[INFO],
        json!({"name": "modern-client", "version": "2.0.0"})
    );
}

#[tokio::test]
async fn modern_probes_discover_and_stamps_every_request() {
    let mut h = connect_modern(full_client(), Discover::Modern)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let probe = next(&mut h.frames).await;
    assert_eq!(probe["method"], "server/discover");
    assert_full_meta(&probe["params"]["_meta"]);

    let session = &h.session;
    assert!(session.is_stateless());
    assert_eq!(session.protocol_version(), ProtocolVersion::V2026_07_28);
    assert_eq!(session.server_info().name, "modern-fake");
    assert_eq!(session.instructions(), Some("be modern"));
    assert!(session.server_capabilities().tools.is_some());

    // A list request has no params of its own; it still carries `params._meta`.
    assert_eq!(session.list_tools().await.unwrap().len(), 2);
    let list = frame_with_method(&mut h.frames, "tools/list").await;
    assert_full_meta(&list["params"]["_meta"]);
    assert!(list["params"]["_meta"].get(LOG_LEVEL).is_none());

    // The log level is a per-request setting: nothing is sent, the next request has it.
    session.set_log_level(LoggingLevel::Warning).await.unwrap();
    let options = CallOptions::new().with_progress(|_| {});
    let echoed = session
        .call_tool_with("echo_meta", json!({"x": 1}), options)
        .await
        .unwrap();
    let meta = echoed.structured_content.unwrap();
    assert_full_meta(&meta);
    assert_eq!(meta[LOG_LEVEL], "warning");
    assert!(meta.get("progressToken").is_some(), "{meta}");
    let call = frame_with_method(&mut h.frames, "tools/call").await;
    assert_eq!(call["params"]["arguments"], json!({"x": 1}));

    // No `ping` in 2026-07-28: the liveness check is a discover.
    session.ping().await.unwrap();
    assert_full_meta(&frame_with_method(&mut h.frames, "server/discover").await["params"]["_meta"]);
    let rest = methods_seen(&mut h.frames).await;
    assert!(
        !rest
            .iter()
            .any(|m| m == "initialize" || m.starts_with("logging/")),
        "{rest:?}"
    );
}

#[tokio::test]
async fn auto_is_modern_with_a_modern_server() {
    let builder = Client::builder("c", "1").era(Era::Auto);
    let mut h = connect_modern(builder, Discover::Modern)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert!(h.session.is_stateless());
    // A client without handlers declares no capabilities, but still sends the key.
    let probe = next(&mut h.frames).await;
    assert_eq!(probe["params"]["_meta"][CAPABILITIES], json!({}));
    assert_eq!(methods_seen(&mut h.frames).await, Vec::<String>::new());
}

#[tokio::test]
async fn auto_falls_back_to_initialize_when_discover_is_not_found() {
    let builder = Client::builder("c", "1").era(Era::Auto);
    let mut h = connect_modern(builder, Discover::NotFound)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert!(!h.session.is_stateless());
    assert_eq!(h.session.protocol_version(), ProtocolVersion::LATEST);
    assert_eq!(h.session.server_info().name, "legacy-fake");
    h.session.list_tools().await.unwrap();
    let seen = methods_seen(&mut h.frames).await;
    assert_eq!(
        seen,
        [
            "server/discover",
            "initialize",
            "notifications/initialized",
            "tools/list"
        ]
    );
}

#[tokio::test]
async fn legacy_requests_carry_no_modern_meta() {
    let builder = Client::builder("c", "1").era(Era::Auto);
    let mut h = connect_modern(builder, Discover::NotFound)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    h.session.list_tools().await.unwrap();
    let list = frame_with_method(&mut h.frames, "tools/list").await;
    assert!(list["params"].get("_meta").is_none(), "{list}");
}

#[tokio::test]
async fn auto_falls_back_when_discover_is_never_answered() {
    let builder = Client::builder("c", "1")
        .era(Era::Auto)
        .probe_timeout(Duration::from_millis(200));
    let mut h = connect_modern(builder, Discover::Silent)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert!(!h.session.is_stateless());
    let seen = methods_seen(&mut h.frames).await;
    assert_eq!(seen[0], "server/discover");
    assert!(seen.contains(&"initialize".to_owned()), "{seen:?}");
}

#[tokio::test]
async fn an_unsupported_version_naming_ours_is_retried_once() {
    let mut h = connect_modern(full_client(), Discover::UnsupportedOnce)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert!(h.session.is_stateless());
    let seen = methods_seen(&mut h.frames).await;
    assert_eq!(seen, ["server/discover", "server/discover"]);
}

#[tokio::test]
async fn only_legacy_versions_select_initialize_with_the_newest_of_them() {
    let builder = Client::builder("c", "1").era(Era::Auto);
    let mut h = connect_modern(builder, Discover::LegacyVersions)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert_eq!(h.session.protocol_version(), ProtocolVersion::V2025_06_18);
    let init = frame_with_method(&mut h.frames, "initialize").await;
    assert_eq!(init["params"]["protocolVersion"], "2025-06-18");
}

#[tokio::test]
async fn modern_only_refuses_a_legacy_server_without_initialize() {
    let builder = Client::builder("c", "1").protocol_version(ProtocolVersion::V2026_07_28);
    let Err((error, mut frames)) = connect_modern(builder, Discover::NotFound).await else {
        panic!("a legacy server must be refused");
    };
    assert!(
        matches!(error, ClientError::UnsupportedProtocolVersion(_)),
        "{error}"
    );
    let seen = methods_seen(&mut frames).await;
    assert_eq!(seen, ["server/discover"]);
}

#[tokio::test]
async fn the_default_era_is_the_handshake() {
    let mut h = connect_modern(Client::builder("c", "1"), Discover::Modern)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert!(!h.session.is_stateless());
    assert_eq!(next(&mut h.frames).await["method"], "initialize");
}

#[tokio::test]
async fn each_era_refuses_the_others_methods() {
    let modern = connect_modern(
        Client::builder("c", "1").era(Era::Stateless),
        Discover::Modern,
    )
    .await
    .map_err(|(e, _)| e)
    .unwrap();
    let error = modern.session.subscribe_resource("file:///a").await;
    assert!(
        matches!(error, Err(ClientError::Unsupported(_))),
        "{error:?}"
    );

    let legacy = connect_modern(Client::builder("c", "1"), Discover::Modern)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let error = legacy.session.listen(SubscriptionFilter::default()).await;
    assert!(
        matches!(error, Err(ClientError::Unsupported(_))),
        "{error:?}"
    );
}
