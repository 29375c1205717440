//! The `ferromcp` binary against the example server (`crates/ferromcp-tests`), a real
//! child process over stdio: every one-shot subcommand, `--json`, the `--` form, sampling
//! answered by a local stub of an OpenAI-compatible LLM, the rate limit, the refusals, and
//! roots.

mod common;

use std::path::Path;

use common::{cli, example_server, temp_root, Run, StubLlm, STUB_MODEL};

/// Runs `ferromcp COMMAND... SERVER REST...` and expects it to succeed.
async fn succeeds(server: &Path, command: &[&str], rest: &[&str]) -> Run {
    cli(command)
        .arg_path(server)
        .args(rest)
        .run()
        .await
        .success()
}

/// Runs `ferromcp COMMAND... SERVER REST...` and expects it to fail (exit 1).
async fn fails(server: &Path, command: &[&str], rest: &[&str]) -> Run {
    cli(command)
        .arg_path(server)
        .args(rest)
        .run()
        .await
        .failure()
}

#[tokio::test]
async fn list_shows_tools_resources_templates_and_prompts() {
    let run = succeeds(&example_server(), &["list"], &[]).await;
    for expected in [
        "tools (",
        "add ",
        "Adds two integers.",
        "resources (2):",
        "docs://readme",
        "(text/markdown)",
        "resource templates (1):",
        "weather://{city}/now",
        "prompts (1):",
        "review(code, language?)",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?}:\n{run}"
        );
    }
}

#[tokio::test]
async fn list_one_kind_as_json_through_every_page() {
    // The server command after `--`, with a page size that forces six `tools/list` pages.
    let server = example_server();
    let run = succeeds(
        &server,
        &["list", "tools", "--json", "--"],
        &["--page-size", "2"],
    )
    .await;
    let json = run.json();
    let names: Vec<&str> = json["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // Every page was followed: the same tools as one big page.
    let all = succeeds(&server, &["list"], &["tools", "--json"]).await;
    assert_eq!(json["tools"], all.json()["tools"]);
    assert!(names.len() > 10, "{names:?}");
    assert!(names.contains(&"add") && names.contains(&"add_tool"));
    assert!(json.get("resources").is_none() && json.get("prompts").is_none());
    assert_eq!(json["tools"][0]["inputSchema"]["type"], "object");
}

#[tokio::test]
async fn call_with_key_values_json_objects_and_args() {
    let server = example_server();
    let run = succeeds(&server, &["call"], &["add", "a=2", "b=40"]).await;
    assert_eq!(run.stdout.trim(), "42");

    let run = succeeds(
        &server,
        &["call", "--json"],
        &["add", r#"{"a": 1, "b": 2}"#],
    )
    .await;
    assert_eq!(run.json()["content"][0]["text"], "3");

    let run = succeeds(
        &server,
        &["call"],
        &["add", "--args", r#"{"a": 5, "b": 5}"#, "b=6"],
    )
    .await;
    assert_eq!(run.stdout.trim(), "11");

    // A value that is not JSON stays a string.
    let run = succeeds(&server, &["call"], &["echo", "text=hello world"]).await;
    assert_eq!(run.stdout.trim(), "hello world");
}

#[tokio::test]
async fn structured_results_and_every_content_type() {
    let server = example_server();
    let run = succeeds(&server, &["call", "--json"], &["weather", "city=Paris"]).await;
    let json = run.json();
    assert_eq!(json["structuredContent"]["city"], "Paris");
    assert_eq!(json["structuredContent"]["celsius"], 21.5);

    let run = succeeds(&server, &["call"], &["media"]).await;
    for expected in [
        "[image image/png",
        "[audio audio/wav",
        "[resource link docs://readme",
        "# Example",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?}:\n{run}"
        );
    }
}

#[tokio::test]
async fn a_tool_error_prints_its_text_and_exits_1() {
    let run = fails(&example_server(), &["call"], &["fail"]).await;
    assert!(run.stdout.contains("the tool failed on purpose"), "{run}");
    assert!(
        run.stderr.contains("the tool fail reported an error"),
        "{run}"
    );
}

#[tokio::test]
async fn bad_invocations_are_explained() {
    let server = example_server();
    let run = fails(&server, &["call"], &[]).await;
    assert!(run.stderr.contains("name the tool"), "{run}");

    let run = fails(&server, &["call"], &["add", "a"]).await;
    assert!(run.stderr.contains("expected KEY=VALUE"), "{run}");

    let run = fails(&server, &["call"], &["no_such_tool"]).await;
    assert!(run.stderr.to_lowercase().contains("no_such_tool"), "{run}");

    let run = cli(["list", "/no/such/program --flag"])
        .run()
        .await
        .failure();
    assert!(
        run.stderr.contains("cannot start or talk to the server"),
        "{run}"
    );

    let run = cli(["list"]).run().await.failure();
    assert!(run.stderr.contains("name the server"), "{run}");

    let run = cli(["list", "http://127.0.0.1:9/mcp"])
        .run()
        .await
        .failure();
    assert!(
        run.stderr
            .contains("cannot connect to http://127.0.0.1:9/mcp"),
        "{run}"
    );

    let run = cli(["list", "http://127.0.0.1:9/mcp", "--header", "no colon"])
        .run()
        .await
        .failure();
    assert!(run.stderr.contains("write it as 'Name: value'"), "{run}");

    let run = fails(&server, &["list"], &["widgets"]).await;
    assert!(run.stderr.contains("choose tools, resources"), "{run}");
}

#[tokio::test]
async fn read_text_templated_and_binary_resources() {
    let server = example_server();
    let run = succeeds(&server, &["read"], &["docs://readme"]).await;
    assert!(run.stdout.starts_with("# Example server"), "{run}");

    let run = succeeds(&server, &["read"], &["weather://Oslo/now"]).await;
    assert_eq!(run.stdout.trim(), "Sunny in Oslo");

    let run = succeeds(&server, &["read"], &["docs://logo"]).await;
    assert!(
        run.stdout.contains("[binary image/png from docs://logo"),
        "{run}"
    );
    let run = succeeds(&server, &["read", "--json"], &["docs://logo"]).await;
    assert_eq!(run.json()["contents"][0]["blob"], "iVBORw==");

    let run = fails(&server, &["read"], &["docs://missing"]).await;
    assert!(run.stderr.contains("docs://missing"), "{run}");
}

#[tokio::test]
async fn prompts_are_filled_in() {
    let server = example_server();
    let run = succeeds(
        &server,
        &["prompt"],
        &["review", "code=fn main() {}", "language=rust"],
    )
    .await;
    assert!(
        run.stdout.contains("user: Review this rust:\nfn main() {}"),
        "{run}"
    );
    assert!(run.stdout.contains("assistant: I will review it."), "{run}");

    let run = succeeds(&server, &["prompt", "--json"], &["review", "code=x"]).await;
    assert_eq!(run.json()["messages"][0]["role"], "user");
}

#[tokio::test]
async fn inspect_shows_identity_capabilities_and_schemas() {
    let server = example_server();
    let run = succeeds(&server, &["inspect"], &[]).await;
    for expected in [
        "server:    example-server",
        "protocol:  2025-11-25 (stateful era)",
        "instructions: A test server exercising every MCP feature.",
        "capabilities:",
        "\"tools\"",
        "input schema:",
        "output schema:",
        "\"celsius\"",
        "code (required)",
        "weather://{city}/now",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?}:\n{run}"
        );
    }

    let run = succeeds(&server, &["inspect", "--json"], &[]).await;
    let json = run.json();
    assert_eq!(json["serverInfo"]["name"], "example-server");
    assert_eq!(json["protocolVersion"], "2025-11-25");
    assert!(json["capabilities"]["tools"].is_object());
    let weather = json["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "weather")
        .expect("weather tool");
    assert_eq!(weather["inputSchema"]["required"][0], "city");
    assert!(weather["outputSchema"]["properties"]["celsius"].is_object());
    assert_eq!(
        json["resourceTemplates"][0]["uriTemplate"],
        "weather://{city}/now"
    );
    assert_eq!(json["prompts"][0]["name"], "review");
}

#[tokio::test]
async fn inspect_speaks_the_modern_era_too() {
    let run = succeeds(
        &example_server(),
        &["inspect", "--json", "--era", "stateless"],
        &[],
    )
    .await;
    let json = run.json();
    assert_eq!(json["protocolVersion"], "2026-07-28");
    assert_eq!(json["era"], "stateless");
    let tools = json["tools"].as_array().unwrap();
    assert!(tools.iter().any(|t| t["name"] == "scenario"), "{tools:?}");
}

/// The example scenario through the CLI: the tool logs, reports progress, samples (answered by
/// the stub LLM after `--yes`), lists the roots (the `--root` folder) and answers.
#[tokio::test]
async fn sampling_is_answered_by_the_provider_with_roots_logs_and_progress() {
    let stub = StubLlm::text("a short stub summary").await;
    let (_dir, _path, uri) = temp_root();
    let run = cli(["call", "--yes", "--root", _path.to_str().unwrap()])
        .args(stub.flags())
        .arg_path(&example_server())
        .args(["scenario", "text=the quick brown fox"])
        .run()
        .await
        .success();
    assert_eq!(
        run.stdout.trim(),
        format!("summary=a short stub summary; roots={uri}")
    );
    for expected in [
        "[info] example-server: starting",
        "[progress] example-server: 1/3",
        "[progress] example-server: 3/3 done",
        "── sampling request from example-server ──",
        "user: Summarize: the quick brown fox",
        "max tokens:",
        &format!("answered (model {STUB_MODEL})"),
        "[info] example-server: finished",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?}:\n{run}"
        );
    }
    // Colours only on a terminal.
    assert!(!run.stderr.contains('\x1b'), "{run}");
    let requests = stub.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["model"], STUB_MODEL);
    let last = requests[0]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["role"], "user");
    assert_eq!(last["content"], "Summarize: the quick brown fox");
}

#[tokio::test]
async fn sampling_works_over_the_modern_era_with_the_environment_provider() {
    // 2026-07-28 over stdio: sampling and roots arrive as multi-round-trip input requests;
    // the provider comes from OPENAI_BASE_URL / OPENAI_MODEL.
    let stub = StubLlm::text("modern summary").await;
    let (dir, path, uri) = temp_root();
    let run = cli(["call", "--yes", "--era", "stateless"])
        .arg_path(&example_server())
        .args(["scenario", "text=abc"])
        .env("OPENAI_BASE_URL", &stub.base_url())
        .env("OPENAI_MODEL", "env-model")
        .dir(&path)
        .run()
        .await
        .success();
    // No --root: the current directory is the root.
    assert_eq!(
        run.stdout.trim(),
        format!("summary=modern summary; roots={uri}")
    );
    assert_eq!(stub.requests()[0]["model"], "env-model");
    drop(dir);
}

#[tokio::test]
async fn over_the_rate_limit_the_server_gets_an_error() {
    let stub = StubLlm::text("never used").await;
    let run = cli(["call", "--yes", "--max-samples-per-minute", "0"])
        .args(stub.flags())
        .arg_path(&example_server())
        .args(["scenario", "text=x"])
        .run()
        .await
        .failure();
    // The server saw the JSON-RPC error and put it in the tool's error result.
    assert!(run.stdout.contains("JSON-RPC error -1"), "{run}");
    assert!(run.stdout.contains("rate limit of 0 per minute"), "{run}");
    assert!(
        run.stderr
            .contains("[sampling] the host refused the sampling request"),
        "{run}"
    );
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn without_a_provider_sampling_is_declined_with_how_to_configure_one() {
    let run = fails(
        &example_server(),
        &["call", "--yes"],
        &["scenario", "text=x"],
    )
    .await;
    assert!(run.stdout.contains("JSON-RPC error -1"), "{run}");
    assert!(
        run.stdout.contains("no LLM provider is configured"),
        "{run}"
    );
    assert!(run.stdout.contains("ANTHROPIC_API_KEY"), "{run}");
    assert!(run.stderr.contains("[sampling] the host declined"), "{run}");
}

#[tokio::test]
async fn without_yes_and_without_a_terminal_sampling_is_declined() {
    let stub = StubLlm::text("never used").await;
    let run = cli(["call"])
        .args(stub.flags())
        .arg_path(&example_server())
        .args(["scenario", "text=x"])
        .stdin("y\n")
        .run()
        .await
        .failure();
    assert!(run.stdout.contains("nobody can approve it"), "{run}");
    assert!(run.stderr.contains("--yes"), "{run}");
    assert!(stub.requests().is_empty(), "the provider must not be asked");
}

#[tokio::test]
async fn roots_confine_the_servers_file_access() {
    let (_dir, path, _uri) = temp_root();
    std::fs::write(path.join("note.txt"), "inside the root").unwrap();
    let server = example_server();
    let root = path.to_str().unwrap();
    let run = cli(["call", "--root", root])
        .arg_path(&server)
        .arg("read_file")
        .arg(format!("path={}", path.join("note.txt").display()))
        .run()
        .await
        .success();
    assert_eq!(run.stdout.trim(), "inside the root");

    let outside = temp_root();
    std::fs::write(outside.1.join("secret.txt"), "outside secret").unwrap();
    let run = cli(["call", "--root", root])
        .arg_path(&server)
        .arg("read_file")
        .arg(format!("path={}", outside.1.join("secret.txt").display()))
        .run()
        .await
        .failure();
    assert!(!run.stdout.contains("outside secret"), "{run}");
    // The error names the path asked for, not the allowed roots.
    assert!(
        run.stdout.contains("secret.txt") && run.stdout.contains("outside the allowed roots"),
        "the error names the path:\n{run}"
    );
    assert!(
        !run.stdout.contains(root),
        "the error lists no root:\n{run}"
    );

    let run = fails(
        &server,
        &["call", "--root", "/no/such/folder"],
        &["add", "a=1", "b=1"],
    )
    .await;
    assert!(run.stderr.contains("--root /no/such/folder"), "{run}");
}

#[test]
fn help_explains_servers_and_examples() {
    let output = std::process::Command::new(common::CLI)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for expected in [
        "SERVER is either a URL",
        "--yes",
        "ferromcp call",
        "chat",
        "config",
    ] {
        assert!(help.contains(expected), "missing {expected:?}:\n{help}");
    }
    let output = std::process::Command::new(common::CLI)
        .args(["call", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--max-samples-per-minute",
        "--root",
        "--era",
        "KEY=VALUE",
        "--base-url",
    ] {
        assert!(help.contains(expected), "missing {expected:?}:\n{help}");
    }
}

#[tokio::test]
async fn without_a_terminal_forms_are_declined() {
    let run = succeeds(&example_server(), &["call"], &["ask_name"]).await;
    assert_eq!(run.stdout.trim(), "declined", "{run}");
    assert!(
        run.stderr
            .contains("── example-server asks ── What is your name?"),
        "{run}"
    );
    assert!(run.stderr.contains("[elicitation] declined"), "{run}");
}
