//! What the smart-tools tests share: a project folder to work on, the real binary started
//! over stdio or Streamable HTTP, a client whose sampling handler answers like an LLM (from
//! a script when a test needs bad answers), and a stub OpenAI Chat Completions server.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferromcp::client::{CallOptions, Client, ClientBuilder, ClientSession, Era, RootsHandle};
use ferromcp::types::{
    CallToolResult, CreateMessageRequestParams, CreateMessageResult, LoggingLevel, Root,
};
use ferromcp_test_support::process::PROVIDER_ENV_VARS;
use ferromcp_test_support::{openai, Reply, StubProvider};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_smart-tools");
/// The model name the scripted sampling handler reports.
pub const SCRIPTED_MODEL: &str = "scripted-llm";
/// What the long file contains on every line, so tests can spot it in prompts.
pub const LONG_LINE: &str = "The quick brown fox keeps the project's build reproducible.";
/// The content of the file outside the roots.
pub const SECRET: &str = "TOP-SECRET-OUTSIDE-THE-ROOTS";

/// How the test reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Stdio,
    Http,
}

/// Every transport and era.
pub const COMBOS: [(Wire, Era); 4] = [
    (Wire::Stdio, Era::Stateful),
    (Wire::Stdio, Era::Stateless),
    (Wire::Http, Era::Stateful),
    (Wire::Http, Era::Stateless),
];

/// A project to work on (the root) and a sibling folder with a secret (outside it).
pub struct Fixture {
    _dir: TempDir,
    pub root: PathBuf,
    pub outside: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("project");
        let outside = dir.path().join("project-private");
        for folder in [&root, &outside, &root.join("src"), &root.join("target")] {
            std::fs::create_dir_all(folder).unwrap();
        }
        let write = |path: &Path, text: &str| std::fs::write(path, text).unwrap();
        write(&root.join("short.txt"), "Short and sweet.\n");
        let long: String = (0..100).map(|i| format!("{i}: {LONG_LINE}\n")).collect();
        assert!(long.len() > 4000);
        write(&root.join("long.md"), &long);
        write(
            &root.join("src/main.rs"),
            "fn main() {\n    println!(\"hello\");\n}\n",
        );
        write(
            &root.join("src/lib.rs"),
            "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
        );
        write(&root.join(".gitignore"), "*.log\ntarget/\n");
        write(&root.join("debug.log"), "ignored\n");
        write(&root.join("target/out.txt"), "ignored build output\n");
        write(&outside.join("secret.txt"), SECRET);
        let root = root.canonicalize().unwrap();
        let outside = outside.canonicalize().unwrap();
        Fixture {
            _dir: dir,
            root,
            outside,
        }
    }

    pub fn root_uri(&self) -> String {
        format!("file://{}", self.root.display())
    }

    pub fn path(&self, relative: &str) -> String {
        self.root.join(relative).display().to_string()
    }
}

/// What the client saw during calls.
#[derive(Default)]
pub struct Seen {
    pub sampling: Mutex<Vec<CreateMessageRequestParams>>,
    pub logs: Mutex<Vec<(LoggingLevel, Value)>>,
    /// Answers for JSON requests, used first to last; when empty, a good classification.
    pub json_script: Mutex<VecDeque<String>>,
    /// When set, every sampling request is refused with this JSON-RPC error message.
    pub decline: Mutex<Option<String>>,
}

impl Seen {
    pub fn sampling_count(&self) -> usize {
        self.sampling.lock().unwrap().len()
    }

    pub fn log_texts(&self) -> Vec<String> {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .map(|(_, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect()
    }

    pub fn reset(&self) {
        self.sampling.lock().unwrap().clear();
        self.logs.lock().unwrap().clear();
        self.json_script.lock().unwrap().clear();
    }
}

/// A good classification answer, fenced and with prose around it, as models write.
pub const GOOD_CLASSIFICATION: &str = "Here is the classification:\n```json\n{\"type\": \"documentation\", \"language\": \"Markdown\", \"confidence\": 0.9, \"description\": \"Notes about a reproducible build.\"}\n```\nLet me know if you need more.";

/// Answers a sampling request the way an LLM following the prompt would.
pub fn llm_answer(seen: &Seen, params: &CreateMessageRequestParams) -> String {
    let system = params.system_prompt.clone().unwrap_or_default();
    let last = params.last_user_text().unwrap_or_default();
    if system.contains("JSON Schema") {
        return seen
            .json_script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| GOOD_CLASSIFICATION.to_owned());
    }
    if last.starts_with("Summarize the file") {
        return "Summary: The file repeats one sentence about builds. It has a hundred numbered \
                lines.\nKey points:\n- Every line is the same sentence\n- Lines are numbered\n- \
                It is about reproducible builds\nPurpose: A long sample file for tests."
            .to_owned();
    }
    if last.starts_with("Summarize the following") {
        return "A very short summary.".to_owned();
    }
    if last.starts_with("Compare two files") {
        return "- Both are Rust files\n- One defines main, the other add".to_owned();
    }
    format!("I do not know what to say to: {last}")
}

/// A client with roots, log recording and (when `sampling`) the scripted LLM.
pub fn client(era: Era, roots: Vec<Root>, seen: Arc<Seen>, sampling: bool) -> ClientBuilder {
    let logs = seen.clone();
    let mut builder = Client::builder("smart-tools-test", "1.0.0")
        .era(era)
        .roots(RootsHandle::new(roots))
        .request_timeout(Duration::from_secs(60))
        .on_log(move |log| logs.logs.lock().unwrap().push((log.level, log.data)));
    if sampling {
        builder = builder.sampling_handler(move |params: CreateMessageRequestParams| {
            let seen = seen.clone();
            async move {
                seen.sampling.lock().unwrap().push(params.clone());
                if let Some(message) = seen.decline.lock().unwrap().clone() {
                    return Err(ferromcp::protocol::ErrorObject::new(
                        ferromcp::protocol::ErrorCode::INVALID_REQUEST,
                        message,
                    ));
                }
                let answer = llm_answer(&seen, &params);
                Ok(CreateMessageResult::text(SCRIPTED_MODEL, answer))
            }
        });
    }
    builder
}

/// A running smart-tools, over stdio or HTTP.
pub struct Server {
    pub wire: Wire,
    /// The HTTP child and its URL.
    http: Option<(Child, String)>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// Provider variables of the test's own environment must not leak into the server: these
/// and [`PROVIDER_ENV_VARS`].
const SERVER_PROVIDER_VARS: [&str; 1] = ["LLM_TIMEOUT_SECS"];

pub fn command(args: &[String], env: &[(String, String)]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).kill_on_drop(true);
    for var in PROVIDER_ENV_VARS.into_iter().chain(SERVER_PROVIDER_VARS) {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

impl Server {
    /// Starts smart-tools with `args` and `env` (an HTTP server now; a stdio one per client).
    pub async fn start(wire: Wire, args: &[&str], env: &[(&str, &str)]) -> Server {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let http = match wire {
            Wire::Stdio => None,
            Wire::Http => {
                let mut all = args.clone();
                all.extend(["--http".into(), "127.0.0.1:0".into()]);
                // Open on loopback unless the test protects it (the default is a token).
                let protected = args
                    .iter()
                    .any(|a| a == "--oauth-issuer" || a == "--bearer-token-env");
                if !protected {
                    all.push("--no-auth".into());
                }
                let mut child = command(&all, &env)
                    .stderr(Stdio::piped())
                    .stdout(Stdio::null())
                    .stdin(Stdio::null())
                    .spawn()
                    .expect("start smart-tools --http");
                let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
                let url = tokio::time::timeout(Duration::from_secs(30), async {
                    while let Some(line) = lines.next_line().await.expect("stderr") {
                        if let Some(at) = line.find("http://") {
                            if line.contains("serving MCP") {
                                return line[at..].trim().to_owned();
                            }
                        }
                    }
                    panic!("smart-tools --http exited without serving");
                })
                .await
                .expect("smart-tools --http announces its address");
                // Keep draining stderr so the server never blocks on a full pipe.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                Some((child, url))
            }
        };
        Server {
            wire,
            http,
            args,
            env,
        }
    }

    /// The endpoint URL of an HTTP server.
    pub fn url(&self) -> Option<&str> {
        self.http.as_ref().map(|(_, url)| url.as_str())
    }

    /// Connects a client built by `builder`.
    pub async fn connect(&self, builder: ClientBuilder) -> ClientSession {
        match &self.http {
            None => {
                let mut command = command(&self.args, &self.env);
                command.stderr(Stdio::null());
                builder
                    .connect_stdio(command)
                    .await
                    .expect("connect over stdio")
            }
            Some((_, url)) => ferromcp_http::client::connect(builder, url)
                .await
                .expect("connect over HTTP"),
        }
    }
}

/// Calls a tool with a progress recorder; returns the result and the progress seen.
pub async fn call(
    client: &ClientSession,
    tool: &str,
    arguments: Value,
) -> (CallToolResult, Vec<(f64, Option<f64>, Option<String>)>) {
    let progress = Arc::new(Mutex::new(Vec::new()));
    let sink = progress.clone();
    let options = CallOptions::new().with_progress(move |p| {
        sink.lock().unwrap().push((p.progress, p.total, p.message));
    });
    let result = client
        .call_tool_with(tool, arguments, options)
        .await
        .unwrap_or_else(|e| panic!("{tool} failed as a call: {e}"));
    // Notifications come before the response on the wire; the client hands them on at once.
    let seen = progress.lock().unwrap().clone();
    (result, seen)
}

/// The roots list of a client that shares the fixture's root.
/// A stateful client of `server` that shares the fixture's folder as its root and answers
/// sampling, with what it saw: the set-up most tests start from.
pub async fn stateful_client(server: &Server, fixture: &Fixture) -> (ClientSession, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let session = server
        .connect(client(Era::Stateful, roots_of(fixture), seen.clone(), true))
        .await;
    (session, seen)
}

pub fn roots_of(fixture: &Fixture) -> Vec<Root> {
    vec![Root::new(fixture.root_uri(), "project")]
}

/// A stub OpenAI Chat Completions provider on 127.0.0.1 that answers like an LLM.
pub struct OpenAiStub {
    /// The base URL to give `OPENAI_BASE_URL`.
    pub base_url: String,
    /// The stub itself, for the requests it received.
    pub provider: StubProvider,
}

/// The model name the stub reports (not the one asked for, to prove who answered).
pub const STUB_SERVED_MODEL: &str = "stub-gpt-served";

impl OpenAiStub {
    pub async fn start() -> OpenAiStub {
        let provider = StubProvider::at(openai::CHAT_COMPLETIONS_PATH, |request| {
            let last = openai::last_message_text(&request.body);
            let answer = if last.starts_with("Summarize the file") {
                "Summary: Stub summary. Second sentence.\nKey points:\n- a\n- b\n- c\nPurpose: testing."
                    .to_owned()
            } else {
                format!("stub answer to: {}", &last[..last.len().min(40)])
            };
            Reply::json(200, openai::text_completion(STUB_SERVED_MODEL, &answer))
        })
        .await;
        OpenAiStub {
            base_url: provider.openai_base_url(),
            provider,
        }
    }

    /// The bodies of the requests received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.provider.bodies()
    }
}
