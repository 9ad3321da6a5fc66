//! Redis's geohash: longitude and latitude as two 26-bit fixed-point
//! numbers interleaved into the 52-bit integer that is a member's score
//! in a sorted set, and the pieces the GEO commands need around it (the
//! 8 neighbouring cells, decoding, the haversine distance). The
//! arithmetic follows Redis's `geohash.c` step for step, in the same
//! floating-point order, so that scores, coordinates and distances come out
//! bit for bit as Redis computes them.

mod area;

pub use area::{search_areas, Shape, ShapeKind};

/// Steps of the full-precision hash: 26 * 2 = 52 bits.
pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;

/// Redis's `EARTH_RADIUS_IN_METERS`.
pub const EARTH_RADIUS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

/// A geohash of `step` bits per coordinate; latitude in the even bits,
/// longitude in the odd ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    /// The "no cell" marker of Redis (`HASHISZERO`).
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash as a 52-bit score prefix (`geohashAlign52Bits`).
    pub fn align52(self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The coordinate ranges Redis's scores use (Web Mercator's latitude limits).
pub const WGS84: (Range, Range) = (
    Range {
        min: LONG_MIN,
        max: LONG_MAX,
    },
    Range {
        min: LAT_MIN,
        max: LAT_MAX,
    },
);

/// The ranges of the standard geohash alphabet form (GEOHASH's output).
pub const STANDARD: (Range, Range) = (
    Range {
        min: -180.0,
        max: 180.0,
    },
    Range {
        min: -90.0,
        max: 90.0,
    },
);

/// The cell a hash stands for.
#[derive(Debug, Clone, Copy)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

/// Spreads the bits of `x` to even positions and those of `y` to odd ones.
fn interleave(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// The inverse of [`interleave`]: even bits in the low half, odd bits in
/// the high half.
fn deinterleave(v: u64) -> u64 {
    fn squash(v: u64) -> u64 {
        let mut v = v & 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    squash(v) | (squash(v >> 1) << 32)
}

/// Whether a longitude/latitude pair can be indexed at all.
pub fn valid(lon: f64, lat: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

/// Encodes a point in the given ranges with `step` bits per coordinate;
/// `None` outside the indexable area or the ranges (`geohashEncode`).
pub fn encode(ranges: (Range, Range), lon: f64, lat: f64, step: u8) -> Option<Hash> {
    let (lon_range, lat_range) = ranges;
    if step == 0 || step > 32 || !valid(lon, lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * scale;
    Some(Hash {
        bits: interleave(lat_offset as u32, lon_offset as u32),
        step,
    })
}

/// The full-precision score of a point in Redis's ranges.
pub fn encode_score(lon: f64, lat: f64) -> Option<u64> {
    encode(WGS84, lon, lat, STEP_MAX).map(Hash::align52)
}

/// The cell of `hash` (`geohashDecode`); `None` for the zero hash.
pub fn decode(ranges: (Range, Range), hash: Hash) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let (lon_range, lat_range) = ranges;
    let sep = deinterleave(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let lon_scale = lon_range.max - lon_range.min;
    let ilat = sep as u32;
    let ilon = (sep >> 32) as u32;
    let cells = (1u64 << hash.step) as f64;
    let edge = |i: u32, range: Range, scale: f64| range.min + (f64::from(i) / cells) * scale;
    Some(Area {
        latitude: Range {
            min: edge(ilat, lat_range, lat_scale),
            max: edge(ilat.wrapping_add(1), lat_range, lat_scale),
        },
        longitude: Range {
            min: edge(ilon, lon_range, lon_scale),
            max: edge(ilon.wrapping_add(1), lon_range, lon_scale),
        },
    })
}

/// The centre of a cell, clamped to the indexable area.
fn center(area: &Area) -> (f64, f64) {
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The longitude and latitude a score stands for (Redis's `decodeGeohash`).
pub fn decode_score(score: f64) -> Option<(f64, f64)> {
    let hash = Hash {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    decode(WGS84, hash).map(|area| center(&area))
}

/// C's `(uint64_t)` cast of a double as x86-64 compilers emit it, so that
/// scores that are no geohash decode as they do in Redis.
fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    const INDEFINITE: u64 = 1 << 63;
    if d.is_nan() {
        INDEFINITE
    } else if d < TWO63 {
        if d >= -TWO63 {
            d as i64 as u64
        } else {
            INDEFINITE
        }
    } else if d - TWO63 < TWO63 {
        ((d - TWO63) as i64 as u64) ^ INDEFINITE
    } else {
        0
    }
}

/// The 11-character standard geohash of a score (GEOHASH's reply).
pub fn standard_string(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score)?;
    let bits = encode(STANDARD, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    // 52 bits make 10 characters; the 11th is always '0', as in Redis.
    for (i, c) in out.iter_mut().take(10).enumerate() {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    Some(out)
}

/// Interleaved bits of the longitude (`geohash_move_x`'s mask)...
const LON_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;
/// ...and of the latitude (`geohash_move_y`'s).
const LAT_BITS: u64 = 0x5555_5555_5555_5555;

/// Moves `hash` by `d` cells along the axis whose interleaved bits are
/// `axis` ([`LON_BITS`] or [`LAT_BITS`]), as Redis's `geohash_move_x` and
/// `geohash_move_y` do: the carry runs through the other axis's bits, set
/// for the move and masked off after.
fn move_axis(hash: &mut Hash, d: i8, axis: u64) {
    if d == 0 {
        return;
    }
    let width = 64 - u32::from(hash.step) * 2;
    let mut moved = hash.bits & axis;
    let other = hash.bits & !axis;
    let zz = !axis >> width;
    if d > 0 {
        moved = moved.wrapping_add(zz + 1);
    } else {
        moved = (moved | zz).wrapping_sub(zz + 1);
    }
    moved &= axis >> width;
    hash.bits = moved | other;
}

/// A hash moved by `dx` cells east and `dy` cells north (wrapping).
pub fn neighbour(hash: Hash, dx: i8, dy: i8) -> Hash {
    let mut h = hash;
    move_axis(&mut h, dx, LON_BITS);
    move_axis(&mut h, dy, LAT_BITS);
    h
}

fn deg_rad(deg: f64) -> f64 {
    deg * (std::f64::consts::PI / 180.0)
}

fn rad_deg(rad: f64) -> f64 {
    rad / (std::f64::consts::PI / 180.0)
}

/// Distance along a meridian, in meters.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The haversine distance in meters between two points, exactly as
/// Redis's `geohashGetDistance` computes it.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(lon2) - deg_rad(lon1)) / 2.0).sin();
    // Same longitude: the cheaper meridian distance.
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

#[cfg(test)]
mod tests;
