//! Redis's `bytesToHuman`: the `*_human` fields of INFO.

const UNITS: [(u64, char); 5] = [
    (1 << 10, 'K'),
    (1 << 20, 'M'),
    (1 << 30, 'G'),
    (1 << 40, 'T'),
    (1 << 50, 'P'),
];

/// Formats a byte count as Redis does: `"512B"`, `"1.00K"`, `"1.23M"`, up to
/// petabytes with two decimals. Like Redis, counts of 1024 P and more fall
/// back to plain bytes.
pub fn bytes_to_human(n: u64) -> String {
    if n < 1024 {
        return format!("{n}B");
    }
    for (unit, suffix) in UNITS {
        if n < unit * 1024 {
            // Same double division and "%.2f" rounding (round-half-even on the
            // exact binary value) as the C code.
            return format!("{:.2}{suffix}", n as f64 / unit as f64);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::bytes_to_human;

    #[test]
    fn matches_redis() {
        let cases: &[(u64, &str)] = &[
            (0, "0B"),
            (512, "512B"),
            (1023, "1023B"),
            (1024, "1.00K"),
            (1088, "1.06K"), // 1.0625 rounds half to even, as printf does
            (939_224, "917.21K"),
            (1024 * 1024 - 1, "1024.00K"),
            (1024 * 1024, "1.00M"),
            (1_289_748, "1.23M"),
            (12_115_968, "11.55M"),
            (25_276_510_208, "23.54G"),
            (1 << 40, "1.00T"),
            (3 << 50, "3.00P"),
            ((1 << 60) - 1, "1024.00P"),
            (1 << 60, "1152921504606846976B"),
            (u64::MAX, "18446744073709551615B"),
        ];
        for &(n, want) in cases {
            assert_eq!(bytes_to_human(n), want, "bytes_to_human({n})");
        }
    }
}
