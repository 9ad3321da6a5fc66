//! What a benchmark scenario is and what it gets to work with.
//!
//! Each scenario (throughput, memory, and later data types, replication,
//! RDB save/load) starts the servers it needs through [`Context`] and returns
//! one [`Section`] of the shared report. Scenarios get fresh servers so one
//! cannot skew another (e.g. benchmark keys inflating the memory figures).

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::args::BenchOptions;
use crate::report::Section;
use crate::servers::Server;
use crate::{benchmark, memory};

pub trait Scenario {
    fn name(&self) -> &'static str;
    fn run(&self, ctx: &Context) -> Result<Section>;
}

/// Every scenario of a `cargo xtask bench` run, in report order.
pub fn all() -> Vec<Box<dyn Scenario>> {
    vec![Box::new(benchmark::Throughput), Box::new(memory::Memory)]
}

pub struct Binaries {
    pub redust: PathBuf,
    pub redis: PathBuf,
}

pub struct Context<'a> {
    pub options: &'a BenchOptions,
    pub binaries: &'a Binaries,
    pub log_dir: &'a Path,
}

/// One Redust and one Redis server with identical settings.
pub struct Pair {
    pub redust: Server,
    pub redis: Server,
}

impl Pair {
    /// Both servers, Redust first: the order of every A/B comparison.
    pub fn both(&self) -> [&Server; 2] {
        [&self.redust, &self.redis]
    }
}

impl Context<'_> {
    pub fn start_redust(&self) -> Result<Server> {
        Server::start("Redust", &self.binaries.redust, self.log_dir)
    }

    pub fn start_redis(&self) -> Result<Server> {
        Server::start("Redis", &self.binaries.redis, self.log_dir)
    }

    pub fn start_pair(&self) -> Result<Pair> {
        Ok(Pair {
            redust: self.start_redust()?,
            redis: self.start_redis()?,
        })
    }
}
