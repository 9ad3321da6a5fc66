//! Helpers for the replication tests: server nodes of either kind with their
//! own data directory, INFO parsing and replication-state polling, dataset
//! comparison and write loads, a link-cutting TCP proxy, and a socket option
//! probe.

pub mod dataset;
pub mod node;
pub mod proxy;
pub mod sockopt;
pub mod topology;
pub mod workload;

use node::Mix;

/// Runs `scenario` with `mix` when both implementations it needs are
/// installed.
pub fn run(scenario: fn(Mix), mix: Mix) {
    if mix.available() {
        scenario(mix);
    }
}

/// One test per master/replica combination for each scenario:
/// `<scenario>::redust_to_redust`, `redis_to_redust`, `redust_to_redis`.
#[allow(unused_macros)]
macro_rules! matrix {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use $crate::harness::node::Kind::{Redis, Redust};
            use $crate::harness::node::Mix;
            use $crate::harness::run;

            #[test]
            fn redust_to_redust() {
                run(super::$scenario, Mix { master: Redust, replica: Redust });
            }

            #[test]
            fn redis_to_redust() {
                run(super::$scenario, Mix { master: Redis, replica: Redust });
            }

            #[test]
            fn redust_to_redis() {
                run(super::$scenario, Mix { master: Redust, replica: Redis });
            }
        }
    )*};
}
#[allow(unused_imports)]
pub(crate) use matrix;
