//! The bitmap and geo rows of the data types scenario: SETBIT, GETBIT and
//! BITCOUNT on a 1 MB bitmap, BITOP over 4 bitmaps of 1 MB, GEOADD of
//! random members and GEOSEARCH BYRADIUS in a seeded geo set.

use anyhow::Result;

use crate::benchmark::{self, Load};
use crate::scenario::Pair;
use crate::servers::Probe as _;

const BITMAPS: [&str; 4] = [
    "xtask:bitmap:0",
    "xtask:bitmap:1",
    "xtask:bitmap:2",
    "xtask:bitmap:3",
];
const BITMAP_BYTES: usize = 1 << 20;
const GEO_KEY: &str = "xtask:geo:seeded";
const GEO_MEMBERS: usize = 10_000;

/// Seeds both servers and returns the loads, or why Redust cannot run them.
pub fn loads(pair: &Pair) -> Result<Result<Vec<Load>, String>> {
    let probes: [&[&str]; 2] = [
        &["BITCOUNT", "xtask:probe:bits"],
        &["GEOADD", "xtask:probe:geo", "0", "0", "m"],
    ];
    for probe in probes {
        if let Some(error) = benchmark::rejects(&pair.redust, probe)? {
            return Ok(Err(error));
        }
    }
    for server in pair.both() {
        let mut client = server.connect()?;
        // A fixed pseudo-random fill, the same on both servers.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for key in BITMAPS {
            let bytes: Vec<u8> = (0..BITMAP_BYTES)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            client.call(&[b"SET".as_slice(), key.as_bytes(), &bytes[..]])?;
        }
        for chunk in (0..GEO_MEMBERS).collect::<Vec<_>>().chunks(500) {
            let mut geoadd = vec!["GEOADD".to_owned(), GEO_KEY.to_owned()];
            for &i in chunk {
                // A 1° x 1° grid of points around Palermo.
                let lon = 13.0 + (i % 100) as f64 / 100.0;
                let lat = 38.0 + (i / 100) as f64 / 100.0;
                geoadd.extend([lon.to_string(), lat.to_string(), format!("place:{i}")]);
            }
            client.call(&geoadd)?;
        }
    }
    // redis-benchmark's `__rand_int__` is zero-padded, which no bit
    // offset parser accepts: a fixed offset in the middle of the bitmap.
    let middle = (BITMAP_BYTES * 4 + 3).to_string();
    let command = |words: &[&str]| Load::Command(words.iter().map(|w| w.to_string()).collect());
    let mut bitop = vec!["BITOP", "AND", "xtask:bitop:dest"];
    bitop.extend(BITMAPS);
    Ok(Ok(vec![
        command(&["SETBIT", BITMAPS[0], &middle, "1"]),
        command(&["GETBIT", BITMAPS[0], &middle]),
        command(&["BITCOUNT", BITMAPS[0]]),
        command(&bitop),
        command(&[
            "-r",
            "100000",
            "GEOADD",
            "xtask:geo",
            "13.361389",
            "38.115556",
            "member:__rand_int__",
        ]),
        command(&[
            "GEOSEARCH",
            GEO_KEY,
            "FROMLONLAT",
            "13.5",
            "38.5",
            "BYRADIUS",
            "5",
            "km",
        ]),
    ]))
}
