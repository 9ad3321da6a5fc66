//! Arbitrary bytes as an RDB file: the reader and `Engine::load_rdb` give
//! an error or a keyspace that reads back, saves and reloads consistently
//! (see `engine::fuzzing::rdb_load`). Seed with `seed_corpus`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| engine::fuzzing::rdb_load(data));
