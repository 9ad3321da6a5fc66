//! Write throughput with replicas: redis-benchmark SET on a master without
//! replicas and on one with 2 replicas attached (which it must feed).

use anyhow::Result;

use super::{master_args, replica_of, wait_caught_up, wait_synced};
use crate::benchmark::{self, Load, Row, CLIENTS, PIPELINES};
use crate::report::Section;
use crate::scenario::{self, Context, Scenario};
use crate::servers::Server;

pub struct Writes;

const REPLICA_COUNTS: [usize; 2] = [0, 2];

/// A master and the replicas attached to it.
struct Group {
    master: Server,
    replicas: Vec<Server>,
}

impl Scenario for Writes {
    fn name(&self) -> &'static str {
        "repl-writes"
    }

    fn run(&self, ctx: &Context) -> Result<Section> {
        let (rounds, requests) = (ctx.options.rounds, ctx.options.requests);
        // groups[i] = [Redust, Redis] masters with REPLICA_COUNTS[i] replicas.
        let groups = REPLICA_COUNTS.map(|count| {
            scenario::for_both(|kind| {
                let master = ctx.start(kind, &master_args())?;
                let replicas = (0..count)
                    .map(|_| {
                        let mut replica = ctx.start(kind, &replica_of(&master))?;
                        wait_synced(&mut replica, 0)?;
                        Ok(replica)
                    })
                    .collect::<Result<_>>()?;
                Ok(Group { master, replicas })
            })
        });
        let [none, two] = groups;
        let groups = [none?, two?];

        let cases: Vec<(usize, u32)> = (0..REPLICA_COUNTS.len())
            .flat_map(|group| PIPELINES.map(|pipeline| (group, pipeline)))
            .collect();
        let set = Load::test("set");
        let samples = scenario::interleaved(rounds, &cases, |round, &(group, pipeline), kind| {
            let Group { master, replicas } = &groups[group][scenario::side(kind)];
            // Every run starts with the replicas level with the master.
            wait_caught_up(master, replicas)?;
            let sample = benchmark::run(master, &set, requests, pipeline)?;
            eprintln!(
                "round {}/{rounds}: SET {} replicas P={pipeline:<2} {:<6} {:>9.0} ops/s",
                round + 1,
                replicas.len(),
                master.name(),
                sample.rps
            );
            Ok(sample)
        })?;
        // Replicas that fell off under the load would flatter the numbers.
        for group in groups.iter().flatten() {
            wait_caught_up(&group.master, &group.replicas)?;
        }

        let rows: Vec<Row> = cases
            .iter()
            .zip(samples)
            .map(|(&(group, pipeline), runs)| Row {
                test: format!("SET, {} replicas", REPLICA_COUNTS[group]),
                pipeline,
                runs,
            })
            .collect();
        Ok(Section {
            title: "Replication: write throughput".to_owned(),
            table: benchmark::table(&rows),
            notes: vec![format!(
                "redis-benchmark -t set, {CLIENTS} clients, {requests} requests per run against \
                 the master; replicas of the same kind on the same machine. Median of {rounds} \
                 interleaved round(s); each run starts with the replicas caught up."
            )],
        })
    }
}
