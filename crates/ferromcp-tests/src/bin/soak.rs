//! The soak test, run on demand (not in CI): mixed load against real server processes for
//! a long time, watching their memory and file descriptors.
//!
//! ```text
//! cargo run --release -p ferromcp-tests --bin soak -- --duration 3600
//! ```
//!
//! It starts the example server twice: as a Streamable HTTP server (`example_server --http`) and
//! as one long-lived stdio server. Workers then run until `--duration` is over:
//! - HTTP workers (`--http-workers`, default 4) open a session, run a few rounds of calls
//!   (the scenario tool: sampling, logs, progress, roots; `slow` with progress; `add`; a
//!   resource read; a tool listing) and close the session, again and again;
//! - one 2026-07-28 worker does the same statelessly (Multi Round-Trip sampling and roots);
//! - one stdio worker calls the long-lived stdio server, and every 20th round also opens a
//!   short stdio session in a new process and closes it.
//!
//! Every answer is checked (texts, and on stateful sessions every log and progress message,
//! in order). Every `--sample-every` seconds (default 10) it prints the resident memory
//! (VmRSS) and open file descriptors of both server processes. It fails (exit code 1) on
//! any error, or when after the warm-up (`--warmup`, default a fifth of the duration, at
//! most 300 s) a server's RSS grew by more than `--max-rss-growth-mb` (default 32) or its
//! descriptors by more than `--max-fd-growth` (default 16).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferromcp::client::{ClientBuilder, ClientSession, Era, RootsHandle};
use ferromcp::transport::child::ChildProcessTransport;
use ferromcp::types::LoggingLevel;
use ferromcp_tests::{example_client, Seen, SCENARIO_SAMPLE_PREFIX};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// The command-line settings.
struct Settings {
    duration: Duration,
    sample_every: Duration,
    warmup: Duration,
    http_workers: usize,
    max_rss_growth_kb: u64,
    max_fd_growth: u64,
}

impl Settings {
    fn parse() -> Result<Settings, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let number = |name: &str| -> Result<Option<u64>, String> {
            match args.iter().position(|a| a == name) {
                None => Ok(None),
                Some(at) => args
                    .get(at + 1)
                    .and_then(|v| v.parse().ok())
                    .map(Some)
                    .ok_or_else(|| format!("{name} needs a whole number")),
            }
        };
        if let Some(unknown) = args
            .iter()
            .step_by(2)
            .find(|a| !KNOWN.contains(&a.as_str()))
        {
            return Err(format!("unknown option {unknown}; options: {KNOWN:?}"));
        }
        let duration = Duration::from_secs(number("--duration")?.unwrap_or(3600));
        let warmup = number("--warmup")?
            .map(Duration::from_secs)
            .unwrap_or((duration / 5).min(Duration::from_secs(300)));
        Ok(Settings {
            duration,
            sample_every: Duration::from_secs(number("--sample-every")?.unwrap_or(10).max(1)),
            warmup,
            http_workers: number("--http-workers")?.unwrap_or(4) as usize,
            max_rss_growth_kb: number("--max-rss-growth-mb")?.unwrap_or(32) * 1024,
            max_fd_growth: number("--max-fd-growth")?.unwrap_or(16),
        })
    }
}

const KNOWN: [&str; 6] = [
    "--duration",
    "--sample-every",
    "--warmup",
    "--http-workers",
    "--max-rss-growth-mb",
    "--max-fd-growth",
];

/// What the workers did.
#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    sessions: AtomicU64,
    errors: AtomicU64,
    stop: AtomicBool,
}

impl Counters {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::SeqCst);
        eprintln!("ERROR: {what}");
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Resident memory (kB) and open descriptors of a process, from `/proc`.
fn measure(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some((rss, fds))
}

/// The example server's binary, built beside this one.
fn example_server() -> PathBuf {
    let exe = std::env::current_exe().expect("the soak binary's path");
    exe.with_file_name("example_server")
}

/// The text the scenario tool answers with for `text`.
fn scenario_answer(text: &str) -> String {
    let roots: Vec<String> = example_client::roots().into_iter().map(|r| r.uri).collect();
    format!(
        "summary=sampled: {SCENARIO_SAMPLE_PREFIX}{text}; roots={}",
        roots.join(",")
    )
}

/// A client builder recording logs into `seen`.
fn builder(seen: Arc<Mutex<Vec<Seen>>>) -> ClientBuilder {
    example_client::builder(seen, RootsHandle::new(example_client::roots()))
}

/// One round of calls on a session; `strict` also checks every log and progress message.
async fn round(
    client: &ClientSession,
    seen: &Arc<Mutex<Vec<Seen>>>,
    strict: bool,
    label: &str,
    counters: &Counters,
) -> Result<(), String> {
    let fail = |what: &str, detail: String| format!("{label}: {what}: {detail}");
    seen.lock().unwrap().clear();
    let text = format!("{label} {}", counters.calls.load(Ordering::Relaxed));
    let result = client
        .call_tool_with(
            "scenario",
            json!({ "text": text }),
            example_client::recording_progress(seen.clone()),
        )
        .await
        .map_err(|e| fail("scenario", e.to_string()))?;
    if result.is_error == Some(true) || result.text() != scenario_answer(&text) {
        return Err(fail("scenario answered", result.text()));
    }
    if strict && *seen.lock().unwrap() != example_client::expected_events() {
        return Err(fail(
            "scenario's logs and progress",
            format!("{:?}", seen.lock().unwrap()),
        ));
    }
    seen.lock().unwrap().clear();
    let slow = client
        .call_tool_with(
            "slow",
            json!({"millis": 50}),
            example_client::recording_progress(seen.clone()),
        )
        .await
        .map_err(|e| fail("slow", e.to_string()))?;
    let progress = seen.lock().unwrap().len();
    if slow.text() != "finished" || (strict && progress != 5) {
        return Err(fail(
            "slow",
            format!("{} after {progress} progress", slow.text()),
        ));
    }
    let add = client
        .call_tool("add", json!({"a": 40, "b": 2}))
        .await
        .map_err(|e| fail("add", e.to_string()))?;
    if add.text() != "42" {
        return Err(fail("add answered", add.text()));
    }
    let read = client
        .read_resource("docs://readme")
        .await
        .map_err(|e| fail("resources/read", e.to_string()))?;
    if read.contents.is_empty() {
        return Err(fail("resources/read", "no contents".into()));
    }
    let tools = client
        .list_tools()
        .await
        .map_err(|e| fail("tools/list", e.to_string()))?;
    if tools.len() < 5 {
        return Err(fail("tools/list", format!("{} tools", tools.len())));
    }
    counters.calls.fetch_add(5, Ordering::Relaxed);
    Ok(())
}

/// Opens HTTP sessions one after another, a few rounds each.
async fn http_worker(url: String, era: Era, index: usize, counters: Arc<Counters>) {
    let label = format!("http-{index}");
    while !counters.stopped() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let client =
            match ferromcp_http::client::connect(builder(seen.clone()).era(era), &url).await {
                Ok(client) => client,
                Err(e) => {
                    counters.error(format!("{label}: connect: {e}"));
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
        counters.sessions.fetch_add(1, Ordering::Relaxed);
        let strict = era != Era::Stateless; // a modern retry runs the handler (and logs) again
        if era == Era::Stateless {
            if let Err(e) = client.set_log_level(LoggingLevel::Info).await {
                counters.error(format!("{label}: set_log_level: {e}"));
            }
        }
        for _ in 0..5 {
            if counters.stopped() {
                break;
            }
            if let Err(e) = round(&client, &seen, strict, &label, &counters).await {
                counters.error(e);
            }
        }
        client.close().await;
    }
}

/// Calls the long-lived stdio server; every 20th round also a short stdio session.
async fn stdio_worker(client: ClientSession, seen: Arc<Mutex<Vec<Seen>>>, counters: Arc<Counters>) {
    let mut rounds = 0u64;
    while !counters.stopped() {
        if let Err(e) = round(&client, &seen, true, "stdio", &counters).await {
            counters.error(e);
        }
        rounds += 1;
        if rounds.is_multiple_of(20) {
            let short_seen = Arc::new(Mutex::new(Vec::new()));
            match builder(short_seen.clone())
                .connect_stdio(Command::new(example_server()))
                .await
            {
                Ok(short) => {
                    counters.sessions.fetch_add(1, Ordering::Relaxed);
                    if let Err(e) = round(&short, &short_seen, true, "stdio-short", &counters).await
                    {
                        counters.error(e);
                    }
                    short.close().await;
                }
                Err(e) => counters.error(format!("stdio-short: connect: {e}")),
            }
        }
    }
    client.close().await;
}

/// Starts the HTTP example server; returns the process and its endpoint.
async fn start_http_server() -> (tokio::process::Child, String) {
    let mut child = Command::new(example_server())
        .args([
            "--http",
            "127.0.0.1:0",
            "--max-sampling-per-minute",
            "100000",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start example_server (build it: cargo build -p ferromcp-tests --bins)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .await
        .expect("the server says where it listens");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("a listening line")
        .to_string();
    (child, url)
}

/// One sample of both servers.
struct Sample {
    at: Duration,
    http: (u64, u64),
    stdio: (u64, u64),
}

/// Picks one server's (RSS, descriptors) from a sample.
type Pick = fn(&Sample) -> (u64, u64);

#[tokio::main]
async fn main() {
    let settings = match Settings::parse() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("soak: {message}");
            std::process::exit(2);
        }
    };
    let (http_child, url) = start_http_server().await;
    let http_pid = http_child.id().expect("the HTTP server runs");
    let mut command = Command::new(example_server());
    command.args(["--max-sampling-per-minute", "100000"]);
    let transport = ChildProcessTransport::spawn(command).expect("start the stdio server");
    let stdio_pid = transport.pid().expect("the stdio server runs");
    let stdio_seen = Arc::new(Mutex::new(Vec::new()));
    let stdio_client = builder(stdio_seen.clone())
        .connect(transport)
        .await
        .expect("connect over stdio");
    println!(
        "soak: {} s against {url} (pid {http_pid}) and a stdio server (pid {stdio_pid}); \
         {} HTTP workers, 1 modern, 1 stdio; warm-up {} s",
        settings.duration.as_secs(),
        settings.http_workers,
        settings.warmup.as_secs()
    );

    let counters = Arc::new(Counters::default());
    let mut workers = Vec::new();
    for index in 0..settings.http_workers {
        workers.push(tokio::spawn(http_worker(
            url.clone(),
            Era::Stateful,
            index,
            counters.clone(),
        )));
    }
    workers.push(tokio::spawn(http_worker(
        url.clone(),
        Era::Stateless,
        settings.http_workers,
        counters.clone(),
    )));
    workers.push(tokio::spawn(stdio_worker(
        stdio_client,
        stdio_seen,
        counters.clone(),
    )));

    let started = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    loop {
        let at = started.elapsed();
        let (Some(http), Some(stdio)) = (measure(http_pid), measure(stdio_pid)) else {
            counters.error("a server process is gone".into());
            break;
        };
        println!(
            "t={:>5}s  http rss={:>7} kB fds={:>4}  stdio rss={:>7} kB fds={:>4}  calls={} sessions={} errors={}",
            at.as_secs(),
            http.0,
            http.1,
            stdio.0,
            stdio.1,
            counters.calls.load(Ordering::Relaxed),
            counters.sessions.load(Ordering::Relaxed),
            counters.errors.load(Ordering::Relaxed),
        );
        samples.push(Sample { at, http, stdio });
        if at >= settings.duration {
            break;
        }
        tokio::time::sleep(settings.sample_every.min(settings.duration - at)).await;
    }
    counters.stop.store(true, Ordering::SeqCst);
    for worker in workers {
        let _ = tokio::time::timeout(Duration::from_secs(60), worker).await;
    }

    let mut failed = counters.errors.load(Ordering::SeqCst) > 0;
    let baseline = samples
        .iter()
        .find(|s| s.at >= settings.warmup)
        .or(samples.first());
    if let (Some(base), Some(last)) = (baseline, samples.last()) {
        let pickers: [(&str, Pick); 2] = [("http", |s| s.http), ("stdio", |s| s.stdio)];
        for (name, pick) in pickers {
            let (start, base, last) = (pick(&samples[0]), pick(base), pick(last));
            let rss_growth = last.0.saturating_sub(base.0);
            let fd_growth = last.1.saturating_sub(base.1);
            println!(
                "soak: {name} server: rss {} kB at start, {} kB after warm-up, {} kB at end \
                 (+{rss_growth} kB); fds {} at start, {} after warm-up, {} at end",
                start.0, base.0, last.0, start.1, base.1, last.1
            );
            if rss_growth > settings.max_rss_growth_kb {
                println!("soak: FAIL: {name} RSS grew by {rss_growth} kB after the warm-up");
                failed = true;
            }
            if fd_growth > settings.max_fd_growth {
                println!("soak: FAIL: {name} descriptors grew by {fd_growth} after the warm-up");
                failed = true;
            }
        }
    }
    println!(
        "soak: {} calls, {} sessions, {} errors in {} s",
        counters.calls.load(Ordering::SeqCst),
        counters.sessions.load(Ordering::SeqCst),
        counters.errors.load(Ordering::SeqCst),
        started.elapsed().as_secs()
    );
    drop(http_child);
    if failed {
        println!("soak: FAILED");
        std::process::exit(1);
    }
    println!("soak: PASSED");
}
