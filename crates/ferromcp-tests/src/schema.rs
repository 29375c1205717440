//! The official JSON schemas of the MCP revisions, and which schema definition each message
//! kind is checked against.

use std::path::PathBuf;

use serde_json::Value;

use crate::repo_root;

/// The official JSON schema of one MCP revision, read from `shared/mcp-schema` (or the
/// folder named by `FERROMCP_SCHEMA_DIR`).
pub struct RevisionSchema {
    revision: String,
    document: Value,
}

impl RevisionSchema {
    /// Loads the schema of `revision` (e.g. `2025-11-25`).
    pub fn load(revision: &str) -> RevisionSchema {
        let dir = std::env::var_os("FERROMCP_SCHEMA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("../shared/mcp-schema"));
        let path = dir.join(revision).join("schema.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e} (set FERROMCP_SCHEMA_DIR to the folder of the official MCP schemas)",
                path.display()
            )
        });
        RevisionSchema {
            revision: revision.to_string(),
            document: serde_json::from_str(&text).expect("schema is JSON"),
        }
    }

    /// Whether the schema defines `name`.
    pub fn defines(&self, name: &str) -> bool {
        self.definitions().get(name).is_some()
    }

    fn definitions(&self) -> &Value {
        self.document
            .get("$defs")
            .or_else(|| self.document.get("definitions"))
            .expect("schema has definitions")
    }

    /// Validates `instance` against the definition `name`; the error lists every violation.
    pub fn validate(&self, name: &str, instance: &Value) -> Result<(), String> {
        if !self.defines(name) {
            return Err(format!("{} defines no `{name}`", self.revision));
        }
        let pointer = if self.document.get("$defs").is_some() {
            format!("#/$defs/{name}")
        } else {
            format!("#/definitions/{name}")
        };
        let mut root = self.document.clone();
        root["$ref"] = Value::String(pointer);
        let validator = jsonschema::validator_for(&root)
            .map_err(|e| format!("schema {} does not compile: {e}", self.revision))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} / {name}: {}\ninstance: {instance}",
                self.revision,
                errors.join("; ")
            ))
        }
    }
}

/// The schema definition of a request, by method (every revision's methods).
pub fn request_definition(method: &str) -> &'static str {
    match method {
        "initialize" => "InitializeRequest",
        "ping" => "PingRequest",
        "server/discover" => "DiscoverRequest",
        "tools/list" => "ListToolsRequest",
        "tools/call" => "CallToolRequest",
        "resources/list" => "ListResourcesRequest",
        "resources/templates/list" => "ListResourceTemplatesRequest",
        "resources/read" => "ReadResourceRequest",
        "resources/subscribe" => "SubscribeRequest",
        "resources/unsubscribe" => "UnsubscribeRequest",
        "prompts/list" => "ListPromptsRequest",
        "prompts/get" => "GetPromptRequest",
        "completion/complete" => "CompleteRequest",
        "logging/setLevel" => "SetLevelRequest",
        "sampling/createMessage" => "CreateMessageRequest",
        "roots/list" => "ListRootsRequest",
        "elicitation/create" => "ElicitRequest",
        "subscriptions/listen" => "SubscriptionsListenRequest",
        other => panic!("no schema definition known for request {other}"),
    }
}

/// The schema definition of the result of `method`.
pub fn result_definition(method: &str) -> &'static str {
    match method {
        "initialize" => "InitializeResult",
        "ping" | "resources/subscribe" | "resources/unsubscribe" | "logging/setLevel" => {
            "EmptyResult"
        }
        "server/discover" => "DiscoverResult",
        "tools/list" => "ListToolsResult",
        "tools/call" => "CallToolResult",
        "resources/list" => "ListResourcesResult",
        "resources/templates/list" => "ListResourceTemplatesResult",
        "resources/read" => "ReadResourceResult",
        "prompts/list" => "ListPromptsResult",
        "prompts/get" => "GetPromptResult",
        "completion/complete" => "CompleteResult",
        "sampling/createMessage" => "CreateMessageResult",
        "roots/list" => "ListRootsResult",
        "elicitation/create" => "ElicitResult",
        "subscriptions/listen" => "SubscriptionsListenResult",
        other => panic!("no schema definition known for the result of {other}"),
    }
}

/// The schema definition of a notification, by method.
pub fn notification_definition(method: &str) -> &'static str {
    match method {
        "notifications/initialized" => "InitializedNotification",
        "notifications/cancelled" => "CancelledNotification",
        "notifications/progress" => "ProgressNotification",
        "notifications/message" => "LoggingMessageNotification",
        "notifications/tools/list_changed" => "ToolListChangedNotification",
        "notifications/resources/list_changed" => "ResourceListChangedNotification",
        "notifications/resources/updated" => "ResourceUpdatedNotification",
        "notifications/prompts/list_changed" => "PromptListChangedNotification",
        "notifications/roots/list_changed" => "RootsListChangedNotification",
        "notifications/subscriptions/acknowledged" => "SubscriptionsAcknowledgedNotification",
        other => panic!("no schema definition known for notification {other}"),
    }
}
