//! The data sets scenarios load into servers, and the pipelined bulk loader
//! that writes them.

use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use testkit::Reply;

use crate::servers::{Probe as _, Server};

/// Commands in flight per round trip: large enough that a load is bound by
/// the server, small enough to keep both socket buffers bounded.
const BATCH: u64 = 1_000;

/// `keys` keys, each written by one command.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    pub name: &'static str,
    pub keys: u64,
    pub shape: Shape,
}

/// What one key holds; elements are small strings (or integers) numbered
/// from 0, the same for every key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// SET key:N value:N
    String,
    /// HSET hash:N field:0 value:0 .. (10 fields)
    Hash,
    /// SADD set:N 0 .. 9 (an intset in Redis)
    IntSet,
    /// SADD set:N member:0 .. (10 members)
    Set,
    /// ZADD zset:N 0 member:0 .. (10 members)
    SortedSet,
}

/// Elements per hash, set or sorted set.
pub const ELEMENTS: usize = 10;

pub const STRINGS_1M: Dataset = Dataset {
    name: "1M strings",
    keys: 1_000_000,
    shape: Shape::String,
};

impl Dataset {
    /// The command that writes key number `n`.
    pub fn command(&self, n: u64) -> Vec<String> {
        let mut args = match self.shape {
            Shape::String => return vec!["SET".into(), format!("key:{n}"), format!("value:{n}")],
            Shape::Hash => vec!["HSET".into(), format!("hash:{n}")],
            Shape::IntSet | Shape::Set => vec!["SADD".into(), format!("set:{n}")],
            Shape::SortedSet => vec!["ZADD".into(), format!("zset:{n}")],
        };
        for i in 0..ELEMENTS {
            match self.shape {
                Shape::String => unreachable!("strings have no elements"),
                Shape::Hash => args.extend([format!("field:{i}"), format!("value:{i}")]),
                Shape::IntSet => args.push(i.to_string()),
                Shape::Set => args.push(format!("member:{i}")),
                Shape::SortedSet => args.extend([i.to_string(), format!("member:{i}")]),
            }
        }
        args
    }

    /// The error `server` answers key 0's command with, if any: how a
    /// scenario finds out that Redust lacks a data type. (Writing key 0
    /// twice is harmless: every command here is idempotent.)
    pub fn unsupported_by(&self, server: &Server) -> Result<Option<String>> {
        let command = self.command(0);
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        crate::benchmark::rejects(server, &args)
    }

    /// Writes every key, pipelined, failing on any error reply; then checks
    /// DBSIZE. Returns the seconds it took.
    pub fn load(&self, server: &Server) -> Result<f64> {
        let start = Instant::now();
        let mut client = server.connect()?;
        for first in (0..self.keys).step_by(BATCH as usize) {
            let last = (first + BATCH).min(self.keys);
            for n in first..last {
                let command = self.command(n);
                let args: Vec<&[u8]> = command.iter().map(|a| a.as_bytes()).collect();
                client.queue(&args);
            }
            client.flush()?;
            for n in first..last {
                if let Reply::Error(error) = client.read_reply()? {
                    bail!("{}: {} replied {error}", server.name(), self.command(n)[0]);
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let dbsize = server
            .dbsize()
            .with_context(|| format!("checking the load into {}", server.name()))?;
        if dbsize != Some(self.keys as i64) {
            bail!(
                "{} holds {dbsize:?} keys after loading {}",
                server.name(),
                self.name
            );
        }
        eprintln!("loaded {} into {} in {secs:.2}s", self.name, server.name());
        Ok(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(shape: Shape) -> Dataset {
        Dataset {
            name: "t",
            keys: 1,
            shape,
        }
    }

    #[test]
    fn commands_per_shape() {
        assert_eq!(STRINGS_1M.command(7), ["SET", "key:7", "value:7"]);
        let hash = shape(Shape::Hash).command(3);
        assert_eq!(hash.len(), 2 + 2 * ELEMENTS);
        assert_eq!(hash[..4], ["HSET", "hash:3", "field:0", "value:0"]);
        assert_eq!(shape(Shape::IntSet).command(0)[2..4], ["0", "1"]);
        assert_eq!(shape(Shape::Set).command(0)[2], "member:0");
        let zset = shape(Shape::SortedSet).command(1);
        assert_eq!(
            zset[..6],
            ["ZADD", "zset:1", "0", "member:0", "1", "member:1"]
        );
    }
}
