//! GraphQL over WebSocket on `/graphql/ws`, in the graphql-transport-ws protocol that Apollo, urql and
//! `graphql-ws` speak.
//!
//! The connection's tenant and caller come from the `connection_init` payload (`Authorization` and
//! `X-Tenant-Domain`, as the HTTP headers would carry them, or `token` and `tenant`); the upgrade request's
//! own headers (and its `Host`, which can name the store) count where the payload is silent. They are checked once, exactly as an HTTP request's
//! are; a rejection closes the socket with 4403 and the contract's code as the reason. The socket closes
//! (4403) when the access token expires; a client reconnects with a fresh one. Each subscription also
//! re-checks that its user is still active before delivering an event. The socket closes (4403,
//! `STORE_SUSPENDED`) as soon as its store is suspended, on whichever instance it is open.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::http::{
    ClientMessage, WebSocket as Protocol, WebSocketProtocols as Protocols, WsMessage,
};
use async_graphql::{Data, Executor, Pos};
use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, HOST, SEC_WEBSOCKET_PROTOCOL};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::BoxStream;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::sync::broadcast;

use crate::db::TenantId;
use crate::error::AppError;
use crate::graphql::runner::Runner;
use crate::http::HttpState;
use crate::identity::Gate;
use crate::identity::tokens::unix_now;
use crate::identity::{self, Identity, RequestContext, StoreChange, TENANT_HEADER};
use crate::orders::Orders;
use crate::schema::AppSchema;

pub const PROTOCOL: &str = "graphql-transport-ws";
/// How long a new socket may wait before it sends `connection_init` (the protocol's 4408).
const INIT_WAIT: Duration = Duration::from_secs(10);
/// Largest message a client may send; a larger one closes the socket with 1009 (message too big).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Operations (subscriptions, or queries still answering) running at once on one socket.
pub const MAX_SUBSCRIPTIONS: usize = 100;
/// Answers of one operation made and not yet sent: past these, the operation waits for its client
/// (holding no database connection: each answer is made whole, its connections given back, before it
/// waits), and a subscription that falls behind the live feed meanwhile reads the log again later.
const BACKLOG: usize = 8;
/// How long one message may wait for the client to take it; then the client is taken for gone and
/// the socket is dropped (it could not even take a close frame).
const SEND_WAIT: Duration = Duration::from_secs(10);

pub async fn upgrade(
    State(state): State<HttpState>,
    connect_info: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A client that names protocols must name ours; one that names none is taken to speak it.
    let offered = headers.get(SEC_WEBSOCKET_PROTOCOL);
    let speaks_ours = offered.is_none_or(|value| {
        value
            .to_str()
            .unwrap_or_default()
            .split(',')
            .any(|protocol| protocol.trim().eq_ignore_ascii_case(PROTOCOL))
    });
    if !speaks_ours {
        return (
            StatusCode::BAD_REQUEST,
            format!("this endpoint speaks the {PROTOCOL} protocol only"),
        )
            .into_response();
    }
    if state.app.metrics.sockets_open() >= state.app.config.max_connections as i64 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many open WebSocket connections; try again later",
        )
            .into_response();
    }
    let client_ip = connect_info.map(|Extension(info)| info.0.ip());
    upgrade
        .protocols([PROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| session(state, headers, client_ip, socket))
}

/// One socket, from `connection_init` to its close.
async fn session(
    state: HttpState,
    upgrade_headers: HeaderMap,
    client_ip: Option<std::net::IpAddr>,
    socket: WebSocket,
) {
    let _open = state.app.metrics.socket_opened();
    let mut stopping = state.app.shutdown.watch();
    let (mut sink, mut source) = socket.split();
    let payload = match tokio::time::timeout(INIT_WAIT, first_message(&mut source)).await {
        Err(_elapsed) => return close(&mut sink, 4408, "Connection initialisation timeout").await,
        Ok(None) => return,
        Ok(Some(Ok(payload))) => payload,
        Ok(Some(Err((code, reason)))) => return close(&mut sink, code, reason).await,
    };
    let headers = match init_headers(&upgrade_headers, &payload) {
        Ok(headers) => headers,
        Err(err) => return reject(&mut sink, err).await,
    };
    // Heard from before the check, so a suspension that commits meanwhile is not missed.
    let mut store_changes = state.app.gate.directory().subscribe();
    let request_context = match state.app.gate.resolve(&headers, client_ip).await {
        Ok(request_context) => request_context,
        Err(err) => return reject(&mut sink, err).await,
    };
    let store = request_context.tenant.as_ref().map(|tenant| tenant.id);
    let expires_at = token_expiry(&state, &headers);
    let executor = CodedSchema::new(&state, request_context.identity.clone());
    let data = connection_data(request_context);

    // The protocol itself (ack, subscribe, next, complete, ping) is async-graphql's; it sees the init
    // that was already checked, then the rest of the socket. A message over the size limit ends it.
    let too_big = Arc::new(AtomicBool::new(false));
    let saw_too_big = too_big.clone();
    let messages =
        futures_util::stream::once(async { Ok(ClientMessage::ConnectionInit { payload: None }) })
            .chain(source.filter_map(move |message| {
                let too_big = too_big.clone();
                async move {
                    match message {
                        Ok(Message::Text(text)) => Some(ClientMessage::from_bytes(text.as_bytes())),
                        Ok(Message::Binary(bytes)) => Some(ClientMessage::from_bytes(bytes)),
                        Ok(Message::Ping(_) | Message::Pong(_)) => None,
                        Ok(Message::Close(_)) => Some(Ok(ClientMessage::ConnectionTerminate)),
                        Err(err) => {
                            too_big.store(is_too_big(&err), Ordering::Relaxed);
                            Some(Ok(ClientMessage::ConnectionTerminate))
                        }
                    }
                }
            }));
    let protocol = Protocol::from_message_stream(executor, messages, Protocols::GraphQLWS)
        .connection_data(data);
    let mut protocol = std::pin::pin!(protocol);
    let expiry = async {
        match expires_at {
            Some(at) => {
                let left = u64::try_from(at - unix_now()).unwrap_or(0);
                tokio::time::sleep(Duration::from_secs(left)).await
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    // One future for the socket's life: a check under way is not dropped when a message goes out.
    let suspended = suspension(&state, store, &mut store_changes);
    tokio::pin!(suspended);
    loop {
        tokio::select! {
            next = protocol.next() => match next {
                Some(WsMessage::Text(text)) => {
                    let sent = tokio::time::timeout(SEND_WAIT, sink.send(Message::Text(text.into())));
                    match sent.await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => break,
                        Err(_elapsed) => {
                            tracing::info!("dropping a socket whose client stopped reading");
                            break;
                        }
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    close(&mut sink, code, &reason).await;
                    break;
                }
                None if saw_too_big.load(Ordering::Relaxed) => {
                    close(&mut sink, 1009, TOO_BIG).await;
                    break;
                }
                None => {
                    // The client closed (or terminated): finish the close handshake, or a client
                    // like graphql-ws takes the ending for a failure and reconnects only after a
                    // back-off.
                    let _ = sink.close().await;
                    break;
                }
            },
            () = stopping.begun() => {
                close(&mut sink, 1001, "the server is shutting down; reconnect").await;
                break;
            }
            () = &mut expiry => {
                close(&mut sink, 4403, "UNAUTHENTICATED: the access token expired").await;
                break;
            }
            Some(store) = &mut suspended => {
                tracing::info!(store = store.0, "closing a socket of a suspended store");
                let reason = format!("STORE_SUSPENDED: {}", AppError::StoreSuspended.message());
                close(&mut sink, 4403, &reason).await;
                break;
            }
        }
    }
}

/// Completes when the socket's store is suspended (with the store), checking again at every change
/// heard of it; never for a socket of no store, or once the directory is gone.
async fn suspension(
    state: &HttpState,
    store: Option<TenantId>,
    changes: &mut broadcast::Receiver<StoreChange>,
) -> Option<TenantId> {
    let Some(store) = store else {
        return std::future::pending().await;
    };
    loop {
        match changes.recv().await {
            Ok(change) if !change.concerns(store) => continue,
            // Fallen behind: some change may have been this store's.
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
        // A failed check leaves the socket open: each operation and event checks again.
        if state.app.gate.store_suspended(store).await.unwrap_or(false) {
            return Some(store);
        }
    }
}

/// The payload of the socket's first message, which must be `connection_init`; `None` when the client
/// left first.
async fn first_message(
    source: &mut futures_util::stream::SplitStream<WebSocket>,
) -> Option<Result<serde_json::Value, (u16, &'static str)>> {
    loop {
        let text = match source.next().await? {
            Ok(Message::Text(text)) => text.as_bytes().to_vec(),
            Ok(Message::Binary(bytes)) => bytes.to_vec(),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close(_)) => return None,
            Err(err) if is_too_big(&err) => return Some(Err((1009, TOO_BIG))),
            Err(_) => return None,
        };
        return Some(match ClientMessage::from_bytes(text) {
            Ok(ClientMessage::ConnectionInit { payload }) => Ok(payload.unwrap_or_default()),
            Ok(ClientMessage::Start { .. }) => Err((4401, "Unauthorized")),
            Ok(_) => Err((4400, "the first message must be connection_init")),
            Err(_) => Err((4400, "invalid message")),
        });
    }
}

const TOO_BIG: &str = "message too big: at most 256 KiB";

/// Whether a read failed because the message is larger than `MAX_MESSAGE_BYTES`.
fn is_too_big(err: &axum::Error) -> bool {
    std::error::Error::source(err)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|inner| matches!(inner, tungstenite::Error::Capacity(_)))
}

/// The headers a request would carry, from the upgrade request overridden by the `connection_init`
/// payload: `Authorization` (or `token`) and `X-Tenant-Domain` (or `tenant`), at its top level or under
/// `headers`, names matched case-insensitively.
fn init_headers(upgrade: &HeaderMap, payload: &serde_json::Value) -> Result<HeaderMap, AppError> {
    let mut headers = HeaderMap::new();
    for name in [AUTHORIZATION.as_str(), TENANT_HEADER, HOST.as_str()] {
        if let Some(value) = upgrade.get(name) {
            headers.insert(name, value.clone());
        }
    }
    let Some(top) = payload.as_object() else {
        return Ok(headers);
    };
    let nested = top.get("headers").and_then(|value| value.as_object());
    for fields in [nested, Some(top)].into_iter().flatten() {
        for (key, value) in fields {
            let (name, prefix) = match key.to_ascii_lowercase().as_str() {
                "authorization" => (AUTHORIZATION.as_str(), ""),
                "token" | "accesstoken" | "access_token" => (AUTHORIZATION.as_str(), "Bearer "),
                "x-tenant-domain" | "tenant" | "tenantdomain" | "tenant_domain" => {
                    (TENANT_HEADER, "")
                }
                _ => continue,
            };
            let text = value.as_str().ok_or(AppError::bad_input(
                "connection_init",
                format!("{key} must be a string"),
            ))?;
            let value = HeaderValue::from_str(&format!("{prefix}{text}")).map_err(|_| {
                AppError::bad_input("connection_init", format!("{key} is not a valid value"))
            })?;
            headers.insert(name, value);
        }
    }
    Ok(headers)
}

/// When the connection's access token expires, in Unix seconds (none for an anonymous connection).
fn token_expiry(state: &HttpState, headers: &HeaderMap) -> Option<i64> {
    let token = identity::bearer_token(headers).ok()??;
    Some(state.app.gate.tokens().verify_access(token).ok()?.exp)
}

/// What every operation of the connection sees: its request context.
fn connection_data(request_context: RequestContext) -> Data {
    let mut data = Data::default();
    data.insert(request_context);
    data
}

async fn reject(sink: &mut futures_util::stream::SplitSink<WebSocket, Message>, err: AppError) {
    let reason = format!("{}: {}", err.code().as_str(), err.message());
    close(sink, 4403, &reason).await;
}

/// Closes the socket with `code`; the reason is cut to what a close frame holds (123 bytes).
async fn close(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    code: u16,
    reason: &str,
) {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame {
        code,
        reason: reason[..end].into(),
    };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}

/// The schema as the socket runs it: through the runner, as over HTTP (parse cache and limits with one
/// budget per operation, contract codes, counters, spans); and besides, the socket's caller checked
/// again before every operation, and at most `MAX_SUBSCRIPTIONS` operations running at once on the
/// socket. The graphql-transport-ws protocol itself is async-graphql's; async-graphql-axum's socket
/// handler is not used, since it cannot close with 4403 and the contract's code, close when the access
/// token expires, nor refuse an oversized message with 1009.
#[derive(Clone)]
struct CodedSchema {
    runner: Runner<AppSchema>,
    gate: Gate,
    /// The socket's caller, checked again before every operation.
    identity: Option<Identity>,
    /// Operations of this socket running now.
    running: Arc<AtomicUsize>,
    /// Where each subscription starts hearing: the log's place as its message is read.
    orders: Orders,
}

impl CodedSchema {
    fn new(state: &HttpState, identity: Option<Identity>) -> Self {
        Self {
            runner: state.runner.clone(),
            gate: state.app.gate.clone(),
            identity,
            running: Arc::default(),
            orders: state.app.orders.clone(),
        }
    }

    /// Whether the socket's caller may still act: the same check an HTTP request makes.
    async fn still_signed_in(&self) -> Result<(), async_graphql::ServerError> {
        let Some(identity) = &self.identity else {
            return Ok(());
        };
        self.gate
            .active_account(identity.tenant_id, identity.user_id)
            .await
            .map(|_| ())
            .map_err(server_error)
    }
}

/// One running operation of a socket; counted until its stream is dropped (completed, stopped or the
/// socket gone).
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// An operation answered with one error, and ended.
fn refusal(error: async_graphql::ServerError) -> BoxStream<'static, async_graphql::Response> {
    futures_util::stream::once(async move { async_graphql::Response::from_errors(vec![error]) })
        .boxed()
}

fn server_error(err: AppError) -> async_graphql::ServerError {
    async_graphql::Error::from(err).into_server_error(Pos::default())
}

impl Executor for CodedSchema {
    /// Not called by the graphql-transport-ws protocol (every operation is a stream); answers as a
    /// stream's first response would.
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        self.execute_stream(request, None)
            .next()
            .await
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        if self.running.fetch_add(1, Ordering::Relaxed) >= MAX_SUBSCRIPTIONS {
            self.running.fetch_sub(1, Ordering::Relaxed);
            return refusal(server_error(AppError::LimitExceeded(format!(
                "at most {MAX_SUBSCRIPTIONS} operations run at once on one socket; complete one first"
            ))));
        }
        let running = Running(self.running.clone());
        // Taken now, in the order the socket's messages come: a subscription hears every event after
        // this, however late its stream starts (so a pong after it proves it in place).
        let request = request.data(self.orders.since_now());
        let this = self.clone();
        let checked = async move {
            let signed_in = this.still_signed_in().await;
            signed_in.map(|()| (this, request))
        };
        let answers = futures_util::stream::once(checked)
            .flat_map(move |checked| match checked {
                Ok((this, request)) => this.runner.stream(request, session_data.clone()),
                Err(error) => refusal(error),
            })
            .boxed();
        detached(answers)
            .map(move |response| {
                let _running = &running;
                response
            })
            .boxed()
    }
}

/// The operation's answers, made by a task of their own and handed over through a queue of `BACKLOG`.
///
/// The protocol's stream polls its operations only while the socket takes what it sends; an operation
/// polled inline would stop wherever it was when the client stopped reading, in the middle of a
/// database query (its connection held) as likely as not. A hundred subscriptions of one unread socket
/// so held every connection of the pool, and every store waited. In a task of its own an operation
/// finishes each answer, giving its connections back, and only then waits for room in the queue. The
/// task ends when the stream is dropped (the operation completed or stopped, or the socket gone).
fn detached(
    mut answers: BoxStream<'static, async_graphql::Response>,
) -> BoxStream<'static, async_graphql::Response> {
    let (queue, taken) = tokio::sync::mpsc::channel(BACKLOG);
    let task = tokio::spawn(async move {
        while let Some(answer) = answers.next().await {
            if queue.send(answer).await.is_err() {
                return;
            }
        }
    });
    let stop = AbortOnDrop(task.abort_handle());
    futures_util::stream::unfold((taken, stop), |(mut taken, stop)| async move {
        let answer = taken.recv().await?;
        Some((answer, (taken, stop)))
    })
    .boxed()
}

/// Stops a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
