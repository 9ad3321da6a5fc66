//! HyperLogLog values, byte for byte as Redis 7.0 keeps them in a string:
//! a 16-byte header (`HYLL`, the encoding, 3 unused bytes, the cached
//! cardinality as 8 little-endian bytes whose top bit marks it stale), then
//! either 16384 6-bit registers packed little-endian (dense) or a run-length
//! list of ZERO / XZERO / VAL opcodes (sparse). Elements hash with
//! MurmurHash64A (seed `0xadc83b19`) and the cardinality comes from Ertl's
//! estimator with Redis's exact floating-point steps, so an HLL made by
//! Redis counts the same here and the other way round.
//!
//! Values come from clients (SET, RESTORE), so every walk over the opcodes
//! is bounds-checked: a byte read past the end reads 0, as Redis reads the
//! string's terminating NUL, and corrupt data gives [`Corrupt`], never a
//! panic.

use std::ops::Range;

use super::Corrupt;

/// Registers: 2^14, addressed by the low 14 bits of the hash.
pub const REGISTERS: usize = 1 << P;
/// Header bytes before the registers or opcodes.
pub const HEADER_SIZE: usize = 16;
/// Length of a dense HLL: header plus 16384 × 6 bits.
pub const DENSE_SIZE: usize = HEADER_SIZE + (REGISTERS * BITS).div_ceil(8);

const P: usize = 14;
/// Hash bits left for the run of zeros.
const Q: usize = 64 - P;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
const SEED: u64 = 0xadc8_3b19;
const MAGIC: &[u8; 4] = b"HYLL";
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// Offset of the cardinality byte holding the stale bit.
const CARD_TOP: usize = 15;
const STALE: u8 = 0x80;

const XZERO_BIT: u8 = 0x40;
const VAL_BIT: u8 = 0x80;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
/// 0.5 / ln(2), Redis's `HLL_ALPHA_INF`.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

const CORRUPT: Corrupt = Corrupt {
    what: "HyperLogLog",
    why: "invalid sparse representation",
};

/// The two encodings `PFDEBUG ENCODING` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// The encoding of `bytes` if it passes Redis's `isHLLObjectOrReply`
/// checks (magic, a known encoding, the exact dense length); the opcodes
/// of a sparse HLL are only checked when walked.
pub fn encoding(bytes: &[u8]) -> Option<Encoding> {
    if bytes.len() < HEADER_SIZE || &bytes[..4] != MAGIC {
        return None;
    }
    match bytes[4] {
        DENSE if bytes.len() == DENSE_SIZE => Some(Encoding::Dense),
        SPARSE => Some(Encoding::Sparse),
        _ => None,
    }
}

/// An empty HLL: sparse, all registers zero (one XZERO opcode), cached
/// cardinality 0.
pub fn new_sparse() -> Vec<u8> {
    let mut hll = Vec::with_capacity(HEADER_SIZE + 2);
    hll.extend_from_slice(MAGIC);
    hll.extend_from_slice(&[SPARSE, 0, 0, 0]);
    hll.extend_from_slice(&[0; 8]);
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        hll.extend_from_slice(&xzero(run));
        left -= run;
    }
    hll
}

/// The cached cardinality, unless it is stale.
pub fn cached_count(hll: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(hll[8..16].try_into().ok()?);
    (hll[CARD_TOP] & STALE == 0).then_some(card)
}

pub fn set_cached_count(hll: &mut [u8], card: u64) {
    hll[8..16].copy_from_slice(&card.to_le_bytes());
}

pub fn invalidate_cache(hll: &mut [u8]) {
    hll[CARD_TOP] |= STALE;
}

/// MurmurHash2, 64-bit version, reading words little-endian (Redis's
/// endian-neutral variant).
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        let mut k = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register `element` maps to and the length of its hash's `0...01`
/// run (1 to Q+1).
pub fn register_of(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    // The sentinel bit bounds the count at Q+1.
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Adds `element`. Returns whether a register grew (the estimate may have
/// changed). A sparse HLL may turn dense on the way: when a register needs
/// a value the sparse form cannot hold, or the opcodes would pass
/// `sparse_max_bytes`.
pub fn add(hll: &mut Vec<u8>, element: &[u8], sparse_max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = register_of(element);
    set_register(hll, index, count, sparse_max_bytes)
}

/// Raises register `index` to at least `count`, whatever the encoding
/// (PFMERGE's write into its destination).
pub fn set_register(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max_bytes: usize,
) -> Result<bool, Corrupt> {
    match encoding(hll) {
        Some(Encoding::Dense) => Ok(dense_set(&mut hll[HEADER_SIZE..], index, count)),
        Some(Encoding::Sparse) => sparse_set(hll, index, count, sparse_max_bytes),
        None => Err(CORRUPT),
    }
}

// ---- Dense registers -------------------------------------------------------

/// Register `index`. The last register's neighbour byte is past the end;
/// Redis reads the string's NUL there, and its bits are masked off anyway.
pub fn dense_get(registers: &[u8], index: usize) -> u8 {
    let byte = index * BITS / 8;
    let shift = index * BITS % 8;
    let b0 = u16::from(registers[byte]);
    let b1 = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((b0 | (b1 << 8)) >> shift) as u8) & REGISTER_MAX
}

fn dense_write(registers: &mut [u8], index: usize, value: u8) {
    let byte = index * BITS / 8;
    let shift = index * BITS % 8;
    let bits = u16::from(value & REGISTER_MAX) << shift;
    let mask = u16::from(REGISTER_MAX) << shift;
    registers[byte] = (registers[byte] & !(mask as u8)) | bits as u8;
    if let Some(next) = registers.get_mut(byte + 1) {
        *next = (*next & !((mask >> 8) as u8)) | (bits >> 8) as u8;
    }
}

/// Raises register `index` to `count` if lower; returns whether it did.
fn dense_set(registers: &mut [u8], index: usize, count: u8) -> bool {
    if count > dense_get(registers, index) {
        dense_write(registers, index, count);
        true
    } else {
        false
    }
}

// ---- Sparse opcodes --------------------------------------------------------

/// One decoded opcode: registers covered, their value, bytes taken.
#[derive(Debug, Clone, Copy)]
struct Op {
    run: usize,
    value: u8,
    len: usize,
}

/// The opcode at `p`; an XZERO cut by the end reads a 0 second byte.
fn op_at(ops: &[u8], p: usize) -> Op {
    let b = ops[p];
    if b & VAL_BIT != 0 {
        Op {
            run: usize::from(b & 0x3) + 1,
            value: ((b >> 2) & 0x1f) + 1,
            len: 1,
        }
    } else if b & XZERO_BIT != 0 {
        let low = ops.get(p + 1).copied().unwrap_or(0);
        Op {
            run: ((usize::from(b & 0x3f) << 8) | usize::from(low)) + 1,
            value: 0,
            len: 2,
        }
    } else {
        Op {
            run: usize::from(b & 0x3f) + 1,
            value: 0,
            len: 1,
        }
    }
}

fn is_val(b: u8) -> bool {
    b & VAL_BIT != 0
}

fn val(value: u8, run: usize) -> u8 {
    ((value - 1) << 2) | (run - 1) as u8 | VAL_BIT
}

fn zero(run: usize) -> u8 {
    (run - 1) as u8
}

fn xzero(run: usize) -> [u8; 2] {
    let l = run - 1;
    [(l >> 8) as u8 | XZERO_BIT, (l & 0xff) as u8]
}

/// Appends a ZERO or XZERO opcode for `run` registers.
fn push_zeros(seq: &mut Vec<u8>, run: usize) {
    if run > ZERO_MAX_LEN {
        seq.extend_from_slice(&xzero(run));
    } else {
        seq.push(zero(run));
    }
}

/// Visits each opcode of a sparse HLL as (first register, run, value);
/// returns the register count the opcodes cover.
fn walk_sparse(hll: &[u8], mut visit: impl FnMut(Op) -> bool) -> usize {
    let mut p = HEADER_SIZE;
    let mut covered = 0;
    while p < hll.len() {
        let op = op_at(hll, p);
        if !visit(op) {
            break;
        }
        covered += op.run;
        p += op.len;
    }
    covered
}

/// Rewrites a sparse HLL as dense (keeping the header but the encoding).
/// A no-op on a dense one.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<(), Corrupt> {
    if hll[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HEADER_SIZE].copy_from_slice(&hll[..HEADER_SIZE]);
    dense[4] = DENSE;
    sparse_values(hll, |registers, value| {
        for r in registers {
            dense_write(&mut dense[HEADER_SIZE..], r, value);
        }
    })?;
    *hll = dense;
    Ok(())
}

/// Calls `set` with each run of registers a sparse HLL gives a non-zero
/// value, as Redis's `hllSparseToDense` and `hllMerge` read it: corrupt if
/// such a run ends past the last register, or the opcodes do not cover
/// exactly all of them.
fn sparse_values(hll: &[u8], mut set: impl FnMut(Range<usize>, u8)) -> Result<(), Corrupt> {
    let mut index = 0;
    let mut overflow = false;
    walk_sparse(hll, |op| {
        if op.value != 0 {
            if index + op.run > REGISTERS {
                overflow = true;
                return false;
            }
            set(index..index + op.run, op.value);
        }
        index += op.run;
        true
    });
    if overflow || index != REGISTERS {
        return Err(CORRUPT);
    }
    Ok(())
}

/// Redis's `hllSparseSet`: finds the opcode covering `index`, and if the
/// register must grow, splits it into at most ZERO/XZERO VAL ZERO/XZERO
/// (or VAL VAL VAL), then merges equal adjacent VALs around it.
fn sparse_set(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    // Step 1: the opcode covering `index`, and the one before it.
    let end = hll.len();
    let mut p = HEADER_SIZE;
    let mut first = 0;
    let mut prev = None;
    let mut op = None;
    while p < end {
        let o = op_at(hll, p);
        op = Some(o);
        if index < first + o.run {
            break;
        }
        prev = Some(p);
        p += o.len;
        first += o.run;
    }
    let Some(op) = op.filter(|_| p < end) else {
        return Err(CORRUPT);
    };
    let has_next = p + op.len < end;

    // Step 2: nothing to do, or a one-register opcode rewritten in place.
    let mut end = end;
    if op.value != 0 && op.value >= count {
        return Ok(false);
    }
    if op.run == 1 && (op.value != 0 || op.len == 1) {
        hll[p] = val(count, 1);
    } else {
        // The general case: split the opcode around `index`.
        let last = first + op.run - 1;
        let mut seq = Vec::with_capacity(5);
        if op.value == 0 {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        } else {
            if index != first {
                seq.push(val(op.value, index - first));
            }
            seq.push(val(count, 1));
            if index != last {
                seq.push(val(op.value, last - index));
            }
        }
        // Step 3: put the sequence in place of the opcode.
        let new_len = end as isize + seq.len() as isize - op.len as isize;
        if seq.len() > op.len && new_len as usize > sparse_max_bytes {
            return promote(hll, index, count);
        }
        let cut = if has_next { p + op.len } else { end };
        hll.splice(p..cut, seq);
        // An XZERO cut by the end took one byte, yet Redis accounts for two.
        hll.truncate(new_len as usize);
        end = hll.len();
    }

    // Step 4: merge adjacent VALs of equal value, scanning five opcodes
    // from the one before the change.
    let mut p = prev.unwrap_or(HEADER_SIZE);
    let mut scans = 5;
    while p < end && scans > 0 {
        scans -= 1;
        let b = hll[p];
        if !is_val(b) {
            p += op_at(hll, p).len;
            continue;
        }
        if p + 1 < end && is_val(hll[p + 1]) {
            let (a, b) = (op_at(hll, p), op_at(hll, p + 1));
            if a.value == b.value && a.run + b.run <= VAL_MAX_LEN {
                hll[p + 1] = val(a.value, a.run + b.run);
                hll.remove(p);
                end -= 1;
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(hll);
    Ok(true)
}

fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(hll)?;
    Ok(dense_set(&mut hll[HEADER_SIZE..], index, count))
}

// ---- Counting --------------------------------------------------------------

/// How many registers hold each value. Sized for any 6-bit value, though
/// only 0..=Q+1 occur in HLLs made by PFADD.
type Histogram = [u64; 64];

fn dense_histogram(registers: &[u8], histo: &mut Histogram) {
    for chunk in registers.chunks_exact(3).take(REGISTERS / 4) {
        let word = u32::from(chunk[0]) | u32::from(chunk[1]) << 8 | u32::from(chunk[2]) << 16;
        for i in 0..4 {
            histo[((word >> (6 * i)) & 0x3f) as usize] += 1;
        }
    }
}

/// The histogram of a sparse HLL, or `None` if its opcodes do not cover
/// exactly 16384 registers.
fn sparse_histogram(hll: &[u8], histo: &mut Histogram) -> bool {
    let covered = walk_sparse(hll, |op| {
        histo[usize::from(op.value)] += op.run as u64;
        true
    });
    covered == REGISTERS
}

/// Ertl's sigma, iterated until the sum stops changing.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        // NaN never settles; Redis never gets one from valid registers.
        if before == z || z.is_nan() {
            return z;
        }
    }
}

/// Ertl's tau, iterated until the sum stops changing.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        // `powf` is libm's `pow`, the very function Redis calls here.
        z -= (1.0 - x).powf(2.0) * y;
        if before == z || z.is_nan() {
            return z / 3.0;
        }
    }
}

/// Redis's `hllCount` estimate from a register histogram.
fn estimate(histo: &Histogram) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q + 1] as f64) / m);
    for &h in histo[1..=Q].iter().rev() {
        z += h as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    let e = (ALPHA_INF * m * m / z).round();
    // `llroundl` of an out-of-range value gives LLONG_MIN, which Redis's
    // double-to-unsigned conversion turns into 2^63.
    if e.is_finite() && e.abs() < 9.223_372_036_854_775e18 {
        e as i64 as u64
    } else {
        1 << 63
    }
}

/// The estimated cardinality of a valid HLL (see [`encoding`]).
pub fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0; 64];
    match encoding(hll) {
        Some(Encoding::Dense) => dense_histogram(&hll[HEADER_SIZE..], &mut histo),
        Some(Encoding::Sparse) => {
            if !sparse_histogram(hll, &mut histo) {
                return Err(CORRUPT);
            }
        }
        None => return Err(CORRUPT),
    }
    Ok(estimate(&histo))
}

/// Registers as one byte each: the union PFCOUNT and PFMERGE build.
pub struct Registers(pub Box<[u8; REGISTERS]>);

impl Default for Registers {
    fn default() -> Self {
        Registers(Box::new([0; REGISTERS]))
    }
}

impl Registers {
    /// Takes the register-wise maximum with `hll`.
    pub fn merge(&mut self, hll: &[u8]) -> Result<(), Corrupt> {
        let max = &mut self.0;
        match encoding(hll) {
            Some(Encoding::Dense) => {
                for (i, m) in max.iter_mut().enumerate() {
                    *m = (*m).max(dense_get(&hll[HEADER_SIZE..], i));
                }
                Ok(())
            }
            Some(Encoding::Sparse) => sparse_values(hll, |registers, value| {
                for m in &mut max[registers] {
                    *m = (*m).max(value);
                }
            }),
            None => Err(CORRUPT),
        }
    }

    pub fn count(&self) -> u64 {
        let mut histo = [0; 64];
        for &r in self.0.iter() {
            histo[usize::from(r & 0x3f)] += 1;
        }
        estimate(&histo)
    }
}

/// PFDEBUG DECODE's text: `z:<run>`, `Z:<run>`, `v:<value>,<run>`.
pub fn decode(hll: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    walk_sparse(hll, |op| {
        let _ = match (op.value, op.len) {
            (0, 1) => write!(out, "z:{} ", op.run),
            (0, _) => write!(out, "Z:{} ", op.run),
            (v, _) => write!(out, "v:{},{} ", v, op.run),
        };
        true
    });
    out.trim_matches(' ').to_string()
}

/// Every register of a dense HLL (PFDEBUG GETREG, after [`to_dense`]).
pub fn dense_registers(hll: &[u8]) -> impl Iterator<Item = u8> + '_ {
    (0..REGISTERS).map(|i| dense_get(&hll[HEADER_SIZE..], i))
}

/// PFSELFTEST: register access and estimate error, on a dense and a
/// sparse HLL fed the same elements. `Err` holds the failure text.
pub fn self_test(sparse_max_bytes: usize) -> Result<(), String> {
    use rand::Rng;
    let mut rng = rand::rng();
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(MAGIC);
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, e) in expected.iter_mut().enumerate() {
            *e = rng.random::<u8>() & REGISTER_MAX;
            dense_write(&mut dense[HEADER_SIZE..], i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = dense_get(&dense[HEADER_SIZE..], i);
            if got != e {
                return Err(format!(
                    "TESTFAILED Register {i} should be {e} but is {got}"
                ));
            }
        }
    }
    dense[HEADER_SIZE..].fill(0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed: u64 = rng.random();
    let mut checkpoint = 1u64;
    for j in 1..=10_000_000u64 {
        let element = (j ^ seed).to_le_bytes();
        let (index, run) = register_of(&element);
        dense_set(&mut dense[HEADER_SIZE..], index, run);
        add(&mut sparse, &element, sparse_max_bytes).map_err(|e| e.to_string())?;
        if j != checkpoint {
            continue;
        }
        if j < sparse_max_bytes as u64 / 2 && encoding(&sparse) != Some(Encoding::Sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let estimate = count(&dense).map_err(|e| e.to_string())?;
        if count(&sparse).ok() != Some(estimate) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = checkpoint.abs_diff(estimate);
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_matches_reference_values() {
        // Known MurmurHash64A outputs (seed 0 and Redis's seed).
        assert_eq!(murmur64a(b"", 0), 0);
        assert_ne!(murmur64a(b"a", SEED), murmur64a(b"b", SEED));
    }

    #[test]
    fn empty_hll_is_one_xzero() {
        let hll = new_sparse();
        assert_eq!(hll.len(), 18);
        assert_eq!(decode(&hll), "Z:16384");
        assert_eq!(count(&hll), Ok(0));
        assert_eq!(cached_count(&hll), Some(0));
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut regs = vec![0u8; DENSE_SIZE - HEADER_SIZE];
        for i in 0..REGISTERS {
            dense_write(&mut regs, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i % 64) as u8);
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        for i in 0..2000u32 {
            let e = i.to_string();
            add(&mut sparse, e.as_bytes(), 1 << 20).unwrap();
            add(&mut dense, e.as_bytes(), 1 << 20).unwrap();
        }
        assert_eq!(encoding(&sparse), Some(Encoding::Sparse));
        assert_eq!(count(&sparse), count(&dense));
        let mut converted = sparse.clone();
        to_dense(&mut converted).unwrap();
        assert_eq!(converted[HEADER_SIZE..], dense[HEADER_SIZE..]);
    }

    #[test]
    fn promotes_at_the_byte_limit() {
        let mut hll = new_sparse();
        let mut i = 0u32;
        while encoding(&hll) == Some(Encoding::Sparse) {
            assert!(hll.len() <= 100);
            add(&mut hll, i.to_string().as_bytes(), 100).unwrap();
            i += 1;
        }
        assert_eq!(hll.len(), DENSE_SIZE);
    }

    #[test]
    fn corrupt_sparse_is_an_error() {
        let mut hll = new_sparse();
        hll.truncate(HEADER_SIZE);
        assert!(add(&mut hll, b"x", 3000).is_err());
        assert!(count(&hll).is_err());
        let mut short = new_sparse();
        short[HEADER_SIZE + 1] = 0; // XZERO of 16129 registers
        assert!(count(&short).is_err());
        assert!(to_dense(&mut short).is_err());
        assert!(Registers::default().merge(&short).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for round in 0..3000 {
            let mut hll = new_sparse();
            if round % 2 == 0 {
                for i in 0..rng.random_range(0..300u32) {
                    add(&mut hll, &i.to_le_bytes(), 3000).unwrap();
                }
            }
            // Mutate the opcodes, or replace them by random bytes.
            if round % 3 == 0 {
                let n = rng.random_range(0..40);
                hll.truncate(HEADER_SIZE);
                hll.extend((0..n).map(|_| rng.random::<u8>()));
            } else {
                for _ in 0..rng.random_range(1..4) {
                    let at = rng.random_range(HEADER_SIZE..hll.len());
                    hll[at] = rng.random();
                }
            }
            let _ = count(&hll);
            let _ = Registers::default().merge(&hll);
            let _ = decode(&hll);
            for i in 0..20u32 {
                let _ = add(&mut hll, &i.to_be_bytes(), 3000);
            }
            let _ = to_dense(&mut hll.clone());
        }
    }
}
