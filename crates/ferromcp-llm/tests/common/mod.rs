//! A scripted stub HTTP server on 127.0.0.1 that records what it receives.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One request the stub saw.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
        }
    }
    pub fn raw(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: vec![("content-type", content_type.into())],
            body: body.into(),
        }
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

#[derive(Clone)]
struct State {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

/// A running stub.
pub struct Stub {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl Stub {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

async fn handle(
    axum::extract::State(state): axum::extract::State<State>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    state.seen.lock().unwrap().push(Recorded {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let reply = state.replies.lock().unwrap().pop_front();
    match reply {
        Some(r) => {
            let mut resp = (StatusCode::from_u16(r.status).unwrap(), r.body).into_response();
            for (k, v) in r.headers {
                resp.headers_mut().insert(k, v.parse().unwrap());
            }
            resp
        }
        None => (StatusCode::IM_A_TEAPOT, "no scripted reply left").into_response(),
    }
}

/// Starts a stub answering every POST with the next scripted reply.
pub async fn stub(replies: Vec<Reply>) -> Stub {
    let state = State {
        replies: Arc::new(Mutex::new(replies.into())),
        seen: Arc::default(),
    };
    let seen = state.seen.clone();
    let app = axum::Router::new()
        .fallback(axum::routing::post(handle))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Stub { addr, seen }
}

/// A conversation with a system prompt, two turns, temperature and stop sequences.
pub fn params() -> ferromcp_protocol::types::CreateMessageRequestParams {
    use ferromcp_protocol::types::{CreateMessageRequestParams, SamplingMessage};
    let mut p = CreateMessageRequestParams::from_prompt("What is 2+2?", 64);
    p.messages.push(SamplingMessage::assistant_text("4"));
    p.messages.push(SamplingMessage::user_text("And 3+3?"));
    p.system_prompt = Some("Be brief.".into());
    p.temperature = Some(0.5);
    p.stop_sequences = Some(vec!["END".into()]);
    p
}
