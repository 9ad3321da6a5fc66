//! Arbitrary bytes as a DUMP payload (CRC made right): `rdb::restore` and
//! `RESTORE key 0 <payload>` give an error or a key that reads back and
//! copies consistently (see `engine::fuzzing::restore_payload`). Seed with
//! `seed_corpus`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| engine::fuzzing::restore_payload(data));
