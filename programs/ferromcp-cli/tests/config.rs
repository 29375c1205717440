//! `ferromcp config claude-desktop`: the snippet is valid JSON Claude Desktop can use.

mod common;

use common::cli;

#[tokio::test]
async fn command_lines_become_mcp_servers_entries() {
    let run = cli([
        "config",
        "claude-desktop",
        "--env",
        "LOG=debug",
        "--name",
        "files",
        "./target/release/smart-tools --root /data",
        "python3 -u weather.py",
    ])
    .run()
    .await
    .success();
    let json = run.json();
    let files = &json["mcpServers"]["files"];
    let command = files["command"].as_str().unwrap();
    assert!(command.starts_with('/'), "absolute: {command}");
    assert!(command.ends_with("target/release/smart-tools"), "{command}");
    assert_eq!(files["args"], serde_json::json!(["--root", "/data"]));
    assert_eq!(files["env"]["LOG"], "debug");
    let weather = &json["mcpServers"]["weather"];
    assert!(weather["command"].as_str().unwrap().contains("python3"));
    assert_eq!(weather["args"], serde_json::json!(["-u", "weather.py"]));
    assert!(run.stderr.contains("claude_desktop_config.json"), "{run}");
}

#[tokio::test]
async fn a_url_is_bridged_and_explained() {
    let run = cli([
        "config",
        "claude-desktop",
        "--",
        "http://127.0.0.1:8000/mcp",
    ])
    .run()
    .await
    .success();
    let json = run.json();
    let entry = &json["mcpServers"]["127.0.0.1"];
    assert_eq!(entry["command"], "npx");
    let args = entry["args"].as_array().expect("args");
    assert_eq!(args.len(), 3, "{run}");
    assert_eq!(args[0], "-y");
    assert_eq!(args[2], "http://127.0.0.1:8000/mcp");
    // The bridge is pinned to one exact release, never whatever npm serves next.
    let package = args[1].as_str().unwrap();
    let version = package
        .strip_prefix("mcp-remote@")
        .unwrap_or_else(|| panic!("mcp-remote is not pinned: {package}"));
    let numbers: Vec<&str> = version.split('.').collect();
    assert!(
        numbers.len() == 3
            && numbers
                .iter()
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        "an exact X.Y.Z version: {package}"
    );
    // The hint says what runs.
    assert!(
        run.stderr.contains(&format!("npx -y {package} URL")),
        "{run}"
    );
    assert!(run.stderr.contains("Connectors"), "{run}");

    let run = cli(["config", "claude-desktop"]).run().await.failure();
    assert!(run.stderr.contains("name at least one server"), "{run}");
    let run = cli(["config", "claude-desktop", "--env", "NOEQUALS", "srv"])
        .run()
        .await
        .failure();
    assert!(run.stderr.contains("KEY=VALUE"), "{run}");
}
