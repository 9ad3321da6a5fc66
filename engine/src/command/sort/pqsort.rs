//! The partial quicksort Redis runs for `SORT ... BY pattern LIMIT`.
//!
//! Redis sorts with the C library's `qsort` (glibc's is a stable merge
//! sort), except when a BY pattern is combined with a LIMIT that leaves
//! elements out: then it runs its own `pqsort`, Bentley and McIlroy's
//! three-way quicksort that skips partitions outside the requested range.
//! That sort is not stable, and with ALPHA, elements whose weights compare
//! equal come out in the order its swaps leave them. To answer exactly as
//! Redis does, this follows the same pivot choices, partitioning and
//! insertion-sort cutoffs.

use std::cmp::Ordering;

/// Sorts `v` enough that positions `first..=last` hold what a full sort by
/// `cmp` would put there, in the order Redis's `pqsort` leaves them.
/// `last` may be `first - 1` (an empty range).
pub fn partial_sort<T>(
    v: &mut [T],
    first: i64,
    last: i64,
    mut cmp: impl FnMut(&T, &T) -> Ordering,
) {
    // Redis tests overlap on byte addresses: the range runs from the first
    // byte of element `first` to the last byte of element `last`. Twice the
    // index (and one more for a last byte) keeps the same comparisons.
    let range = (2 * first, 2 * last + 1);
    sort_part(v, 0, v.len(), range, &mut cmp);
}

fn sort_part<T>(
    v: &mut [T],
    mut base: usize,
    mut n: usize,
    range: (i64, i64),
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    loop {
        let a = base;
        if n < 7 {
            insertion_sort(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = median_of_three(v, pl, pl + d, pl + 2 * d, cmp);
                pm = median_of_three(v, pm - d, pm, pm + d, cmp);
                pn = median_of_three(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = median_of_three(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);

        // Partition around the pivot at `a`: equal elements are parked at
        // both ends ([a+1, pa) and (pd, end)), then swapped into the middle.
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        let mut swapped = false;
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    swapped = true;
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            swapped = true;
            pb += 1;
            pc -= 1;
        }
        if !swapped {
            // Already partitioned: likely nearly sorted.
            insertion_sort(v, a, n, cmp);
            return;
        }

        let end = a + n;
        let r = (pa - a).min(pb - pa);
        swap_blocks(v, a, pb - r, r);
        let r = (pd - pc).min(end - pd - 1);
        swap_blocks(v, pb, end - r, r);

        let smaller = pb - pa;
        if smaller > 1 && overlaps(a, smaller, range) {
            sort_part(v, a, smaller, range, cmp);
        }
        let larger = pd - pc;
        if larger <= 1 {
            return;
        }
        base = end - larger;
        n = larger;
        if !overlaps(base, n, range) {
            return;
        }
    }
}

/// Whether elements `base..base + n` touch the requested range (see
/// [`partial_sort`] for the doubled coordinates).
fn overlaps(base: usize, n: usize, (lo, hi): (i64, i64)) -> bool {
    let left = 2 * base as i64;
    let right = 2 * (base + n) as i64 - 1;
    !((lo < left && hi < left) || (lo > right && hi > right))
}

fn insertion_sort<T>(v: &mut [T], a: usize, n: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    for m in a + 1..a + n {
        let mut l = m;
        while l > a && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn median_of_three<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    let lt = |x: Ordering| x == Ordering::Less;
    let gt = |x: Ordering| x == Ordering::Greater;
    if lt(cmp(&v[a], &v[b])) {
        if lt(cmp(&v[b], &v[c])) {
            b
        } else if lt(cmp(&v[a], &v[c])) {
            c
        } else {
            a
        }
    } else if gt(cmp(&v[b], &v[c])) {
        b
    } else if lt(cmp(&v[a], &v[c])) {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `x` with the `n` from `y`, pair by pair.
fn swap_blocks<T>(v: &mut [T], x: usize, y: usize, n: usize) {
    for i in 0..n {
        v.swap(x + i, y + i);
    }
}

#[cfg(test)]
mod tests {
    use super::partial_sort;

    /// A small deterministic generator, enough to vary the inputs.
    fn numbers(seed: u64, n: usize, modulo: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 33) % modulo
            })
            .collect()
    }

    #[test]
    fn the_requested_range_matches_a_full_sort() {
        for (seed, n) in [(1, 0), (2, 5), (3, 7), (4, 8), (5, 41), (6, 300), (7, 1000)] {
            let input = numbers(seed, n, 50);
            let mut full = input.clone();
            full.sort();
            for (first, count) in [(0, n), (0, 3), (n / 2, 10), (n.saturating_sub(4), 4)] {
                let last = (first + count).min(n) as i64 - 1;
                let mut v = input.clone();
                partial_sort(&mut v, first as i64, last, |a, b| a.cmp(b));
                let range = first.min(n)..(last + 1).max(0) as usize;
                assert_eq!(
                    v[range.clone()],
                    full[range],
                    "seed {seed} n {n} first {first}"
                );
            }
        }
    }

    #[test]
    fn sorts_everything_when_the_range_is_everything() {
        let mut v = numbers(9, 500, 1_000_000);
        let mut full = v.clone();
        full.sort();
        partial_sort(&mut v, 0, 499, |a, b| a.cmp(b));
        assert_eq!(v, full);
    }
}
