//! The redirect listener of a program on the user's machine: `http://127.0.0.1:PORT/callback`
//! (RFC 8252 section 7.3), waiting for the authorization server to send the browser back.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use super::{AuthError, AuthorizationHandler};

/// How the user is shown the authorization URL (print it, open a browser, or both).
pub type ShowUrl = Arc<dyn Fn(&Url) + Send + Sync>;

/// An [`AuthorizationHandler`] that listens on a loopback port for the redirect.
///
/// ```no_run
/// # async fn run() -> Result<(), ferromcp_auth::client::AuthError> {
/// use std::sync::Arc;
/// use ferromcp_auth::client::{AuthorizationHandler, LoopbackRedirect};
///
/// let listener = LoopbackRedirect::bind(0, Arc::new(|url: &url::Url| {
///     eprintln!("Open this URL to log in: {url}");
/// }))
/// .await?;
/// assert!(listener.redirect_uri().as_str().starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
pub struct LoopbackRedirect {
    listener: tokio::sync::Mutex<TcpListener>,
    redirect_uri: Url,
    show: ShowUrl,
    timeout: Duration,
}

impl std::fmt::Debug for LoopbackRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackRedirect")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The longest request head the listener reads.
const MAX_HEAD: usize = 16 * 1024;

impl LoopbackRedirect {
    /// Listens on `127.0.0.1:port` (0: any free port); `show` is called with each
    /// authorization URL. The user has 5 minutes to finish ([`with_timeout`](Self::with_timeout)).
    pub async fn bind(port: u16, show: ShowUrl) -> Result<Self, AuthError> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            AuthError::Interaction(format!("cannot listen on 127.0.0.1:{port}: {e}"))
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| AuthError::Interaction(e.to_string()))?
            .port();
        let redirect_uri = Url::parse(&format!("http://127.0.0.1:{port}/callback"))
            .map_err(|e| AuthError::Interaction(e.to_string()))?;
        Ok(LoopbackRedirect {
            listener: tokio::sync::Mutex::new(listener),
            redirect_uri,
            show,
            timeout: Duration::from_secs(300),
        })
    }

    /// How long to wait for the browser to come back.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Serves connections until one brings the callback; answers the others 404.
    async fn wait(&self) -> Result<Url, AuthError> {
        let listener = self.listener.lock().await;
        loop {
            let (mut stream, _) = listener
                .accept()
                .await
                .map_err(|e| AuthError::Interaction(format!("redirect listener: {e}")))?;
            let Ok(Ok(target)) =
                tokio::time::timeout(Duration::from_secs(10), read_target(&mut stream)).await
            else {
                continue;
            };
            let Ok(url) = self.redirect_uri.join(&target) else {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "Not a request this listener knows.",
                )
                .await;
                continue;
            };
            if url.path() != self.redirect_uri.path() {
                respond(&mut stream, "404 Not Found", "Nothing here.").await;
                continue;
            }
            respond(
                &mut stream,
                "200 OK",
                "The authorization response reached the application. You can close this window.",
            )
            .await;
            return Ok(url);
        }
    }
}

impl AuthorizationHandler for LoopbackRedirect {
    fn redirect_uri(&self) -> Url {
        self.redirect_uri.clone()
    }

    fn authorize<'a>(
        &'a self,
        authorization_url: &'a Url,
    ) -> BoxFuture<'a, Result<Url, AuthError>> {
        Box::pin(async move {
            (self.show)(authorization_url);
            tokio::time::timeout(self.timeout, self.wait())
                .await
                .map_err(|_| {
                    AuthError::Interaction(format!(
                        "no authorization response within {:?}",
                        self.timeout
                    ))
                })?
        })
    }
}

/// Reads a request head and returns its request target (`/callback?code=…`).
async fn read_target(stream: &mut tokio::net::TcpStream) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = std::str::from_utf8(line).map_err(|_| std::io::ErrorKind::InvalidData)?;
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) if target.starts_with('/') => Ok(target.to_owned()),
        _ => Err(std::io::ErrorKind::InvalidData.into()),
    }
}

async fn respond(stream: &mut tokio::net::TcpStream, status: &str, text: &str) {
    let body = format!("<!doctype html><meta charset=utf-8><title>ferromcp</title><p>{text}</p>");
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_callback_and_ignores_other_paths() {
        let handler = LoopbackRedirect::bind(0, Arc::new(|_: &Url| {}))
            .await
            .unwrap();
        let base = handler.redirect_uri();
        let auth = Url::parse("http://127.0.0.1:1/authorize").unwrap();
        let waiting = handler.authorize(&auth);
        let client = async {
            let http = reqwest::Client::new();
            let other = base.join("/favicon.ico").unwrap();
            assert_eq!(http.get(other).send().await.unwrap().status(), 404);
            let mut callback = base.clone();
            callback.set_query(Some("code=abc&state=xyz"));
            assert_eq!(http.get(callback).send().await.unwrap().status(), 200);
        };
        let (got, ()) = tokio::join!(waiting, client);
        let got = got.unwrap();
        assert_eq!(got.query(), Some("code=abc&state=xyz"));
    }

    #[tokio::test]
    async fn garbage_and_silence_do_not_stop_it() {
        let handler = LoopbackRedirect::bind(0, Arc::new(|_: &Url| {}))
            .await
            .unwrap();
        let addr = format!("127.0.0.1:{}", handler.redirect_uri().port().unwrap());
        let auth = Url::parse("http://127.0.0.1:1/authorize").unwrap();
        let waiting = handler.authorize(&auth);
        let client = async {
            let mut junk = tokio::net::TcpStream::connect(&addr).await.unwrap();
            junk.write_all(b"\x00\x01garbage\r\n\r\n").await.unwrap();
            drop(junk);
            let mut callback = handler.redirect_uri();
            callback.set_query(Some("code=1"));
            reqwest::get(callback).await.unwrap();
        };
        let (got, ()) = tokio::join!(waiting, client);
        assert_eq!(got.unwrap().query(), Some("code=1"));
    }
}
