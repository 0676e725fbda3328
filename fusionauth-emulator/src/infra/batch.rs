//! Statements shared by concurrent requests: batched lookups and group commit.
//!
//! sqlx runs each SQLite connection on a thread of its own, so every statement is a round trip
//! between threads; on the refresh path those round trips cost more than all the rest of the
//! request (HTTP, JSON, the ES256 signature). A [`Batch`] runs one kind of statement for many
//! callers at once: a task takes every request already waiting, answers them all from one
//! statement, then takes the next lot. A lone request costs one statement, as before, and
//! nothing waits for a batch to fill; concurrent requests share their round trips. Each caller
//! is answered only once its own part is done (a write is stored before its caller goes on).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

/// How many requests one statement serves at most.
const MAX_BATCH: usize = 256;

type Answer<O> = oneshot::Sender<Result<O, Arc<sqlx::Error>>>;

/// A statement run for whatever requests are waiting.
#[derive(Debug)]
pub struct Batch<I, O> {
    requests: mpsc::UnboundedSender<(I, Answer<O>)>,
}

impl<I: Send + 'static, O: Send + 'static> Batch<I, O> {
    /// Starts the batch's task on the current Tokio runtime; it ends with the last handle.
    /// `run` gets the waiting requests' inputs and returns one output per input, in order.
    pub fn start<F, Fut>(mut run: F) -> Self
    where
        F: FnMut(Vec<I>) -> Fut + Send + 'static,
        Fut: Future<Output = sqlx::Result<Vec<O>>> + Send,
    {
        let (requests, mut waiting) = mpsc::unbounded_channel::<(I, Answer<O>)>();
        tokio::spawn(async move {
            let mut lot = Vec::with_capacity(MAX_BATCH);
            while waiting.recv_many(&mut lot, MAX_BATCH).await > 0 {
                let (inputs, answers): (Vec<I>, Vec<Answer<O>>) = lot.drain(..).unzip();
                // A caller that gave up (its request was cancelled) needs no answer.
                match run(inputs).await {
                    Ok(outputs) => {
                        for (answer, output) in answers.into_iter().zip(outputs) {
                            let _ = answer.send(Ok(output));
                        }
                    }
                    Err(error) => {
                        let error = Arc::new(error);
                        for answer in answers {
                            let _ = answer.send(Err(Arc::clone(&error)));
                        }
                    }
                }
            }
        });
        Self { requests }
    }

    /// Runs the statement for `input` (with whatever else is waiting) and returns its output.
    pub async fn run(&self, input: I) -> sqlx::Result<O> {
        let (answer, outcome) = oneshot::channel();
        self.requests
            .send((input, answer))
            .map_err(|_| sqlx::Error::PoolClosed)?;
        match outcome.await {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(error)) => Err(sqlx::Error::Protocol(format!("batched statement: {error}"))),
            // The task ended, or returned fewer outputs than inputs.
            Err(_) => Err(sqlx::Error::PoolClosed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_caller_gets_the_output_for_its_own_input() {
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = Arc::clone(&sizes);
        let batch = Arc::new(Batch::start(move |inputs: Vec<u32>| {
            seen.lock().expect("lock").push(inputs.len());
            async move {
                tokio::task::yield_now().await;
                Ok(inputs.into_iter().map(|n| n * 2).collect())
            }
        }));
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..200u32 {
            let batch = Arc::clone(&batch);
            calls.spawn(async move { (n, batch.run(n).await) });
        }
        for (n, output) in calls.join_all().await {
            assert_eq!(output.expect("answered"), n * 2);
        }
        let sizes = sizes.lock().expect("lock");
        assert_eq!(sizes.iter().sum::<usize>(), 200, "each input ran once");
        assert!(sizes.iter().all(|size| *size <= MAX_BATCH));
    }

    #[tokio::test]
    async fn a_failed_statement_fails_every_caller_of_its_batch() {
        let batch = Arc::new(Batch::start(|_: Vec<u32>| async {
            Err::<Vec<u32>, _>(sqlx::Error::RowNotFound)
        }));
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..10u32 {
            let batch = Arc::clone(&batch);
            calls.spawn(async move { batch.run(n).await });
        }
        for outcome in calls.join_all().await {
            let error = outcome.expect_err("the statement failed");
            assert!(error.to_string().contains("no rows returned"), "{error}");
        }
    }

    #[tokio::test]
    async fn too_few_outputs_fail_the_callers_left_without_one() {
        let batch = Batch::start(|_: Vec<u32>| async { Ok(Vec::<u32>::new()) });
        assert!(matches!(batch.run(1).await, Err(sqlx::Error::PoolClosed)));
    }
}
