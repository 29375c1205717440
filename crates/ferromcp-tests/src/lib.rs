//! Shared helpers of the end-to-end tests: a raw stdio peer that sends bytes no real client
//! would, the official JSON schemas of each revision, and where the Python peer lives.

pub mod dual_era;
pub mod seed;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// What `seed_tool` prepends to its text before sampling.
pub const SEED_TOOL_SAMPLE_PREFIX: &str = "Summarize: ";

/// How long a test waits for one message before failing.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// A server process driven with raw lines: the malicious or sloppy peer our own client
/// would never be.
pub struct RawStdio {
    /// The server process.
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl RawStdio {
    /// Starts `program` with `args`; stderr is passed through.
    pub fn spawn(program: &str, args: &[&str]) -> RawStdio {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        RawStdio {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends bytes followed by a newline.
    pub async fn send_line(&mut self, bytes: impl AsRef<[u8]>) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes.as_ref()).await.expect("write");
        stdin.write_all(b"\n").await.expect("write");
        stdin.flush().await.expect("flush");
    }

    /// Sends a JSON value as one line.
    pub async fn send(&mut self, value: Value) {
        self.send_line(value.to_string()).await;
    }

    /// The next line, parsed as JSON; panics after [`ANSWER_TIMEOUT`].
    pub async fn recv(&mut self) -> Value {
        self.try_recv(ANSWER_TIMEOUT)
            .await
            .expect("the server should have answered")
    }

    /// The next line within `wait`, or `None` (timeout or end of stream).
    pub async fn try_recv(&mut self, wait: Duration) -> Option<Value> {
        let mut line = String::new();
        match tokio::time::timeout(wait, self.stdout.read_line(&mut line)).await {
            Ok(Ok(0)) | Err(_) => None,
            Ok(Ok(_)) => Some(
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("server wrote a non-JSON line ({e}): {line}")),
            ),
            Ok(Err(e)) => panic!("read failed: {e}"),
        }
    }

    /// Reads messages until the response with `id`, returning it and what came before.
    pub async fn recv_response(&mut self, id: &Value) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let message = self.recv().await;
            if message.get("id") == Some(id)
                && (message.get("result").is_some() || message.get("error").is_some())
            {
                return (message, before);
            }
            before.push(message);
        }
    }

    /// Sends a request and waits for its response, ignoring notifications on the way.
    pub async fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .await;
        self.recv_response(&Value::from(id)).await.0
    }

    /// Runs the handshake at `version` with the given client capabilities; returns the
    /// `initialize` result.
    pub async fn initialize(&mut self, version: &str, capabilities: Value) -> Value {
        let answer = self
            .request(
                0,
                "initialize",
                serde_json::json!({
                    "protocolVersion": version,
                    "capabilities": capabilities,
                    "clientInfo": {"name": "raw-test-client", "version": "0"}
                }),
            )
            .await;
        self.send(serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        answer["result"].clone()
    }

    /// Closes the server's stdin (end of stream).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }
}

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

/// The Python interpreter of the project's virtual environment (made by
/// `scripts/setup-python.sh`), or `FERROMCP_PYTHON`.
pub fn python() -> PathBuf {
    let path = std::env::var_os("FERROMCP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/pyvenv/bin/python"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-python.sh (the README's test command does)",
        path.display()
    );
    path
}

impl RawStdio {
    /// Sends a request with any id value (string, number) and waits for its response.
    pub async fn request_raw_id(&mut self, id: Value, method: &str) -> Value {
        self.send(serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method}))
            .await;
        self.recv_response(&id).await.0
    }
}

/// One thing the client saw while a tool ran, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// A log message: level and data.
    Log(String, Value),
    /// A progress notification: progress, total, message.
    Progress(f64, Option<f64>, Option<String>),
}

/// A client for the seed scenario: samples with a stub model that echoes the prompt,
/// supplies two roots, and records every log and progress message in order.
pub mod seed_client {
    use std::sync::{Arc, Mutex};

    use ferromcp::client::{CallOptions, Client, ClientBuilder, RootsHandle};
    use ferromcp::types::{CreateMessageResult, Root};

    use super::Seen;

    /// The model name the stub sampler reports.
    pub const STUB_MODEL: &str = "stub-model";

    /// The roots the seed client offers.
    pub fn roots() -> Vec<Root> {
        vec![
            Root::new("file:///tmp/ferromcp-root-a", "a"),
            Root::new("file:///tmp/ferromcp-root-b", "b"),
        ]
    }

    /// A client builder with the stub sampler, the roots, and a recorder of logs.
    pub fn builder(seen: Arc<Mutex<Vec<Seen>>>, roots: RootsHandle) -> ClientBuilder {
        Client::builder("seed-client", "1.0.0")
            .sampling_handler(
                |params: ferromcp::types::CreateMessageRequestParams| async move {
                    let prompt = params.last_user_text().unwrap_or_default().to_string();
                    Ok(CreateMessageResult::text(
                        STUB_MODEL,
                        format!("sampled: {prompt}"),
                    ))
                },
            )
            .roots(roots)
            .on_log(move |log| {
                let level = serde_json::to_value(log.level)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                seen.lock().unwrap().push(Seen::Log(level, log.data));
            })
    }

    /// Call options that record progress into `seen`.
    pub fn recording_progress(seen: Arc<Mutex<Vec<Seen>>>) -> CallOptions {
        CallOptions {
            on_progress: Some(Arc::new(
                move |p: ferromcp::types::ProgressNotificationParams| {
                    seen.lock()
                        .unwrap()
                        .push(Seen::Progress(p.progress, p.total, p.message));
                },
            )),
            ..Default::default()
        }
    }

    /// What the seed tool must have produced, in order.
    pub fn expected_events() -> Vec<Seen> {
        use serde_json::json;
        vec![
            Seen::Log("info".into(), json!("starting")),
            Seen::Progress(1.0, Some(3.0), None),
            Seen::Progress(2.0, Some(3.0), None),
            Seen::Progress(3.0, Some(3.0), Some("done".into())),
            Seen::Log("info".into(), json!("finished")),
        ]
    }
}

/// A transport wrapper that records every frame it reads and writes, for tests that look
/// at the wire (schema validation, ordering).
pub mod tap {
    use std::io;
    use std::sync::{Arc, Mutex};

    use ferromcp::transport::{FrameReader, FrameWriter, Incoming, Outgoing, Transport};
    use serde_json::Value;

    /// Which way a recorded frame went, seen from the tapped end.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Direction {
        /// Written by the tapped end.
        Sent,
        /// Read by the tapped end.
        Received,
    }

    /// Every frame seen, in order.
    pub type Recording = Arc<Mutex<Vec<(Direction, Value)>>>;

    /// Wraps `T`, recording into a shared [`Recording`].
    pub struct Tap<T> {
        inner: T,
        recording: Recording,
    }

    impl<T> Tap<T> {
        /// Wraps a transport.
        pub fn new(inner: T) -> (Tap<T>, Recording) {
            let recording = Recording::default();
            (
                Tap {
                    inner,
                    recording: recording.clone(),
                },
                recording,
            )
        }
    }

    /// Reading half of a [`Tap`].
    pub struct TapReader<R>(R, Recording);
    /// Writing half of a [`Tap`].
    pub struct TapWriter<W>(W, Recording);

    fn record(recording: &Recording, direction: Direction, frame: &[u8]) {
        let value = serde_json::from_slice(frame)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(frame).into_owned()));
        recording.lock().unwrap().push((direction, value));
    }

    impl<T: Transport> Transport for Tap<T> {
        type Reader = TapReader<T::Reader>;
        type Writer = TapWriter<T::Writer>;

        fn split(self) -> (Self::Reader, Self::Writer) {
            let (r, w) = self.inner.split();
            (
                TapReader(r, self.recording.clone()),
                TapWriter(w, self.recording),
            )
        }
    }

    impl<R: FrameReader> FrameReader for TapReader<R> {
        async fn read(&mut self) -> io::Result<Option<Incoming>> {
            let incoming = self.0.read().await?;
            if let Some(Incoming::Frame(frame)) = &incoming {
                record(&self.1, Direction::Received, frame);
            }
            Ok(incoming)
        }
    }

    impl<W: FrameWriter> FrameWriter for TapWriter<W> {
        async fn write(&mut self, message: Outgoing) -> io::Result<()> {
            record(&self.1, Direction::Sent, &message.frame);
            self.0.write(message).await
        }

        async fn flush(&mut self) -> io::Result<()> {
            self.0.flush().await
        }

        async fn close(&mut self) -> io::Result<()> {
            self.0.close().await
        }
    }
}

/// Node.js 22 (from `scripts/setup-node.sh`), or `FERROMCP_NODE`.
pub fn node() -> PathBuf {
    let path = std::env::var_os("FERROMCP_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/node-bin/node"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-node.sh (the README's test command does)",
        path.display()
    );
    path
}

/// The `node_modules` folder holding the official TypeScript SDK, or `FERROMCP_TS_SDK_DIR`.
pub fn ts_sdk_dir() -> PathBuf {
    let path = std::env::var_os("FERROMCP_TS_SDK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/ts-sdk/node_modules"));
    assert!(
        path.join("@modelcontextprotocol/sdk").exists(),
        "the TypeScript SDK is missing under {}: run scripts/setup-node.sh",
        path.display()
    );
    path
}
