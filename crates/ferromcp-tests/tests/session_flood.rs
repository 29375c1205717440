//! Session floods against the real Streamable HTTP server on 127.0.0.1: anonymous
//! `initialize` requests must not fill the session table and lock everyone else out for the
//! idle timeout. A full table makes room by ending a session nobody uses (never set up
//! first, then the least recently used); sessions in use are never ended; a principal or a
//! client address at its cap makes room among its own sessions, or gets 429; legacy
//! HTTP+SSE sessions count against the same limits.
//!
//! Two client addresses are had on one machine by binding the client's side of the
//! connection to 127.0.0.2, 127.0.0.3, ... (all loopback on Linux).

mod fault_support;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use fault_support::*;
use ferromcp::server::ServerConfig;
use ferromcp_http::server::HttpServerConfig;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const ALICE: &str = "Bearer alice-token";
const BOB: &str = "Bearer bob-token";

/// One client of the server: its own connection pool, from its own address, with its own
/// credentials.
struct Client {
    http: reqwest::Client,
    url: String,
    authorization: Option<&'static str>,
}

impl Client {
    fn of(t: &Http) -> Client {
        Client {
            http: reqwest::Client::new(),
            url: t.url.clone(),
            authorization: None,
        }
    }

    /// A client connecting from `local` (a loopback address other than 127.0.0.1).
    fn from(t: &Http, local: &str) -> Client {
        let local: IpAddr = local.parse().unwrap();
        Client {
            http: reqwest::Client::builder()
                .local_address(local)
                .build()
                .unwrap(),
            ..Client::of(t)
        }
    }

    fn with_auth(mut self, authorization: &'static str) -> Client {
        self.authorization = Some(authorization);
        self
    }

    fn post(&self, session: Option<&str>, body: &Value) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", ACCEPT_BOTH)
            .body(body.to_string());
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", VERSION);
        }
        if let Some(authorization) = self.authorization {
            request = request.header("authorization", authorization);
        }
        request
    }

    async fn send(&self, session: Option<&str>, body: &Value) -> reqwest::Response {
        self.post(session, body)
            .send()
            .await
            .expect("the server answers")
    }

    /// An `initialize`, answered as it is (no follow-up).
    async fn try_initialize(&self) -> reqwest::Response {
        self.send(None, &initialize_body(0, json!({}))).await
    }

    /// `initialize` and nothing else, as a flooder would: the session id.
    async fn initialize_only(&self) -> String {
        let response = self.try_initialize().await;
        assert_eq!(response.status(), 200, "initialize succeeds");
        response.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string()
    }

    /// `initialize` then `notifications/initialized`, as a well-behaved client does.
    async fn initialize(&self) -> String {
        let session = self.initialize_only().await;
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert_eq!(self.send(Some(&session), &initialized).await.status(), 202);
        session
    }

    /// Calls `add` in `session`; its sum.
    async fn add(&self, session: &str, a: i64, b: i64) -> String {
        let body = call_body(7, "add", json!({"a": a, "b": b}));
        let response = self.send(Some(session), &body).await;
        assert_eq!(response.status(), 200, "tools/call in {session}");
        let answer = response_of(response, 7).await;
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("a sum: {answer}"))
            .to_string()
    }

    /// The status of a ping in `session` (200 while it lives, 404 once ended).
    async fn ping(&self, session: &str) -> u16 {
        let body = json!({"jsonrpc": "2.0", "id": 9, "method": "ping"});
        self.send(Some(session), &body).await.status().as_u16()
    }

    /// Opens the session's standalone GET stream and reads its first event: the session is
    /// in use while the stream stays open.
    async fn open_stream(&self, session: &str) -> Sse {
        let mut request = self
            .http
            .get(&self.url)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", VERSION);
        if let Some(authorization) = self.authorization {
            request = request.header("authorization", authorization);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let mut stream = Sse::new(response);
        assert!(stream.next().await.is_some(), "the priming event");
        stream
    }
}

/// `count` sessions opened by `client`, `parallel` at a time, each `initialize` only or
/// followed by `notifications/initialized`; every one must be let in. Their ids, in order.
async fn flood(client: &Client, count: usize, parallel: usize, set_up: bool) -> Vec<String> {
    futures::stream::iter(0..count)
        .map(|_| async move {
            if set_up {
                client.initialize().await
            } else {
                client.initialize_only().await
            }
        })
        .buffered(parallel)
        .collect()
        .await
}

/// The status and JSON-RPC error code of a refusal.
async fn refusal(response: reqwest::Response) -> (u16, i64, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON-RPC error body");
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert_eq!(body["id"], Value::Null, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or("").to_string();
    (status, body["error"]["code"].as_i64().unwrap(), message)
}

fn authenticated() -> HttpServerConfig {
    http_config().authenticate(|headers| {
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some(ALICE) => Ok(Some("alice".to_string())),
            Some(BOB) => Ok(Some("bob".to_string())),
            _ => Err("a valid bearer token is required".to_string()),
        }
    })
}

// ---- a full table makes room ----------------------------------------------------------

/// (a) 2,000 `initialize` requests never followed up, against a table of 50: each is let
/// in by ending a session nobody uses, and so is the newcomer after them, who calls a tool.
#[tokio::test]
async fn a_flood_of_initializes_never_followed_up_does_not_lock_out_the_next_client() {
    let t = start_example_server(ServerConfig::default(), http_config().max_sessions(50)).await;
    let client = Client::of(&t);
    let started = Instant::now();
    let flooded = flood(&client, 2000, 8, false).await;
    eprintln!(
        "2,000 initializes past a table of 50: {:?}",
        started.elapsed()
    );

    let newcomer = client.initialize().await;
    assert_eq!(client.add(&newcomer, 1, 2).await, "3");
    assert_eq!(
        client.ping(&flooded[0]).await,
        404,
        "evicted: as if expired"
    );
    assert_eq!(client.ping(flooded.last().unwrap()).await, 200);
    let stats = t.handle().stats();
    assert_eq!(stats.sessions, 50);
    assert_eq!(stats.sessions_evicted, 2001 - 50);
}

/// Sessions never set up (no request after `initialize`) go before idle sessions that
/// were, once their clients had a second to come back: a session set up before the flood
/// outlives the flood's older sessions.
#[tokio::test]
async fn sessions_never_set_up_are_evicted_before_idle_ones_that_were() {
    let t = start_example_server(ServerConfig::default(), http_config().max_sessions(50)).await;
    let client = Client::of(&t);
    let resident = client.initialize().await;
    let early = flood(&client, 49, 8, false).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let late = flood(&client, 49, 8, false).await;
    assert_eq!(client.add(&resident, 2, 2).await, "4", "set up: kept");
    for session in &early {
        assert_eq!(client.ping(session).await, 404);
    }
    for session in &late {
        assert_eq!(client.ping(session).await, 200);
    }
}

/// (b) 2,000 sessions set up and left idle, against a table of 50: each newcomer ends the
/// least recently used one, so a session used lately outlives older idle ones.
#[tokio::test]
async fn a_flood_of_idle_initialized_sessions_does_not_lock_out_the_next_client() {
    let t = start_example_server(ServerConfig::default(), http_config().max_sessions(50)).await;
    let client = Client::of(&t);
    let started = Instant::now();
    let flooded = flood(&client, 2000, 8, true).await;
    eprintln!(
        "2,000 initialized sessions past a table of 50: {:?}",
        started.elapsed()
    );
    assert_eq!(t.handle().stats().sessions, 50);
    // The 50 left are the latest; the oldest of them is used now, so the next newcomer
    // ends the one after it instead.
    let (oldest, next) = (&flooded[1950], &flooded[1951]);
    assert_eq!(client.ping(oldest).await, 200);

    let newcomer = client.initialize().await;
    assert_eq!(client.add(&newcomer, 40, 2).await, "42");
    assert_eq!(client.ping(next).await, 404, "the least recently used went");
    assert_eq!(client.ping(oldest).await, 200, "used lately: kept");
    assert_eq!(client.ping(&flooded[0]).await, 404);
    assert_eq!(t.handle().stats().sessions_evicted, 2001 - 50);
}

/// (c) Sessions with a stream open or a request in flight (also one whose client went
/// away and may still resume) are never ended to make room; an idle one is; when every
/// session is in use, the newcomer gets 503.
#[tokio::test]
async fn sessions_in_use_are_never_evicted_and_a_table_in_use_answers_503() {
    let t = start_example_server(ServerConfig::default(), http_config().max_sessions(4)).await;
    let client = Client::of(&t);
    // A: its GET stream open.
    let a = client.initialize().await;
    let mut a_stream = client.open_stream(&a).await;
    // B: a tool call being answered (an SSE stream of progress).
    let b = client.initialize().await;
    let b_call = client
        .send(Some(&b), &call_body(3, "slow", json!({"millis": 1500})))
        .await;
    let mut b_call = Sse::new(b_call);
    assert!(b_call.next_message().await.is_some(), "progress first");
    // C: a tool call whose client went away: its handler runs on, awaiting a resume.
    let c = client.initialize().await;
    let c_call = client
        .send(Some(&c), &call_body(4, "slow", json!({"millis": 3000})))
        .await;
    let mut c_call = Sse::new(c_call);
    assert!(c_call.next_message().await.is_some(), "progress first");
    drop(c_call);
    eventually("C's stream detached", || {
        t.handle().stats().attached_streams == 2
    })
    .await;
    // D: set up, then idle.
    let d = client.initialize().await;
    assert_eq!(t.handle().stats().sessions, 4);

    // The newcomer takes D's place, and keeps its own in use.
    let e = client.initialize().await;
    assert_eq!(client.ping(&d).await, 404, "the idle one made room");
    let _e_stream = client.open_stream(&e).await;

    // Every session in use: 503, as before this change.
    let refused = client.try_initialize().await;
    let (status, code, message) = refusal(refused).await;
    assert_eq!((status, code), (503, -32000), "{message}");
    assert!(message.contains("too many sessions"), "{message}");

    // None of those in use was touched.
    for session in [&a, &b, &c, &e] {
        assert_eq!(client.ping(session).await, 200);
    }
    let mut finished = None;
    while let Some((_, message)) = b_call.next_message().await {
        if message["id"] == 3 {
            finished = Some(message);
            break;
        }
    }
    assert_eq!(
        finished.expect("B's answer")["result"]["content"][0]["text"],
        "finished"
    );
    client.add(&a, 1, 1).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), a_stream.next())
            .await
            .map_or(true, |event| event.is_some()),
        "A's stream is still open"
    );
    assert_eq!(t.handle().stats().sessions_evicted, 1);
}

// ---- caps per principal and per address -----------------------------------------------

/// (d) With `max_sessions_per_principal`, a principal flooding the server only recycles
/// its own places: the table is full, yet another principal's older idle sessions are not
/// the ones ended; the flooder's own oldest is. All of its sessions in use: 429.
#[tokio::test]
async fn a_principal_at_its_cap_ends_its_own_oldest_idle_session_not_anothers() {
    let config = authenticated()
        .max_sessions(8)
        .max_sessions_per_principal(Some(5))
        .max_sessions_per_address(None);
    let t = start_example_server(ServerConfig::default(), config).await;
    let bob = Client::of(&t).with_auth(BOB);
    let alice = Client::of(&t).with_auth(ALICE);
    let bobs = flood(&bob, 3, 1, true).await;

    let alices = flood(&alice, 200, 1, true).await;
    assert_eq!(t.handle().stats().sessions, 8, "the table is full");
    assert_eq!(
        alice.ping(&alices[0]).await,
        404,
        "alice's oldest went first"
    );
    assert_eq!(alice.ping(&alices[194]).await, 404);
    for session in &alices[195..] {
        assert_eq!(alice.ping(session).await, 200);
    }
    for session in &bobs {
        assert_eq!(
            bob.add(session, 2, 3).await,
            "5",
            "bob's older sessions are kept"
        );
    }

    // Alice with every session in use: refused, without touching anyone else's.
    let mut streams = Vec::new();
    for session in &alices[195..] {
        streams.push(alice.open_stream(session).await);
    }
    let (status, code, message) = refusal(alice.try_initialize().await).await;
    assert_eq!((status, code), (429, -32000), "{message}");
    assert!(message.contains("principal"), "{message}");
    assert_eq!(t.handle().stats().sessions, 8);

    // Bob still gets in: the table is full, and the only sessions not in use are his own,
    // so his least recently used one makes room.
    let newcomer = bob.initialize().await;
    assert_eq!(bob.add(&newcomer, 1, 1).await, "2");
    assert_eq!(bob.ping(&bobs[0]).await, 404);
    assert_eq!(bob.ping(&bobs[1]).await, 200);
    for session in &alices[195..] {
        assert_eq!(alice.ping(session).await, 200, "in use: kept");
    }
}

/// (e) With `max_sessions_per_address` (on by default for `serve`), a host flooding the
/// server only recycles its own places; another host's older idle sessions are kept. All
/// of the flooder's sessions in use: 429.
#[tokio::test]
async fn an_address_at_its_cap_ends_its_own_oldest_idle_session_not_anothers() {
    let config = http_config()
        .max_sessions(8)
        .max_sessions_per_address(Some(5));
    let t = start_example_server(ServerConfig::default(), config).await;
    let victim = Client::from(&t, "127.0.0.3");
    let flooder = Client::from(&t, "127.0.0.2");
    let kept = flood(&victim, 3, 1, true).await;

    let flooded = flood(&flooder, 500, 4, false).await;
    assert_eq!(t.handle().stats().sessions, 8, "the table is full");
    for session in &kept {
        assert_eq!(
            victim.add(session, 3, 4).await,
            "7",
            "the other host's are kept"
        );
    }
    assert_eq!(flooder.ping(&flooded[0]).await, 404);
    for session in &flooded[495..] {
        assert_eq!(flooder.ping(session).await, 200);
    }
    // Its sessions all in use: refused.
    let mut streams = Vec::new();
    for session in &flooded[495..] {
        streams.push(flooder.open_stream(session).await);
    }
    let (status, code, message) = refusal(flooder.try_initialize().await).await;
    assert_eq!((status, code), (429, -32000), "{message}");
    assert!(message.contains("address"), "{message}");
    // A third host still gets in.
    let third = Client::from(&t, "127.0.0.4");
    let session = third.initialize().await;
    assert_eq!(third.add(&session, 1, 2).await, "3");
}

/// The default configuration caps each address at 1,000 sessions; `None` lifts the cap
/// (behind a reverse proxy every client shares the proxy's address).
#[tokio::test]
async fn the_per_address_cap_defaults_to_1000_and_can_be_disabled() {
    let config = HttpServerConfig::default();
    assert_eq!(config.max_sessions_per_address, Some(1000));
    assert_eq!(config.max_sessions_per_principal, Some(1000));

    let capped = http_config().max_sessions_per_address(Some(2));
    let t = start_example_server(ServerConfig::default(), capped).await;
    let client = Client::of(&t);
    let first = client.initialize().await;
    flood(&client, 2, 1, true).await;
    assert_eq!(client.ping(&first).await, 404, "capped at 2 per address");

    for off in [None, Some(0)] {
        let uncapped = http_config().max_sessions_per_address(off);
        let t = start_example_server(ServerConfig::default(), uncapped).await;
        let client = Client::of(&t);
        let sessions = flood(&client, 5, 1, true).await;
        for session in &sessions {
            assert_eq!(client.ping(session).await, 200, "no cap with {off:?}");
        }
        assert_eq!(t.handle().stats().sessions_evicted, 0);
    }
}

// ---- legacy HTTP+SSE ------------------------------------------------------------------

/// Opens a legacy `/sse` stream from `client`: its status, and the stream when it opened.
async fn open_legacy(client: &Client) -> (u16, Option<Sse>) {
    let url = client.url.replace("/mcp", "/sse");
    let response = client
        .http
        .get(url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status != 200 {
        return (status, None);
    }
    let mut stream = Sse::new(response);
    let endpoint = stream.next().await.expect("the endpoint event");
    assert_eq!(endpoint.event, "endpoint");
    (status, Some(stream))
}

/// Legacy sessions share `max_sessions` and the caps: a host cannot pass its cap by
/// opening `/sse` streams (which are always in use, so never evicted), and a legacy
/// newcomer to a full table makes room like any other.
#[tokio::test]
async fn legacy_sessions_count_against_the_caps_and_make_room_like_any_newcomer() {
    let config = http_config()
        .http_sse(true)
        .max_sessions(4)
        .max_sessions_per_address(Some(2));
    let t = start_example_server(ServerConfig::default(), config).await;
    let flooder = Client::from(&t, "127.0.0.2");
    let (_, first) = open_legacy(&flooder).await;
    let (_, second) = open_legacy(&flooder).await;
    assert!(first.is_some() && second.is_some());
    let (status, third) = open_legacy(&flooder).await;
    assert_eq!(
        (status, third.is_none()),
        (429, true),
        "a third /sse is over the cap"
    );
    let (status, code, _) = refusal(flooder.try_initialize().await).await;
    assert_eq!(
        (status, code),
        (429, -32000),
        "and so is a Streamable session"
    );

    // Another host fills the table with idle sessions; a legacy newcomer ends the oldest.
    let idle = Client::from(&t, "127.0.0.3");
    let sessions = flood(&idle, 2, 1, true).await;
    assert_eq!(t.handle().session_count(), 4);
    let newcomer = Client::from(&t, "127.0.0.4");
    let (status, stream) = open_legacy(&newcomer).await;
    assert_eq!(status, 200);
    assert!(stream.is_some());
    assert_eq!(idle.ping(&sessions[0]).await, 404);
    assert_eq!(idle.ping(&sessions[1]).await, 200);
    let stats = t.handle().stats();
    assert_eq!((stats.sessions, stats.http_sse_sessions), (1, 3));
    // A table of streams in use: 503.
    let (_, other) = open_legacy(&Client::from(&t, "127.0.0.5")).await;
    assert!(other.is_some(), "the last idle session made room");
    let (status, _) = open_legacy(&Client::from(&t, "127.0.0.6")).await;
    assert_eq!(status, 503);
}

// ---- at the scale of the report -------------------------------------------------------

/// `count` bare `initialize` requests over `connections` raw HTTP/1.1 keep-alive
/// connections (reqwest would double the time of a debug build); each must be answered
/// 200 with a session id.
async fn raw_flood(addr: SocketAddr, count: usize, connections: usize) {
    let body = initialize_body(0, json!({})).to_string();
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: {ACCEPT_BOTH}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let tasks: Vec<_> = (0..connections)
        .map(|i| {
            let request = request.clone();
            let share = count / connections + usize::from(i < count % connections);
            tokio::spawn(async move {
                let mut stream = BufReader::new(TcpStream::connect(addr).await.unwrap());
                for _ in 0..share {
                    stream
                        .get_mut()
                        .write_all(request.as_bytes())
                        .await
                        .unwrap();
                    let (mut length, mut session) = (0, false);
                    let mut status = String::new();
                    stream.read_line(&mut status).await.unwrap();
                    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
                    loop {
                        let mut line = String::new();
                        stream.read_line(&mut line).await.unwrap();
                        if line == "\r\n" {
                            break;
                        }
                        let line = line.to_ascii_lowercase();
                        if let Some(value) = line.strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap();
                        }
                        session |= line.starts_with("mcp-session-id:");
                    }
                    assert!(session, "a session id");
                    let mut answer = vec![0; length];
                    stream.read_exact(&mut answer).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// 12,000 `initialize` requests against the default configuration (10,000 sessions at
/// most, 1,000 per address): the flood recycles its address's 1,000 places, and the next
/// client, from the same address even, gets in.
#[tokio::test]
async fn twelve_thousand_initializes_against_the_default_config_lock_nobody_out() {
    let t = start_example_server(ServerConfig::default(), HttpServerConfig::default()).await;
    let started = Instant::now();
    raw_flood(t.addr, 12_000, 8).await;
    eprintln!(
        "12,000 initializes, default config: {:?}",
        started.elapsed()
    );
    let stats = t.handle().stats();
    assert_eq!((stats.sessions, stats.sessions_evicted), (1000, 11_000));
    let client = Client::of(&t);
    let session = client.initialize().await;
    assert_eq!(client.add(&session, 20, 22).await, "42");
}

/// The same flood with no per-address cap fills the whole table of 10,000, then each
/// `initialize` ends the oldest session never set up (a look at the front of an order,
/// not a scan of the table); one set up before the flood is kept.
#[tokio::test]
async fn twelve_thousand_initializes_fill_the_table_and_lock_nobody_out() {
    let config = HttpServerConfig::default().max_sessions_per_address(None);
    let t = start_example_server(ServerConfig::default(), config).await;
    let client = Client::of(&t);
    let resident = client.initialize().await;
    let started = Instant::now();
    raw_flood(t.addr, 12_000, 8).await;
    eprintln!(
        "12,000 initializes, no per-address cap: {:?}",
        started.elapsed()
    );
    let stats = t.handle().stats();
    assert_eq!((stats.sessions, stats.sessions_evicted), (10_000, 2001));
    let session = client.initialize().await;
    assert_eq!(client.add(&session, 20, 22).await, "42");
    assert_eq!(client.add(&resident, 1, 1).await, "2", "set up: kept");
}
