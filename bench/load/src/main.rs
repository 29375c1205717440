//! The ferromcp bench: runs the same measurements against the ferromcp bench server, the
//! rmcp one and the hyper ceiling, interleaved (A B C A B C …) over several rounds so that a
//! busy machine weighs on every server alike, and prints a table with the ratios to rmcp
//! and to the ceiling. See `scripts/bench.sh` and `bench/RESULTS.md`.
//!
//! ```text
//! bench-load [--quick] [--long] [--rounds N] [--secs S] [--markdown FILE]
//!            [--servers ferromcp,rmcp,ceiling] [--sections http,stateless,echo,sessions,stdio,cold]
//! ```

mod http;
mod procs;
mod stdio;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Call, Era, McpConnection};
use procs::{cpu_micros, rss_kib, HttpServer, Implementation};
use stdio::StdioServer;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What one measurement of one server gathered (summed over rounds).
#[derive(Default, Clone)]
struct Sample {
    calls: u64,
    seconds: f64,
    cpu_micros: u64,
    latencies_micros: Vec<u32>,
}

impl Sample {
    fn add(&mut self, other: Sample) {
        self.calls += other.calls;
        self.seconds += other.seconds;
        self.cpu_micros += other.cpu_micros;
        self.latencies_micros.extend(other.latencies_micros);
    }
    fn rate(&self) -> f64 {
        self.calls as f64 / self.seconds
    }
    fn cpu_per_call(&self) -> f64 {
        self.cpu_micros as f64 / self.calls.max(1) as f64
    }
    fn percentile(&mut self, p: f64) -> f64 {
        if self.latencies_micros.is_empty() {
            return f64::NAN;
        }
        self.latencies_micros.sort_unstable();
        let index = ((self.latencies_micros.len() - 1) as f64 * p).round() as usize;
        self.latencies_micros[index] as f64
    }
}

/// Which way is better for a row.
#[derive(Clone, Copy, PartialEq)]
enum Better {
    Higher,
    Lower,
}

/// A target of the issue, checked on the row.
#[derive(Clone, Copy)]
enum Target {
    /// ferromcp / rmcp must be at least this.
    RatioAtLeast(f64),
    /// ferromcp / rmcp must be at most this.
    RatioAtMost(f64),
    /// ferromcp's value must be at most this.
    AtMost(f64),
}

struct Row {
    label: String,
    unit: &'static str,
    better: Better,
    values: BTreeMap<&'static str, f64>,
    target: Option<Target>,
}

struct Options {
    rounds: usize,
    seconds: f64,
    warmup: f64,
    idle_sessions: usize,
    stdio_sequential: usize,
    stdio_pipelined: usize,
    cold_starts: usize,
    long: bool,
    long_calls: u64,
    markdown: Option<PathBuf>,
    servers: Vec<String>,
    sections: Vec<String>,
}

fn parse_options() -> Options {
    let mut options = Options {
        rounds: 3,
        seconds: 2.0,
        warmup: 0.3,
        idle_sessions: 1000,
        stdio_sequential: 5000,
        stdio_pipelined: 20_000,
        cold_starts: 15,
        long: false,
        long_calls: 1_000_000,
        markdown: None,
        servers: vec!["ferromcp".into(), "rmcp".into(), "ceiling".into()],
        sections: ["http", "stateless", "echo", "sessions", "stdio", "cold"]
            .map(String::from)
            .to_vec(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--quick" => {
                options.rounds = 1;
                options.seconds = 0.6;
                options.warmup = 0.15;
                options.stdio_sequential = 1000;
                options.cold_starts = 5;
            }
            "--long" => options.long = true,
            "--long-calls" => {
                options.long_calls = value().parse().unwrap_or_else(|_| usage("--long-calls N"))
            }
            "--rounds" => options.rounds = value().parse().unwrap_or_else(|_| usage("--rounds N")),
            "--secs" => options.seconds = value().parse().unwrap_or_else(|_| usage("--secs S")),
            "--markdown" => options.markdown = Some(PathBuf::from(value())),
            "--servers" => options.servers = value().split(',').map(String::from).collect(),
            "--sections" => options.sections = value().split(',').map(String::from).collect(),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    options
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("bench-load: {problem}");
    }
    eprintln!("usage: bench-load [--quick] [--long] [--long-calls N] [--rounds N] [--secs S] [--markdown FILE] [--servers ferromcp,rmcp,ceiling] [--sections http,stateless,echo,sessions,stdio,cold]");
    std::process::exit(2);
}

fn implementations(options: &Options) -> Vec<Implementation> {
    let dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from))
        .unwrap_or_default();
    let all = [
        ("ferromcp", "bench-ferromcp", true),
        ("rmcp", "bench-rmcp", true),
        ("ceiling", "bench-ceiling", false),
    ];
    all.iter()
        .filter(|(name, _, _)| options.servers.iter().any(|s| s == name))
        .map(|&(name, binary, is_mcp)| Implementation {
            name,
            binary: dir.join(binary),
            is_mcp,
        })
        .collect()
}

fn main() -> Result<(), BoxError> {
    let options = parse_options();
    let implementations = implementations(&options);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rows: Vec<Row> = Vec::new();
    let has = |section: &str| options.sections.iter().any(|s| s == section);
    let started = Instant::now();

    let http_sections: Vec<(&str, Era, Call, &str)> = {
        let echo_text: Arc<str> = "x".repeat(100 * 1024).into();
        let mut sections = Vec::new();
        if has("http") {
            sections.push((
                "HTTP add, 2025-11-25 stateful",
                Era::Stateful,
                Call::Add,
                "http",
            ));
        }
        if has("stateless") {
            sections.push((
                "HTTP add, 2026-07-28 stateless",
                Era::Stateless,
                Call::Add,
                "stateless",
            ));
        }
        if has("echo") {
            sections.push((
                "HTTP echo 100 KB, 2025-11-25",
                Era::Stateful,
                Call::Echo(echo_text),
                "echo",
            ));
        }
        sections
    };
    if !http_sections.is_empty() {
        let servers: Vec<(Implementation, HttpServer)> = implementations
            .iter()
            .map(|i| HttpServer::start(i).map(|s| (i.clone(), s)))
            .collect::<Result<_, _>>()?;
        for (title, era, call, key) in &http_sections {
            for connections in [1usize, 16, 64] {
                let mut samples: BTreeMap<&'static str, Sample> = BTreeMap::new();
                for round in 0..options.rounds {
                    for (implementation, server) in &servers {
                        let sample = runtime.block_on(http_run(
                            server.addr,
                            server.pid(),
                            implementation.is_mcp,
                            *era,
                            call.clone(),
                            connections,
                            options.warmup,
                            options.seconds,
                        ));
                        let sample = sample.map_err(|e| {
                            format!("{} {title} x{connections}: {e}", implementation.name)
                        })?;
                        eprintln!(
                            "  {title}, {connections} conn, round {}: {:>8} {:>9.0} calls/s  cpu {:>6.1} us/call",
                            round + 1,
                            implementation.name,
                            sample.rate(),
                            sample.cpu_per_call()
                        );
                        samples.entry(implementation.name).or_default().add(sample);
                    }
                }
                let gated = connections >= 16;
                let calls_target = match *key {
                    "echo" if gated => Some(Target::RatioAtLeast(1.5)),
                    "http" | "stateless" if gated => Some(Target::RatioAtLeast(2.5)),
                    _ => None,
                };
                let cpu_target = match *key {
                    "http" | "stateless" if gated => Some(Target::RatioAtMost(0.35)),
                    _ => None,
                };
                let p99_target =
                    (connections == 64 && *key != "echo").then_some(Target::RatioAtMost(1.0));
                let label = format!("{title}, {connections} conn");
                let mut push =
                    |metric: &str, unit, better, target, f: &dyn Fn(&mut Sample) -> f64| {
                        let values = samples.iter_mut().map(|(name, s)| (*name, f(s))).collect();
                        rows.push(Row {
                            label: format!("{label}: {metric}"),
                            unit,
                            better,
                            values,
                            target,
                        });
                    };
                push("calls/s", "", Better::Higher, calls_target, &|s| s.rate());
                push("p50", "µs", Better::Lower, None, &|s| s.percentile(0.50));
                push("p99", "µs", Better::Lower, p99_target, &|s| {
                    s.percentile(0.99)
                });
                push(
                    "server CPU per call",
                    "µs",
                    Better::Lower,
                    cpu_target,
                    &|s| s.cpu_per_call(),
                );
            }
        }
    }

    if has("sessions") {
        let mut idle = BTreeMap::new();
        let mut after = BTreeMap::new();
        let mut per_session = BTreeMap::new();
        for implementation in implementations.iter().filter(|i| i.is_mcp) {
            let server = HttpServer::start(implementation)?;
            let (rss_idle, rss_after) = runtime
                .block_on(idle_sessions(
                    server.addr,
                    server.pid(),
                    options.idle_sessions,
                ))
                .map_err(|e| format!("{} idle sessions: {e}", implementation.name))?;
            eprintln!(
                "  idle sessions: {:>8} idle {rss_idle} KiB, after {} sessions {rss_after} KiB",
                implementation.name, options.idle_sessions
            );
            idle.insert(implementation.name, rss_idle as f64);
            after.insert(implementation.name, rss_after as f64);
            per_session.insert(
                implementation.name,
                (rss_after as f64 - rss_idle as f64) / options.idle_sessions as f64,
            );
        }
        rows.push(Row {
            label: "HTTP RSS idle".into(),
            unit: "KiB",
            better: Better::Lower,
            values: idle,
            target: None,
        });
        rows.push(Row {
            label: format!("HTTP RSS after {} idle sessions", options.idle_sessions),
            unit: "KiB",
            better: Better::Lower,
            values: after,
            target: None,
        });
        rows.push(Row {
            label: "HTTP RSS per idle session".into(),
            unit: "KiB",
            better: Better::Lower,
            values: per_session,
            target: Some(Target::AtMost(3.0)),
        });
    }

    let stdio_servers: Vec<&Implementation> = implementations.iter().filter(|i| i.is_mcp).collect();
    if has("stdio") {
        let mut sequential: BTreeMap<&'static str, Sample> = BTreeMap::new();
        let mut pipelined: BTreeMap<&'static str, Sample> = BTreeMap::new();
        for round in 0..options.rounds {
            for implementation in &stdio_servers {
                let (mut server, _) = StdioServer::start(implementation)?;
                // Warm-up: the first calls touch every path once.
                server.sequential(200)?;
                let latencies = server.sequential(options.stdio_sequential)?;
                let (elapsed, cpu) = server.pipelined(options.stdio_pipelined)?;
                let sample = Sample {
                    calls: options.stdio_pipelined as u64,
                    seconds: elapsed.as_secs_f64(),
                    cpu_micros: cpu,
                    latencies_micros: Vec::new(),
                };
                eprintln!(
                    "  stdio round {}: {:>8} pipelined {:>9.0} calls/s  cpu {:>6.1} us/call",
                    round + 1,
                    implementation.name,
                    sample.rate(),
                    sample.cpu_per_call()
                );
                pipelined
                    .entry(implementation.name)
                    .or_default()
                    .add(sample);
                sequential
                    .entry(implementation.name)
                    .or_default()
                    .add(Sample {
                        latencies_micros: latencies.iter().map(|d| d.as_micros() as u32).collect(),
                        ..Default::default()
                    });
            }
        }
        let mut push = |label: &str,
                        unit,
                        better,
                        target,
                        map: &mut BTreeMap<&'static str, Sample>,
                        f: &dyn Fn(&mut Sample) -> f64| {
            let values = map.iter_mut().map(|(name, s)| (*name, f(s))).collect();
            rows.push(Row {
                label: label.into(),
                unit,
                better,
                values,
                target,
            });
        };
        push(
            "stdio sequential: p50",
            "µs",
            Better::Lower,
            Some(Target::RatioAtMost(1.0)),
            &mut sequential,
            &|s| s.percentile(0.5),
        );
        push(
            "stdio sequential: p99",
            "µs",
            Better::Lower,
            None,
            &mut sequential,
            &|s| s.percentile(0.99),
        );
        let title = format!(
            "stdio pipelined ({} in flight): calls/s",
            options.stdio_pipelined
        );
        push(
            &title,
            "",
            Better::Higher,
            Some(Target::RatioAtLeast(5.0)),
            &mut pipelined,
            &|s| s.rate(),
        );
        push(
            "stdio pipelined: server CPU per call",
            "µs",
            Better::Lower,
            None,
            &mut pipelined,
            &|s| s.cpu_per_call(),
        );
    }

    if has("cold") {
        let mut times: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
        for _ in 0..options.cold_starts {
            for implementation in &stdio_servers {
                let (_server, cold) = StdioServer::start(implementation)?;
                times
                    .entry(implementation.name)
                    .or_default()
                    .push(cold.as_secs_f64() * 1000.0);
            }
        }
        let values = times
            .into_iter()
            .map(|(name, mut t)| {
                t.sort_by(f64::total_cmp);
                (name, t[t.len() / 2])
            })
            .collect();
        rows.push(Row {
            label: "cold start, spawn to initialize answer (median)".into(),
            unit: "ms",
            better: Better::Lower,
            values,
            target: Some(Target::RatioAtMost(1.0)),
        });
    }

    if options.long {
        let mut warm = BTreeMap::new();
        let mut end = BTreeMap::new();
        let mut growth = BTreeMap::new();
        for implementation in implementations.iter().filter(|i| i.is_mcp) {
            let server = HttpServer::start(implementation)?;
            let (rss_warm, rss_end, seconds) = runtime
                .block_on(long_run(server.addr, server.pid(), options.long_calls))
                .map_err(|e| format!("{} long run: {e}", implementation.name))?;
            eprintln!(
                "  long run: {:>8} {} calls in {seconds:.0} s, RSS after warm-up {rss_warm} KiB, at the end {rss_end} KiB",
                implementation.name, options.long_calls
            );
            warm.insert(implementation.name, rss_warm as f64);
            end.insert(implementation.name, rss_end as f64);
            growth.insert(implementation.name, rss_end as f64 - rss_warm as f64);
        }
        let calls = options.long_calls;
        rows.push(Row {
            label: format!("{calls} calls (16 conn): RSS after warm-up (100k calls)"),
            unit: "KiB",
            better: Better::Lower,
            values: warm,
            target: None,
        });
        rows.push(Row {
            label: format!("{calls} calls (16 conn): RSS at the end"),
            unit: "KiB",
            better: Better::Lower,
            values: end,
            target: None,
        });
        rows.push(Row {
            label: format!("{calls} calls (16 conn): RSS growth after warm-up"),
            unit: "KiB",
            better: Better::Lower,
            values: growth,
            target: Some(Target::AtMost(512.0)),
        });
    }

    let table = render(&rows, &options, started.elapsed());
    println!("{table}");
    if let Some(path) = &options.markdown {
        std::fs::write(path, &table)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// One timed load: `connections` keep-alive connections, each its own session, calling in a
/// loop; calls that start after the warm-up and end before the deadline count.
async fn http_run(
    addr: SocketAddr,
    pid: u32,
    check: bool,
    era: Era,
    call: Call,
    connections: usize,
    warmup: f64,
    seconds: f64,
) -> Result<Sample, BoxError> {
    let mut opened = Vec::with_capacity(connections);
    for _ in 0..connections {
        opened.push(tokio::spawn(async move {
            McpConnection::open(addr, era, check).await
        }));
    }
    let mut ready = Vec::with_capacity(connections);
    for task in opened {
        let mut connection = task.await??;
        connection.verify(&call).await?;
        ready.push(connection);
    }
    let begin = Instant::now() + Duration::from_secs_f64(warmup);
    let end = begin + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::with_capacity(connections);
    for mut connection in ready {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            loop {
                let started = Instant::now();
                if started >= end {
                    break;
                }
                let latency = connection.call(&call).await?;
                if started >= begin && started + latency <= end {
                    latencies.push(latency.as_micros() as u32);
                }
            }
            connection.close().await;
            Ok::<_, BoxError>(latencies)
        }));
    }
    tokio::time::sleep_until(begin.into()).await;
    let cpu_before = cpu_micros(pid);
    tokio::time::sleep_until(end.into()).await;
    let cpu = cpu_micros(pid).saturating_sub(cpu_before);
    let mut sample = Sample {
        seconds,
        cpu_micros: cpu,
        ..Default::default()
    };
    for task in tasks {
        sample.latencies_micros.extend(task.await??);
    }
    sample.calls = sample.latencies_micros.len() as u64;
    Ok(sample)
}

/// RSS after one warm-up session (idle), and after `count` more sessions left open.
async fn idle_sessions(addr: SocketAddr, pid: u32, count: usize) -> Result<(u64, u64), BoxError> {
    let mut warm = McpConnection::open(addr, Era::Stateful, true).await?;
    warm.verify(&Call::Add).await?;
    warm.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(pid);
    let workers = 4;
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let share = count / workers + usize::from(worker < count % workers);
        tasks.push(tokio::spawn(async move {
            let mut connection = McpConnection::open(addr, Era::Stateful, true).await?;
            for _ in 1..share {
                connection.initialize().await?;
            }
            Ok::<_, BoxError>(connection)
        }));
    }
    let mut keep = Vec::new();
    for task in tasks {
        keep.push(task.await??);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    drop(keep);
    Ok((idle, after))
}

/// `total` calls of `add` over 16 stateful connections; RSS after the first 100,000 and at
/// the end.
async fn long_run(addr: SocketAddr, pid: u32, total: u64) -> Result<(u64, u64, f64), BoxError> {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = McpConnection::open(addr, Era::Stateful, true).await?;
            while done.fetch_add(1, Ordering::Relaxed) < total {
                connection.call(&Call::Add).await?;
            }
            connection.close().await;
            Ok::<_, BoxError>(())
        }));
    }
    let warm_at = 100_000.min(total / 2);
    let mut rss_warm = None;
    while done.load(Ordering::Relaxed) < total {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if rss_warm.is_none() && done.load(Ordering::Relaxed) >= warm_at {
            rss_warm = Some(rss_kib(pid));
        }
    }
    for task in tasks {
        task.await??;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_end = rss_kib(pid);
    Ok((
        rss_warm.unwrap_or(rss_end),
        rss_end,
        started.elapsed().as_secs_f64(),
    ))
}

fn format_value(value: f64, unit: &str) -> String {
    if value.is_nan() {
        return "–".into();
    }
    let number = if unit == "ms" {
        format!("{value:.2}")
    } else if unit == "KiB" && value.abs() < 100.0 {
        format!("{value:.1}")
    } else if value.abs() < 10.0 && unit == "µs" {
        format!("{value:.1}")
    } else {
        let rounded = value.round() as i64;
        let digits = rounded.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if rounded < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    };
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
}

fn render(rows: &[Row], options: &Options, elapsed: Duration) -> String {
    let mut out = String::new();
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Measured {} on {} cores; {} round(s) of {} s per cell, interleaved; the run took {:.0} s.\n",
        date.trim(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        options.rounds,
        options.seconds,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(out, "| measurement | ferromcp | rmcp | ceiling | ferromcp / rmcp | ferromcp / ceiling | target | met |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|---|");
    for row in rows {
        let get = |name: &str| row.values.get(name).copied().unwrap_or(f64::NAN);
        let (ferro, rmcp, ceiling) = (get("ferromcp"), get("rmcp"), get("ceiling"));
        let ratio = |a: f64, b: f64| {
            if a.is_nan() || b.is_nan() || b == 0.0 {
                "–".to_string()
            } else {
                format!("{:.2}×", a / b)
            }
        };
        let (target, met) = match row.target {
            None => ("".to_string(), "".to_string()),
            Some(target) => {
                let (text, ok) = match target {
                    Target::RatioAtLeast(r) => (format!("≥ {r}× rmcp"), ferro / rmcp >= r),
                    Target::RatioAtMost(r) => (format!("≤ {r}× rmcp"), ferro / rmcp <= r),
                    Target::AtMost(v) => (format!("≤ {}", format_value(v, row.unit)), ferro <= v),
                };
                let unknown =
                    ferro.is_nan() || (rmcp.is_nan() && !matches!(target, Target::AtMost(_)));
                (
                    text,
                    if unknown {
                        "?".into()
                    } else if ok {
                        "yes".into()
                    } else {
                        "**no**".into()
                    },
                )
            }
        };
        let _ = row.better;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.label,
            format_value(ferro, row.unit),
            format_value(rmcp, row.unit),
            format_value(ceiling, row.unit),
            ratio(ferro, rmcp),
            ratio(ferro, ceiling),
            target,
            met
        );
    }
    out
}
