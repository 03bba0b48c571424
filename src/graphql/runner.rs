//! One way to run GraphQL, for HTTP and WebSocket alike: every document is admitted (parse cache and
//! limits, `documents`), every operation runs in a tracing span of its own, every error of its answer
//! gets a contract code (`with_codes`), a document that validated is kept in the parse cache, and
//! every operation is counted (name, time, error codes). The transports only carry requests and
//! answers: HTTP runs a batch (`admit`, then `run`), a WebSocket one operation as a stream (`stream`).

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::{BatchRequest, BatchResponse, Data, Executor, ServerError};
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use tracing::Instrument as _;

use crate::graphql::documents::{Admitted, Documents};
use crate::graphql::limits::Budget;
use crate::graphql::with_codes;
use crate::metrics::Metrics;

/// The executor (the schema) with the way in and the counters every transport shares.
#[derive(Clone)]
pub struct Runner<E> {
    executor: E,
    documents: Arc<Documents>,
    metrics: Arc<Metrics>,
}

/// A batch whose every document was admitted: ready to run.
pub struct Prepared {
    batch: BatchRequest,
    admitted: Vec<Admitted>,
}

impl Prepared {
    /// Whether every operation only reads: no one need wait for it once its client has gone.
    pub fn queries_only(&self) -> bool {
        self.admitted.iter().all(Admitted::is_query)
    }
}

impl<E: Executor> Runner<E> {
    /// `sdl` is the executor's schema, for the document limits.
    pub fn new(executor: E, sdl: &str, metrics: Arc<Metrics>) -> Self {
        Self {
            executor,
            documents: Arc::new(Documents::new(sdl)),
            metrics,
        }
    }

    /// Bytes of parsed documents kept.
    pub fn cache_bytes(&self) -> u64 {
        self.documents.cache_bytes()
    }

    /// Admits every operation of `batch` against one budget (ten operations may not ask for ten times
    /// the limit). A refusal is the answer: every operation gets it and none runs (it is counted).
    pub fn admit(&self, mut batch: BatchRequest) -> Result<Prepared, Box<BatchResponse>> {
        let mut budget = Budget::default();
        let admitted: Result<Vec<Admitted>, ServerError> = batch
            .iter_mut()
            .map(|request| self.documents.admit(request, &mut budget))
            .collect();
        match admitted {
            Ok(admitted) => Ok(Prepared { batch, admitted }),
            Err(refusal) => {
                let answer = || async_graphql::Response::from_errors(vec![refusal.clone()]);
                let response = match batch {
                    BatchRequest::Single(_) => BatchResponse::Single(answer()),
                    BatchRequest::Batch(many) => {
                        BatchResponse::Batch(many.iter().map(|_| answer()).collect())
                    }
                };
                for one in responses(&response) {
                    self.count(None, one, Duration::ZERO);
                }
                Err(Box::new(response))
            }
        }
    }

    /// Runs an admitted batch with `data` (the request's context) in the current span.
    pub fn run(
        &self,
        prepared: Prepared,
        data: impl Any + Clone + Send + Sync,
    ) -> impl Future<Output = BatchResponse> + Send + 'static {
        let this = self.clone();
        let Prepared { batch, admitted } = prepared;
        let batch = batch.data(data);
        async move {
            let started = Instant::now();
            let mut response = this.executor.execute_batch(batch).await;
            let elapsed = started.elapsed();
            match &mut response {
                BatchResponse::Single(one) => with_codes(one),
                BatchResponse::Batch(many) => many.iter_mut().for_each(with_codes),
            }
            for (admitted, one) in admitted.into_iter().zip(responses(&response)) {
                let name = this.documents.answered(admitted, one);
                this.count(name.as_deref(), one, elapsed);
            }
            response
        }
        .instrument(tracing::info_span!("graphql"))
    }

    /// One operation, as a stream of answers (a subscription's events; one answer for a query or a
    /// mutation), in a span of its own. It is counted at its first answer.
    pub fn stream(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let admitted = match self.documents.admit(&mut request, &mut Budget::default()) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                let answer = async_graphql::Response::from_errors(vec![refusal]);
                self.count(None, &answer, Duration::ZERO);
                return futures_util::stream::once(async move { answer }).boxed();
            }
        };
        let this = self.clone();
        let started = Instant::now();
        let mut first = Some(admitted);
        let span = tracing::info_span!("graphql");
        let mut answers = self.executor.execute_stream(request, session_data);
        // The operation's work happens as its stream is polled: each poll runs in its span.
        futures_util::stream::poll_fn(move |cx| {
            let _entered = span.enter();
            answers.poll_next_unpin(cx)
        })
        .map(move |mut response| {
            with_codes(&mut response);
            // The first answer tells whether the document validated.
            if let Some(admitted) = first.take() {
                let name = this.documents.answered(admitted, &response);
                this.count(name.as_deref(), &response, started.elapsed());
            }
            response
        })
        .boxed()
    }

    fn count(&self, name: Option<&str>, response: &async_graphql::Response, elapsed: Duration) {
        let codes: Vec<&str> = response
            .errors
            .iter()
            .filter_map(|error| match error.extensions.as_ref()?.get("code")? {
                async_graphql::Value::String(code) => Some(code.as_str()),
                _ => None,
            })
            .collect();
        self.metrics.operation(name, elapsed, &codes);
    }
}

/// The answers of a batch, or the one answer.
pub fn responses(response: &BatchResponse) -> Vec<&async_graphql::Response> {
    match response {
        BatchResponse::Single(one) => vec![one],
        BatchResponse::Batch(many) => many.iter().collect(),
    }
}
