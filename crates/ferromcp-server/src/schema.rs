//! JSON Schemas for tool inputs and outputs and elicitation forms, generated from Rust types.

use ferromcp_protocol::types::JsonObject;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::Value;

/// The JSON Schema (2020-12, subschemas inlined) of `T`, as a JSON object.
///
/// `$schema` is left out: MCP says schemas without it are 2020-12, and older clients choke
/// on a dialect URI they do not know. `title` (the Rust type name) is noise to a model.
pub fn schema_for<T: JsonSchema>() -> JsonObject {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut object = match schema.to_value() {
        Value::Object(object) => object,
        // `true`/`false` schemas: any value / no value.
        Value::Bool(true) => JsonObject::new(),
        _ => JsonObject::from_iter([("not".to_string(), Value::Object(JsonObject::new()))]),
    };
    object.remove("$schema");
    object.remove("title");
    object
}

/// An input schema for a tool: always `type: object` with `properties`, as MCP requires.
pub fn input_schema_for<T: JsonSchema>() -> JsonObject {
    let mut schema = schema_for::<T>();
    schema
        .entry("type")
        .or_insert_with(|| Value::String("object".into()));
    schema
        .entry("properties")
        .or_insert_with(|| Value::Object(JsonObject::new()));
    schema
}

/// Whether a schema describes objects (structured content must be an object).
pub fn is_object_schema(schema: &JsonObject) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

/// Wraps a non-object schema as `{"result": <schema>}`, the shape the value is wrapped in.
pub fn wrap_in_result(schema: JsonObject) -> JsonObject {
    let mut properties = JsonObject::new();
    properties.insert("result".into(), Value::Object(schema));
    JsonObject::from_iter([
        ("type".to_string(), Value::String("object".into())),
        ("properties".to_string(), Value::Object(properties)),
        (
            "required".to_string(),
            Value::Array(vec![Value::String("result".into())]),
        ),
    ])
}
