use super::*;

#[test]
fn interleave_round_trips() {
    for (x, y) in [
        (0u32, 0u32),
        (1, 0),
        (0, 1),
        (0x3ff_ffff, 0x155_5555),
        (u32::MAX, 7),
    ] {
        let v = deinterleave(interleave(x, y));
        assert_eq!((v as u32, (v >> 32) as u32), (x, y));
    }
}

#[test]
fn scores_and_positions_match_redis() {
    // Figures from redis-server 7.0.15 (GEOADD / ZSCORE / GEOPOS / GEOHASH).
    assert_eq!(encode_score(13.361389, 38.115556), Some(3479099956230698));
    assert_eq!(encode_score(15.087269, 37.502669), Some(3479447370796909));
    assert_eq!(encode_score(181.0, 0.0), None);
    assert_eq!(encode_score(0.0, 85.06), None);
    let (lon, lat) = decode_score(3479099956230698.0).unwrap();
    assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
    assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
    assert_eq!(
        &standard_string(3479099956230698.0).unwrap(),
        b"sqc8b49rny0"
    );
    let (lon2, lat2) = decode_score(3479447370796909.0).unwrap();
    assert_eq!(
        format!("{:.4}", distance(lon, lat, lon2, lat2)),
        "166274.1516"
    );
}

#[test]
fn neighbours_wrap_in_both_directions() {
    let h = Hash {
        bits: 0b0110,
        step: 2,
    };
    let back = neighbour(neighbour(h, 1, 1), -1, -1);
    assert_eq!(back, h);
}
