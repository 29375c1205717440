//! The stdio measurements: cold start, sequential round trips, pipelined throughput. Plain
//! threads and blocking pipes, so the client adds as little as possible.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::procs::{cpu_micros, Implementation};

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench-load","version":"1.0.0"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A server launched over stdio with an initialized session.
pub struct StdioServer {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    line: String,
    next_id: u64,
}

impl StdioServer {
    /// Launches the server and initializes; returns it with the time from spawn to the
    /// `initialize` answer.
    pub fn start(implementation: &Implementation) -> Result<(Self, Duration), BoxError> {
        let started = Instant::now();
        let mut child = Command::new(&implementation.binary)
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut server = StdioServer {
            stdin: BufWriter::new(child.stdin.take().expect("piped stdin")),
            stdout: BufReader::with_capacity(
                256 * 1024,
                child.stdout.take().expect("piped stdout"),
            ),
            child,
            line: String::new(),
            next_id: 1,
        };
        server.send(INITIALIZE)?;
        server.stdin.flush()?;
        let answer = server.receive()?.to_string();
        let cold_start = started.elapsed();
        if !answer.contains("\"result\"") {
            return Err(format!("{}: initialize failed: {answer}", implementation.name).into());
        }
        server.send(INITIALIZED)?;
        server.stdin.flush()?;
        Ok((server, cold_start))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn send(&mut self, line: &str) -> std::io::Result<()> {
        self.stdin.write_all(line.as_bytes())?;
        self.stdin.write_all(b"\n")
    }

    fn receive(&mut self) -> Result<&str, BoxError> {
        self.line.clear();
        if self.stdout.read_line(&mut self.line)? == 0 {
            return Err("the server closed its stdout".into());
        }
        Ok(&self.line)
    }

    fn add_request(id: u64) -> String {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"add","arguments":{{"a":1,"b":2}}}}}}"#
        )
    }

    /// `count` calls one after the other; the latency of each.
    pub fn sequential(&mut self, count: usize) -> Result<Vec<Duration>, BoxError> {
        let mut latencies = Vec::with_capacity(count);
        for _ in 0..count {
            let id = self.next_id;
            self.next_id += 1;
            let request = Self::add_request(id);
            let started = Instant::now();
            self.send(&request)?;
            self.stdin.flush()?;
            let answer = self.receive()?;
            latencies.push(started.elapsed());
            if !answer.contains(r#""text":"3""#) {
                return Err(format!("unexpected answer: {answer}").into());
            }
        }
        Ok(latencies)
    }

    /// Writes `count` calls at once (a writer thread) while reading the answers; returns
    /// the time from the first write to the last answer and the server CPU spent.
    pub fn pipelined(&mut self, count: usize) -> Result<(Duration, u64), BoxError> {
        let first = self.next_id;
        self.next_id += count as u64;
        let mut batch = String::with_capacity(count * 110);
        for id in first..first + count as u64 {
            batch.push_str(&Self::add_request(id));
            batch.push('\n');
        }
        let pid = self.pid();
        let cpu_before = cpu_micros(pid);
        let started = Instant::now();
        let stdin = &mut self.stdin;
        let stdout = &mut self.stdout;
        let answered = std::thread::scope(|scope| {
            let writer = scope.spawn(move || -> std::io::Result<()> {
                stdin.write_all(batch.as_bytes())?;
                stdin.flush()
            });
            let mut line = String::new();
            let mut answered = 0usize;
            let mut wrong = 0usize;
            while answered < count {
                line.clear();
                match stdout.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if line.contains(r#""id":"#) {
                    answered += 1;
                    if !line.contains(r#""text":"3""#) {
                        wrong += 1;
                    }
                }
            }
            let written = writer.join().expect("writer thread");
            (answered, wrong, written)
        });
        let elapsed = started.elapsed();
        let cpu = cpu_micros(pid).saturating_sub(cpu_before);
        let (answered, wrong, written) = answered;
        written?;
        if answered != count || wrong != 0 {
            return Err(format!("pipelined: {answered} of {count} answered, {wrong} wrong").into());
        }
        Ok((elapsed, cpu))
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
