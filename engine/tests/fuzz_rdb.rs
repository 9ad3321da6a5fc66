//! The RDB and RESTORE fuzz targets ([`engine::fuzzing`]) on the stable
//! toolchain: a seeded mutation fuzzer over valid RDB files and DUMP
//! payloads of every type and encoding (bit flips, interesting bytes,
//! inserted and deleted runs, rewritten length fields, truncation,
//! splicing). Every case must end without a panic, quickly (a watchdog
//! aborts a hang), and without an allocation out of proportion to its
//! input (a counting allocator watches this test binary's allocations).
//!
//! `FUZZ_RDB_CASES` sets the number of mutants per target (by default
//! 2,000 RDB files and 12,000 payloads: a few seconds in a debug build),
//! `FUZZ_RDB_SEED` the seed; a failure prints both, and the input, to
//! replay it. The libFuzzer targets in `engine/fuzz` run the same bodies
//! with coverage guidance.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::fuzzing::{fix_payload_crc, payload_seeds, rdb_load, rdb_seeds, restore_payload};
use engine::rdb::{self, crc64, rdb_type, Reader};

// ---------------------------------------------------------------------------
// A counting allocator: per thread, so tests running side by side do not
// see each other's allocations.

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let live = LIVE.get() + size;
            LIVE.set(live);
            PEAK.set(PEAK.get().max(live));
            LARGEST.set(LARGEST.get().max(size));
        }
    });
}

fn note_free(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            LIVE.set(LIVE.get().saturating_sub(size));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_free(layout.size());
        note_alloc(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// What running `f` allocated on this thread: the largest single
/// allocation and the peak of live bytes.
#[derive(Clone, Copy, Debug)]
struct Usage {
    largest: usize,
    peak: usize,
}

fn measured<T>(f: impl FnOnce() -> T) -> (T, Usage) {
    LIVE.set(0);
    PEAK.set(0);
    LARGEST.set(0);
    TRACKING.set(true);
    let out = f();
    TRACKING.set(false);
    let usage = Usage {
        largest: LARGEST.get(),
        peak: PEAK.get(),
    };
    (out, usage)
}

/// What a case may allocate: a fixed allowance (the reader's 64 KiB
/// buffer, two engines, command replies) plus a multiple of its input, for
/// LZF strings may expand 89 times and a decompressed listpack of one-byte
/// elements becomes a vector of 32-byte handles. Anything the input merely
/// claims (lengths of 2^32 and up) is far beyond.
fn allowance(input_len: usize) -> usize {
    (4 << 20) + 8192 * input_len
}

// ---------------------------------------------------------------------------
// Mutations.

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Bytes that mean something to the RDB format: length prefixes, string
/// encodings, opcodes, blob terminators.
const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xf0, 0xfe, 0xff,
    0xf5, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
];

/// Lengths a length field might be rewritten to.
const INTERESTING_LENS: &[u64] = &[
    0,
    1,
    2,
    63,
    64,
    255,
    16_383,
    16_384,
    65_535,
    u32::MAX as u64,
    1 << 32,
    1 << 40,
    1 << 62,
    u64::MAX,
];

/// An RDB length field: 6-bit, 14-bit, 32-bit or 64-bit form.
fn length_field(n: u64, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if n < 64 && rng.chance(70) {
        out.push(n as u8);
    } else if n < 16384 && rng.chance(70) {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u32::MAX as u64 && rng.chance(70) {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
    out
}

/// Applies one to four mutations to `data`, splicing from `others`.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, others: &[Vec<u8>]) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(10) {
            0 | 1 => {
                if !data.is_empty() {
                    let at = rng.below(data.len());
                    data[at] ^= 1 << rng.below(8);
                }
            }
            2 => {
                if !data.is_empty() {
                    let at = rng.below(data.len());
                    data[at] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
                }
            }
            3 => {
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            4 => {
                let n = (1 + rng.below(16)).min(data.len() - at);
                data.drain(at..at + n);
            }
            5 | 6 => {
                // A length field rewritten, replacing what was there.
                let n = INTERESTING_LENS[rng.below(INTERESTING_LENS.len())];
                let n = if rng.chance(20) {
                    n.wrapping_add(rng.below(3) as u64).wrapping_sub(1)
                } else {
                    n
                };
                let field = length_field(n, rng);
                let replaced = rng.below(field.len() + 1).min(data.len() - at);
                data.splice(at..at + replaced, field);
            }
            7 => {
                // A little-endian u16/u32 inside a blob header (listpack
                // and ziplist sizes, counts, offsets; intset encodings).
                let v = INTERESTING_LENS[rng.below(INTERESTING_LENS.len())];
                let width = if rng.chance(50) { 2 } else { 4 };
                let end = (at + width).min(data.len());
                let bytes = &v.to_le_bytes()[..end - at];
                data[at..end].copy_from_slice(bytes);
            }
            8 => {
                data.truncate(at);
            }
            _ => {
                // Splice a piece of another input (or of this one) in.
                let from = &others[rng.below(others.len())];
                if !from.is_empty() {
                    let start = rng.below(from.len());
                    let n = 1 + rng.below((from.len() - start).min(64));
                    let piece = from[start..start + n].to_vec();
                    if rng.chance(50) {
                        data.splice(at..at, piece);
                    } else {
                        let end = (at + n).min(data.len());
                        data.splice(at..end, piece);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The driver.

/// `FUZZ_RDB_CASES`, or the target's default.
fn cases(default: usize) -> usize {
    env_number("FUZZ_RDB_CASES").map_or(default, |n| n as usize)
}

fn seed() -> u64 {
    env_number("FUZZ_RDB_SEED").unwrap_or(0x5eed_f022_2026_0001)
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// A case slower than this fails the test (debug build).
const SLOW: Duration = Duration::from_secs(5);
/// A case still running after this aborts the process: a hang.
const HANG: Duration = Duration::from_secs(30);

/// Aborts the process when a case runs longer than [`HANG`], naming it.
struct Watchdog {
    started_ms: Arc<AtomicU64>,
    case: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    epoch: Instant,
}

impl Watchdog {
    fn new(target: &'static str) -> Watchdog {
        let dog = Watchdog {
            started_ms: Arc::new(AtomicU64::new(0)),
            case: Arc::new(AtomicU64::new(0)),
            done: Arc::new(AtomicBool::new(false)),
            epoch: Instant::now(),
        };
        let (started, case, done, epoch) = (
            dog.started_ms.clone(),
            dog.case.clone(),
            dog.done.clone(),
            dog.epoch,
        );
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let now = epoch.elapsed().as_millis() as u64;
                if now.saturating_sub(started.load(Ordering::Relaxed)) > HANG.as_millis() as u64 {
                    eprintln!(
                        "{target}: case {} (seed {:#x}) hangs: aborting",
                        case.load(Ordering::Relaxed),
                        seed()
                    );
                    std::process::abort();
                }
            }
        });
        dog
    }

    fn start(&self, case: usize) {
        self.case.store(case as u64, Ordering::Relaxed);
        self.started_ms
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// Runs `target` on `seeds` as they are, then on `cases` mutants of
/// them, each prepared by `fix` (checksums made right, mostly), and
/// reports how many cases ran and how many of them `valid` accepts (those
/// exercise the engine beyond the decoder).
fn fuzz(
    name: &'static str,
    seeds: &[Vec<u8>],
    cases: usize,
    salt: u64,
    fix: impl Fn(&mut Rng, &mut Vec<u8>),
    target: impl Fn(&[u8]),
    valid: impl Fn(&[u8]) -> bool,
) {
    let dog = Watchdog::new(name);
    let mut rng = Rng(seed() ^ salt);
    let total = seeds.len() + cases;
    let started = Instant::now();
    let mut largest = 0;
    let mut accepted = 0;
    for case in 0..total {
        let mut input = seeds[case % seeds.len()].clone();
        if case >= seeds.len() {
            mutate(&mut rng, &mut input, seeds);
            fix(&mut rng, &mut input);
        }
        dog.start(case);
        let t = Instant::now();
        let (outcome, usage) = measured(|| catch_unwind(AssertUnwindSafe(|| target(&input))));
        let took = t.elapsed();
        let what = || {
            format!(
                "{name} case {case} (FUZZ_RDB_SEED={}), input {} bytes: \"{}\"",
                seed(),
                input.len(),
                input.escape_ascii()
            )
        };
        if outcome.is_err() {
            panic!("panicked on {}", what());
        }
        assert!(took < SLOW, "{:?} on {}", took, what());
        assert!(
            usage.largest <= allowance(input.len()) && usage.peak <= allowance(input.len()),
            "{usage:?} allocated on {}",
            what()
        );
        largest = largest.max(usage.largest);
        accepted += usize::from(valid(&input));
    }
    eprintln!(
        "{name}: {total} cases ({accepted} valid) in {:.1?}, largest allocation {largest} bytes",
        started.elapsed()
    );
}

#[test]
fn rdb_load_fuzz() {
    let seeds = rdb_seeds();
    for s in &seeds {
        let mut r = Reader::new(&s[..]).expect("a seed file");
        assert!(r.all(|e| e.is_ok()), "seed files are valid");
    }
    fuzz(
        "rdb_load",
        &seeds,
        cases(2_000),
        1,
        |rng, file| {
            // Most mutants get their checksum made right (or 0, "not
            // checked"), so the damage meets the decoder.
            if file.len() >= 17 && rng.chance(90) {
                let at = file.len() - 8;
                let crc = if rng.chance(50) {
                    crc64(&file[..at])
                } else {
                    0
                };
                file[at..].copy_from_slice(&crc.to_le_bytes());
            }
        },
        rdb_load,
        |file| Reader::new(file).is_ok_and(|r| r.into_iter().all(|e| e.is_ok())),
    );
}

#[test]
fn restore_payload_fuzz() {
    let seeds = payload_seeds();
    for s in &seeds {
        rdb::restore(s).unwrap_or_else(|e| panic!("seed {}: {e}", s.escape_ascii()));
    }
    // restore_payload makes the CRC right itself.
    fuzz(
        "restore_payload",
        &seeds,
        cases(12_000),
        2,
        |_, _| {},
        restore_payload,
        |payload| {
            let mut payload = payload.to_vec();
            fix_payload_crc(&mut payload);
            rdb::restore(&payload).is_ok()
        },
    );
}

/// Lengths claiming 2^40 elements (or bytes) with 10 bytes behind them fail
/// at once with an error, reserving nothing like what they claim: in a
/// DUMP payload and in an RDB file, for every type that starts with a
/// count or a length.
#[test]
fn huge_claims_fail_fast_and_small() {
    let claim = [0x81, 0, 0, 1, 0, 0, 0, 0, 0]; // 2^40
    let ten = [0xc0, 7, 1, b'a', 1, b'b', 1, b'c', 0xc0, 9];
    let types = [
        rdb_type::STRING,
        rdb_type::LIST,
        rdb_type::SET,
        rdb_type::ZSET,
        rdb_type::HASH,
        rdb_type::ZSET_2,
        rdb_type::LIST_QUICKLIST,
        rdb_type::LIST_QUICKLIST_2,
        rdb_type::SET_INTSET,
        rdb_type::SET_LISTPACK,
        rdb_type::HASH_LISTPACK,
        rdb_type::ZSET_LISTPACK,
        rdb_type::LIST_ZIPLIST,
        rdb_type::HASH_ZIPMAP,
    ];
    let mut inputs = Vec::new();
    for t in types {
        for lzf in [false, true] {
            let mut value = Vec::new();
            if lzf {
                // An LZF string of 2^40 bytes from 2^40 compressed ones.
                value.push(0xc3);
                value.extend_from_slice(&claim);
            }
            value.extend_from_slice(&claim);
            value.extend_from_slice(&ten);
            let mut payload = vec![t];
            payload.extend_from_slice(&value);
            payload.extend_from_slice(&10u16.to_le_bytes());
            let crc = crc64(&payload);
            payload.extend_from_slice(&crc.to_le_bytes());
            let mut file = b"REDIS0010\xfe\x00".to_vec();
            file.push(t);
            file.extend_from_slice(b"\x01k");
            file.extend_from_slice(&value);
            inputs.push((payload, file));
        }
    }
    for (payload, file) in inputs {
        let t = Instant::now();
        let (r, usage) = measured(|| rdb::restore(&payload));
        assert!(r.is_err(), "{}", payload.escape_ascii());
        assert!(
            usage.largest < 256 << 10,
            "{usage:?}: {}",
            payload.escape_ascii()
        );
        let (r, file_usage) = measured(|| {
            let reader = Reader::new(&file[..]).expect("a header");
            reader.collect::<Result<Vec<_>, _>>()
        });
        assert!(r.is_err(), "{}", file.escape_ascii());
        assert!(file_usage.peak < 256 << 10, "{file_usage:?}");
        // And through the engine, both ways.
        let (_, engine_usage) = measured(|| {
            restore_payload(&payload);
            rdb_load(&file);
        });
        assert!(engine_usage.peak < 1 << 20, "{engine_usage:?}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }
}
