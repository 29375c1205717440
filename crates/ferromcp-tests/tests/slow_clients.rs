//! Slow and flooding clients against the real Streamable HTTP server on 127.0.0.1, over
//! raw sockets: half-sent request heads, bodies that never finish, idle keep-alive
//! connections and more connections than the caps allow. Each must be dropped (or
//! refused) within a bounded time while a normal client keeps being served.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferromcp::client::Client;
use ferromcp::server::ServerConfig;
use ferromcp_http::server::{serve, ConnectionLimits, HttpServerConfig, HttpServerHandle};
use ferromcp_tests::example_server;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

/// The timeouts the tests configure: short, so a test takes seconds.
const HEAD_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(1);
/// How much later than its timeout a connection may be closed (scheduling on a busy
/// 2-core CI machine).
const SLACK: Duration = Duration::from_secs(4);

async fn start(limits: ConnectionLimits) -> (HttpServerHandle, SocketAddr) {
    let config = HttpServerConfig::default()
        .connections(limits)
        .body_read_timeout(BODY_TIMEOUT);
    let server = serve(
        example_server::build_server(ServerConfig::default()),
        "127.0.0.1:0",
        config,
    )
    .await
    .expect("bind 127.0.0.1");
    let addr = server.local_addr();
    (server, addr)
}

fn limits(max_connections: usize, per_address: Option<usize>) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        max_connections_per_address: per_address,
        header_read_timeout: HEAD_TIMEOUT,
    }
}

/// A normal client's whole conversation: connect, initialize, call `add`.
async fn normal_call(addr: SocketAddr) -> Result<String, String> {
    let url = format!("http://{addr}/mcp");
    let call = async {
        let client = ferromcp_http::client::connect(Client::builder("normal", "1.0.0"), &url)
            .await
            .map_err(|e| e.to_string())?;
        let result = client
            .call_tool("add", json!({"a": 2, "b": 3}))
            .await
            .map_err(|e| e.to_string())?;
        Ok(result.text())
    };
    timeout(Duration::from_secs(20), call)
        .await
        .map_err(|_| "the normal call did not finish in 20 s".to_string())?
}

/// Opens a connection to `addr` from the local address `from`.
async fn connect_from(from: &str, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(addr).await.expect("connect")
}

/// Waits until the server closes `stream` (EOF or reset), reading and discarding what it
/// sends; the time it took, or `None` if it is still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let began = Instant::now();
    let mut sink = [0u8; 4096];
    let wait = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    timeout(within, wait).await.ok().map(|()| began.elapsed())
}

#[tokio::test]
async fn half_sent_heads_are_dropped_in_bounded_time_while_a_normal_client_is_served() {
    let (server, addr) = start(limits(1024, Some(256))).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
            .await
            .unwrap();
        slow.push(stream);
    }
    assert_eq!(normal_call(addr).await.as_deref(), Ok("5"));

    // Every half-sent head is dropped within its timeout (plus scheduling slack), counted
    // from now: they were all sent before the normal call began.
    let deadline = HEAD_TIMEOUT + SLACK;
    let waits = slow
        .iter_mut()
        .map(|stream| closed_within(stream, deadline));
    let closed = futures::future::join_all(waits).await;
    let still_open = closed.iter().filter(|c| c.is_none()).count();
    assert_eq!(
        still_open, 0,
        "half-sent heads still open after {deadline:?}"
    );
    assert_eq!(normal_call(addr).await.as_deref(), Ok("5"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_that_never_finishes_gets_408_and_its_connection_is_closed() {
    let (server, addr) = start(limits(1024, Some(256))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Accept: application/json, text/event-stream\r\nContent-Length: 4000000\r\n\r\n\
              {\"jsonrpc\":",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = timeout(BODY_TIMEOUT + SLACK, stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the connection is still open after {:?}",
        BODY_TIMEOUT + SLACK
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within"), "{answer}");
    assert_eq!(normal_call(addr).await.as_deref(), Ok("5"));
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_head_timeout() {
    let (server, addr) = start(limits(1024, Some(256))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // A complete request (405: GET speaks no revision), answered on a kept-alive connection.
    stream
        .write_all(b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert!(first.starts_with(b"HTTP/1.1 "), "{first:?}");
    let waited = closed_within(&mut stream, HEAD_TIMEOUT + SLACK).await;
    assert!(waited.is_some(), "an idle connection is still open");
    server.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_total_cap_are_refused_until_some_close() {
    let (server, addr) = start(ConnectionLimits {
        header_read_timeout: Duration::from_secs(60),
        ..limits(40, None)
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..40 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // Let the server accept all forty before the next one arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut refused = TcpStream::connect(addr).await.unwrap();
    let mut answer = Vec::new();
    let _ = timeout(SLACK, refused.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(
        normal_call(addr).await.is_err(),
        "the cap let a 41st connection in"
    );

    // Once a few close, a normal client gets in again.
    held.truncate(30);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(normal_call(addr).await.as_deref(), Ok("5"));
    drop(held);
    server.shutdown().await;
}

#[tokio::test]
async fn one_address_cannot_take_the_connections_of_another() {
    let (server, addr) = start(ConnectionLimits {
        header_read_timeout: Duration::from_secs(60),
        ..limits(1024, Some(20))
    })
    .await;
    // 127.0.0.2 is a loopback address too: a second client host on one machine.
    let mut flood = Vec::new();
    for _ in 0..60 {
        flood.push(connect_from("127.0.0.2", addr).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut open = 0;
    for stream in &mut flood {
        // A refused connection was answered 503 and closed; an accepted one waits.
        let mut answer = Vec::new();
        match timeout(Duration::from_millis(50), stream.read_to_end(&mut answer)).await {
            Err(_) => open += 1,
            Ok(_) => {
                let answer = String::from_utf8_lossy(&answer);
                assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
            }
        }
    }
    assert_eq!(
        open, 20,
        "the per-address cap holds 127.0.0.2 to 20 connections"
    );
    // 127.0.0.1 is served all the same.
    assert_eq!(normal_call(addr).await.as_deref(), Ok("5"));
    drop(flood);
    server.shutdown().await;
}

#[tokio::test]
async fn a_call_that_outlasts_the_head_timeout_is_answered() {
    // The head timeout runs only while the server waits for a request head: not while a
    // handler works, nor while an answer streams.
    let (server, addr) = start(limits(1024, Some(256))).await;
    let url = format!("http://{addr}/mcp");
    let client = ferromcp_http::client::connect(Client::builder("patient", "1.0.0"), &url)
        .await
        .expect("connect");
    let millis = (HEAD_TIMEOUT * 3).as_millis() as u64;
    let slow = timeout(
        Duration::from_secs(30),
        client.call_tool("slow", json!({"millis": millis})),
    )
    .await
    .expect("an answer within 30 s")
    .expect("the slow call succeeds");
    assert_eq!(slow.text(), "finished");
    server.shutdown().await;
}

#[test]
fn the_default_limits_are_finite() {
    let limits = HttpServerConfig::default().connections;
    assert!(limits.max_connections > 0 && limits.max_connections <= 4096);
    assert!(limits.max_connections_per_address.is_some());
    assert!(limits.header_read_timeout <= Duration::from_secs(60));
    assert!(HttpServerConfig::default().body_read_timeout <= Duration::from_secs(60));
}
