//! The offline default (cargo feature `offline`): with no provider configured, the host
//! answers a server's sampling request with the small local model and says so. Needs the
//! model file (`scripts/setup-model.sh`); run with `cargo test -p ferromcp-cli --features
//! offline --test offline`.

mod common;

use common::{cli, example_server};

#[tokio::test]
async fn sampling_runs_on_the_offline_model_when_nothing_is_configured() {
    let run = cli(["call", "--yes"])
        .arg_path(&example_server())
        .args([
            "scenario",
            "text=Rust is a language for reliable and fast software.",
        ])
        .run()
        .await
        .success();
    assert!(run.stdout.starts_with("summary="), "{run}");
    assert!(run.stdout.len() > "summary=; roots=".len() + 10, "{run}");
    assert!(
        run.stderr
            .contains("[sampling] local answered (model SmolLM2-135M-Instruct (offline))"),
        "{run}"
    );
}

#[tokio::test]
async fn a_named_model_that_is_missing_is_reported_as_missing() {
    let run = cli(["call", "--yes"])
        .arg_path(&example_server())
        .args(["scenario", "text=anything"])
        .env(
            "FERROMCP_MODEL_PATH",
            "/nonexistent/ferromcp-test-model.gguf",
        )
        .run()
        .await;
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("the offline model /nonexistent/ferromcp-test-model.gguf is missing"),
        "{run}"
    );
    assert!(!all.contains("no LLM provider"), "{run}");
}
