//! Intset blobs (Redis's `intset.c`): encoding width (u32 LE: 2, 4 or 8),
//! count (u32 LE), then the members sorted ascending, each little endian in
//! that width.

const HEADER: usize = 8;

/// Appends the intset of `sorted` (strictly ascending) to `buf`.
pub fn build(sorted: &[i64], buf: &mut Vec<u8>) {
    let lo = sorted.first().copied().unwrap_or(0);
    let hi = sorted.last().copied().unwrap_or(0);
    let width: usize = if i16::try_from(lo).is_ok() && i16::try_from(hi).is_ok() {
        2
    } else if i32::try_from(lo).is_ok() && i32::try_from(hi).is_ok() {
        4
    } else {
        8
    };
    buf.reserve(HEADER + width * sorted.len());
    buf.extend_from_slice(&(width as u32).to_le_bytes());
    buf.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for v in sorted {
        buf.extend_from_slice(&v.to_le_bytes()[..width]);
    }
}

/// Validates an intset as Redis does on load (known width, exact size, not
/// empty, strictly ascending) and returns its members.
pub fn parse(blob: &[u8]) -> Result<Vec<i64>, &'static str> {
    const BAD: &str = "intset integrity check failed";
    if blob.len() < HEADER {
        return Err(BAD);
    }
    let width = u32::from_le_bytes(blob[..4].try_into().expect("4 bytes")) as usize;
    let count = u32::from_le_bytes(blob[4..8].try_into().expect("4 bytes")) as usize;
    if !matches!(width, 2 | 4 | 8)
        || count == 0
        || (blob.len() - HEADER) != count.checked_mul(width).ok_or(BAD)?
    {
        return Err(BAD);
    }
    let shift = 64 - 8 * width as u32;
    let mut out = Vec::with_capacity(count);
    for chunk in blob[HEADER..].chunks_exact(width) {
        let mut v = [0u8; 8];
        v[..width].copy_from_slice(chunk);
        let v = i64::from_le_bytes(v) << shift >> shift;
        if out.last().is_some_and(|&prev| prev >= v) {
            return Err(BAD);
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_round_trip() {
        for (set, width) in [
            (vec![-3, 1, 2], 2),
            (vec![1, 70000], 4),
            (vec![-5_000_000_000, 0], 8),
            (vec![i64::MIN, i64::MAX], 8),
        ] {
            let mut buf = Vec::new();
            build(&set, &mut buf);
            assert_eq!(buf.len(), 8 + width * set.len());
            assert_eq!(buf[0] as usize, width);
            assert_eq!(parse(&buf).unwrap(), set);
        }
    }

    #[test]
    fn rejects_bad() {
        let mut buf = Vec::new();
        build(&[1, 2, 3], &mut buf);
        for cut in 0..buf.len() {
            assert!(parse(&buf[..cut]).is_err());
        }
        let mut unsorted = buf.clone();
        unsorted.swap(8, 10);
        assert!(parse(&unsorted).is_err());
        assert!(parse(&[2, 0, 0, 0, 0, 0, 0, 0]).is_err()); // empty
        assert!(parse(&[3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).is_err()); // width 3
    }
}
