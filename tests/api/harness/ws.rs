//! A graphql-transport-ws client for the tests: connect with a `connection_init` payload, subscribe, and
//! read what the server sends, with timeouts.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something it expects to arrive.
pub const ARRIVES_WITHIN: Duration = Duration::from_secs(10);

pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Messages read while waiting for something else (a pong, another subscription's message), in
    /// order.
    early: VecDeque<Value>,
}

/// What the server sent for one subscription.
#[derive(Debug)]
pub enum Heard {
    Next(Value),
    Complete,
    /// The socket closed, with its code and reason.
    Closed(u16, String),
}

impl Socket {
    /// Opens `/graphql/ws` of the server at `base_url` (http://host:port) and sends `connection_init`
    /// with `payload`; `Ok` once acknowledged, `Err((code, reason))` when the server closed instead.
    pub async fn connect(base_url: &str, payload: Value) -> Result<Socket, (u16, String)> {
        Self::connect_to_host(base_url, None, payload).await
    }

    /// `connect`, with the upgrade request's `Host` set to `host` (a store's own domain, say).
    pub async fn connect_to_host(
        base_url: &str,
        host: Option<&str>,
        payload: Value,
    ) -> Result<Socket, (u16, String)> {
        Self::open_to_host(base_url, host).await.init(payload).await
    }

    /// Opens a socket with the upgrade request's head written as given (`head`: the request line and
    /// headers, without the WebSocket ones, which are added): for request targets and `Host` headers
    /// that a client library would not send. `Err` with the status line when the server does not
    /// switch protocols. The socket is not initialised.
    pub async fn open_raw(base_url: &str, head: &str) -> Result<Socket, String> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let address = base_url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).await.unwrap();
        let request = format!(
            "{head}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        // The answer's head, byte by byte: nothing of the socket's first frames is read with it.
        let mut answer = Vec::new();
        while !answer.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            match tokio::time::timeout(ARRIVES_WITHIN, stream.read(&mut byte)).await {
                Ok(Ok(1)) => answer.push(byte[0]),
                _ => break,
            }
        }
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer.lines().next().unwrap_or_default().to_owned();
        if !status.starts_with("HTTP/1.1 101") {
            return Err(status);
        }
        let stream = WebSocketStream::from_raw_socket(
            MaybeTlsStream::Plain(stream),
            tokio_tungstenite::tungstenite::protocol::Role::Client,
            None,
        )
        .await;
        Ok(Socket {
            stream,
            early: VecDeque::new(),
        })
    }

    /// Sends `connection_init` with `payload`; `Ok` once acknowledged.
    pub async fn init(mut self, payload: Value) -> Result<Socket, (u16, String)> {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match self.receive().await {
            Some(Ok(message)) if message["type"] == "connection_ack" => Ok(self),
            Some(Ok(message)) => panic!("expected connection_ack, got {message}"),
            Some(Err(closed)) => Err(closed),
            None => panic!("the server sent nothing after connection_init"),
        }
    }

    /// Opens the socket without initialising it.
    pub async fn open(base_url: &str) -> Socket {
        Self::open_to_host(base_url, None).await
    }

    async fn open_to_host(base_url: &str, host: Option<&str>) -> Socket {
        let url = format!("{}/graphql/ws", base_url.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        if let Some(host) = host {
            request.headers_mut().insert("Host", host.parse().unwrap());
        }
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (stream, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket opens");
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Socket {
            stream,
            early: VecDeque::new(),
        }
    }

    /// Subscribes under `id`. A ping answered afterwards proves that the server has taken the
    /// subscription in (it reads messages in order, and a subscription hears every event after the
    /// place in the log where its message was read) before the test goes on to make changes.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
        self.send(json!({ "type": "ping" })).await;
        let mut before_pong = VecDeque::new();
        loop {
            match self.receive().await {
                Some(Ok(message)) if message["type"] == "pong" => break,
                Some(Ok(message)) => before_pong.push_back(message),
                other => panic!("expected pong, got {other:?}"),
            }
        }
        self.early.extend(before_pong);
    }

    /// The next message for subscription `id`, waiting at most `ARRIVES_WITHIN`.
    pub async fn next(&mut self, id: &str) -> Heard {
        self.next_within(id, ARRIVES_WITHIN)
            .await
            .unwrap_or_else(|| panic!("nothing arrived for subscription {id}"))
    }

    /// The next message for subscription `id` within `wait`, or `None`. Messages for other
    /// subscriptions read meanwhile are kept, in order, for whoever asks for them next.
    pub async fn next_within(&mut self, id: &str, wait: Duration) -> Option<Heard> {
        let deadline = tokio::time::Instant::now() + wait;
        let kept = self.early.iter().position(|message| message["id"] == id);
        let mut message = kept.and_then(|at| self.early.remove(at));
        while message.is_none() {
            let read = match tokio::time::timeout_at(deadline, self.read()).await {
                Err(_elapsed) => return None,
                Ok(None) => return Some(Heard::Closed(1006, String::new())),
                Ok(Some(Err((code, reason)))) => return Some(Heard::Closed(code, reason)),
                Ok(Some(Ok(read))) => read,
            };
            if read["id"] == id {
                message = Some(read);
            } else {
                self.early.push_back(read);
            }
        }
        let message = message?;
        match message["type"].as_str() {
            Some("next") => Some(Heard::Next(message["payload"].clone())),
            Some("complete") => Some(Heard::Complete),
            Some("error") => Some(Heard::Next(json!({ "errors": message["payload"] }))),
            other => panic!("unexpected message type {other:?}: {message}"),
        }
    }

    /// The payload of the next `next` message for `id`, which must carry data and no errors.
    pub async fn next_data(&mut self, id: &str) -> Value {
        match self.next(id).await {
            Heard::Next(payload) if payload.get("errors").is_none() => payload["data"].clone(),
            other => panic!("expected data for subscription {id}, got {other:?}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.stream
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// The next protocol message, `Err` with the close frame's code and reason, or `None` at the end.
    pub async fn receive(&mut self) -> Option<Result<Value, (u16, String)>> {
        if let Some(message) = self.early.pop_front() {
            return Some(Ok(message));
        }
        self.read().await
    }

    /// The next message off the socket itself.
    async fn read(&mut self) -> Option<Result<Value, (u16, String)>> {
        loop {
            match self.stream.next().await? {
                Ok(Message::Text(text)) => return Some(Ok(serde_json::from_str(&text).unwrap())),
                Ok(Message::Close(frame)) => {
                    return Some(Err(frame.map_or((1005, String::new()), |frame| {
                        (u16::from(frame.code), frame.reason.to_string())
                    })));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }
}
