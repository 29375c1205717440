//! A server process driven with raw lines.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::ANSWER_TIMEOUT;

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

impl RawStdio {
    /// Sends a request with any id value (string, number) and waits for its response.
    pub async fn request_raw_id(&mut self, id: Value, method: &str) -> Value {
        self.send(serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method}))
            .await;
        self.recv_response(&id).await.0
    }
}
