//! A MULTI/EXEC load generator. redis-benchmark sends single commands, so it
//! cannot measure transactions; this follows its model instead: one thread
//! running an event loop over [`CLIENTS`] connections, each writing
//! `pipeline` whole transactions (MULTI, SET, INCR, EXEC) at once and
//! waiting for all their replies before the next batch.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use testkit::{reply, Client, Reply};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::benchmark::{Sample, CLIENTS};
use crate::report;

/// How the test is named in the report.
pub const TEST: &str = "MULTI SET INCR EXEC (tx)";
/// Replies per transaction: +OK, +QUEUED twice, then EXEC's array.
const REPLIES: usize = 4;

/// Runs `transactions` transactions in all against the server on `port`;
/// the sample's rate is transactions per second and its latencies are those
/// of one batch's round trip (as redis-benchmark reports pipelined requests).
pub fn run(port: u16, transactions: u64, pipeline: u32) -> Result<Sample> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The same generous bound as redis-benchmark runs get.
    let timeout = Duration::from_secs(60 + transactions / 250);
    runtime.block_on(async {
        tokio::time::timeout(timeout, run_clients(port, transactions, pipeline))
            .await
            .with_context(|| format!("no result after {timeout:?}; is the server stuck?"))?
    })
}

async fn run_clients(port: u16, transactions: u64, pipeline: u32) -> Result<Sample> {
    // Connect everyone first so connection set-up is not timed.
    let mut streams = Vec::new();
    for _ in 0..CLIENTS {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for (id, stream) in streams.into_iter().enumerate() {
        // Spread the remainder so the counts add up to `transactions`.
        let share = transactions / u64::from(CLIENTS)
            + u64::from((id as u64) < transactions % u64::from(CLIENTS));
        tasks.spawn(drive(stream, id, share, pipeline));
    }
    let mut batch_ms = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        batch_ms.extend(joined??);
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(Sample {
        test: TEST.to_owned(),
        rps: transactions as f64 / secs,
        p50_ms: report::percentile(&batch_ms, 50.0).unwrap_or(0.0),
        p99_ms: report::percentile(&batch_ms, 99.0).unwrap_or(0.0),
    })
}

/// One connection's share; returns each batch's round trip in milliseconds.
async fn drive(mut stream: TcpStream, id: usize, count: u64, pipeline: u32) -> Result<Vec<f64>> {
    let (key, counter) = (format!("xtask:tx:{id}"), format!("xtask:tx:{id}:n"));
    let transaction: [&[&[u8]]; REPLIES] = [
        &[b"MULTI"],
        &[b"SET", key.as_bytes(), b"value"],
        &[b"INCR", counter.as_bytes()],
        &[b"EXEC"],
    ];
    let mut one = Vec::new();
    for command in transaction {
        Client::encode_into(&mut one, command);
    }
    let mut round_trips = Vec::new();
    let mut input = Vec::with_capacity(64 * 1024);
    let mut left = count;
    while left > 0 {
        let batch = left.min(u64::from(pipeline));
        let request = one.repeat(batch as usize);
        let sent = Instant::now();
        stream.write_all(&request).await?;
        input.clear();
        let mut parsed = 0;
        for n in 0..batch as usize * REPLIES {
            let reply = loop {
                if let Some((reply, used)) = reply::parse(&input[parsed..])? {
                    parsed += used;
                    break reply;
                }
                if stream.read_buf(&mut input).await? == 0 {
                    bail!("connection closed by server");
                }
            };
            check(n % REPLIES, &reply)?;
        }
        round_trips.push(sent.elapsed().as_secs_f64() * 1e3);
        left -= batch;
    }
    Ok(round_trips)
}

/// Checks the reply at `position` within a transaction's replies.
fn check(position: usize, reply: &Reply) -> Result<()> {
    let ok = match (position, reply) {
        (0, Reply::Simple(s)) => s == "OK",
        (1 | 2, Reply::Simple(s)) => s == "QUEUED",
        (3, Reply::Array(Some(items))) => {
            matches!(items.as_slice(), [Reply::Simple(ok), Reply::Integer(_)] if ok == "OK")
        }
        _ => false,
    };
    if !ok {
        bail!("unexpected reply {reply:?} at position {position} of a transaction");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_transaction_replies() {
        assert!(check(0, &Reply::Simple("OK".into())).is_ok());
        assert!(check(2, &Reply::Simple("QUEUED".into())).is_ok());
        let exec = Reply::Array(Some(vec![Reply::Simple("OK".into()), Reply::Integer(3)]));
        assert!(check(3, &exec).is_ok());
        assert!(check(3, &Reply::Array(None)).is_err());
        assert!(check(1, &Reply::Error("ERR unknown command".into())).is_err());
    }
}
