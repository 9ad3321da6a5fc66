//! GEO commands on sorted sets whose scores are 52-bit geohashes (see
//! [`crate::geo`]): GEOADD GEODIST GEOHASH GEOPOS, and the searches
//! GEOSEARCH GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER and their _RO forms,
//! which share one implementation as in Redis's `georadiusGeneric`.

use bytes::Bytes;
use resp::{Protocol, Writer};

use super::flags::*;
use super::zsets::{as_zset, store, zadd_generic};
use super::{args, cmd, CommandDef, Ctx, Group, Handler};
use crate::geo::{self, search_areas, Shape, ShapeKind};
use crate::strtod::string2d;
use crate::types::zset::{ScoreRange, ZSet};
use crate::{Error, Result};

pub(super) fn commands() -> Vec<CommandDef<Handler>> {
    let doc = |d: CommandDef<Handler>, since, summary| d.doc(Group::Geo, since, summary);
    let one = |d: CommandDef<Handler>| d.keys(1, 1, 1);
    vec![
        doc(
            one(cmd("geoadd", -5, WRITE | DENYOOM, geoadd)),
            "3.2.0",
            "Add one or more geospatial items in the geospatial index represented using a sorted set",
        ),
        doc(
            one(cmd("geodist", -4, READONLY, geodist)),
            "3.2.0",
            "Returns the distance between two members of a geospatial index",
        ),
        doc(
            one(cmd("geohash", -2, READONLY, geohash)),
            "3.2.0",
            "Returns members of a geospatial index as standard geohash strings",
        ),
        doc(
            one(cmd("geopos", -2, READONLY, geopos)),
            "3.2.0",
            "Returns longitude and latitude of members of a geospatial index",
        ),
        doc(
            one(cmd("georadius", -6, WRITE | DENYOOM, georadius)),
            "3.2.0",
            "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        ),
        doc(
            one(cmd("georadius_ro", -6, READONLY, georadius_ro)),
            "3.2.10",
            "A read-only variant for GEORADIUS",
        ),
        doc(
            one(cmd("georadiusbymember", -5, WRITE | DENYOOM, georadiusbymember)),
            "3.2.0",
            "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        ),
        doc(
            one(cmd("georadiusbymember_ro", -5, READONLY, georadiusbymember_ro)),
            "3.2.10",
            "A read-only variant for GEORADIUSBYMEMBER",
        ),
        doc(
            one(cmd("geosearch", -7, READONLY, geosearch)),
            "6.2.0",
            "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        ),
        doc(
            cmd("geosearchstore", -8, WRITE | DENYOOM, geosearchstore).keys(1, 2, 1),
            "6.2.0",
            "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        ),
    ]
}

/// A longitude and latitude argument pair (`extractLongLatOrReply`).
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64)> {
    let lon = string2d(lon).ok_or(Error::NotFloat)?;
    let lat = string2d(lat).ok_or(Error::NotFloat)?;
    if !geo::valid(lon, lat) {
        return Err(Error::err(format!(
            "invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// A unit's size in meters.
fn unit(arg: &[u8]) -> Result<f64> {
    match arg.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(Error::err(
            "unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// A non-negative size argument; `what` names it in the error.
fn size(arg: &[u8], what: &str) -> Result<f64> {
    string2d(arg).ok_or_else(|| Error::err(format!("need numeric {what}")))
}

/// A member's position, `None` if it is missing or its score no geohash.
fn position(zset: &ZSet, member: &[u8]) -> Option<(f64, f64)> {
    zset.score(member).and_then(geo::decode_score)
}

/// A distance as Redis replies it: rounded to 4 decimals (half to even,
/// like its `llrint`), as a bulk string.
fn distance_reply(out: &mut Writer, meters: f64) {
    let n = (meters * 10000.0).round_ties_even() as i64;
    let sign = if n < 0 { "-" } else { "" };
    let n = n.unsigned_abs();
    out.bulk(format!("{sign}{}.{:04}", n / 10000, n % 10000).as_bytes());
}

/// A coordinate as Redis replies it (`addReplyHumanLongDouble`): `%.17f`
/// without trailing zeros; a bulk string in RESP2, a double in RESP3.
fn coordinate_reply(out: &mut Writer, value: f64) {
    let mut text = format!("{value:.17}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
    text.truncate(trimmed);
    if text == "-0" {
        text = "0".into();
    }
    match out.protocol() {
        Protocol::Resp2 => out.bulk(text.as_bytes()),
        _ => out.raw(format!(",{text}\r\n").as_bytes()),
    }
}

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD with the
/// geohashes as scores, replied and propagated as that ZADD.
fn geoadd(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while let Some(opt) = argv.get(first) {
        match opt.to_ascii_lowercase().as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => {}
            _ => break,
        }
        first += 1;
    }
    if !(argv.len() - first).is_multiple_of(3) || (nx && xx) {
        return Err(Error::Syntax);
    }
    let mut zadd = Vec::with_capacity(first + (argv.len() - first) / 3 * 2);
    zadd.push(Bytes::from_static(b"zadd"));
    zadd.extend_from_slice(&argv[1..first]);
    for point in argv[first..].chunks(3) {
        let (lon, lat) = lon_lat(&point[0], &point[1])?;
        let score = geo::encode_score(lon, lat).expect("valid coordinates encode");
        zadd.push(Bytes::from(score.to_string()));
        zadd.push(point[2].clone());
    }
    zadd_generic(ctx, &zadd, false)?;
    ctx.propagate_as(zadd);
    Ok(())
}

/// GEODIST key member1 member2 [unit]
fn geodist(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let to_meters = match argv.len() {
        4 => 1.0,
        5 => unit(&argv[4])?,
        _ => return Err(Error::Syntax),
    };
    let (value, out) = ctx.read(&argv[1]);
    let Some(zset) = as_zset(value)? else {
        out.null();
        return Ok(());
    };
    let (Some(a), Some(b)) = (zset.score(&argv[2]), zset.score(&argv[3])) else {
        out.null();
        return Ok(());
    };
    match (geo::decode_score(a), geo::decode_score(b)) {
        (Some((lon1, lat1)), Some((lon2, lat2))) => {
            distance_reply(out, geo::distance(lon1, lat1, lon2, lat2) / to_meters)
        }
        _ => out.null(),
    }
    Ok(())
}

/// GEOHASH key [member ...]: 11-character standard geohashes.
fn geohash(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let (value, out) = ctx.read(&argv[1]);
    let zset = as_zset(value)?;
    out.array(argv.len() - 2);
    for member in &argv[2..] {
        match zset
            .and_then(|z| z.score(member))
            .and_then(geo::standard_string)
        {
            Some(text) => out.bulk(&text),
            None => out.null(),
        }
    }
    Ok(())
}

/// GEOPOS key [member ...]
fn geopos(ctx: &mut Ctx) -> Result<()> {
    let argv = ctx.args;
    let (value, out) = ctx.read(&argv[1]);
    let zset = as_zset(value)?;
    out.array(argv.len() - 2);
    for member in &argv[2..] {
        match zset.and_then(|z| position(z, member)) {
            Some((lon, lat)) => {
                out.array(2);
                coordinate_reply(out, lon);
                coordinate_reply(out, lat);
            }
            None => out.null_array(),
        }
    }
    Ok(())
}

/// Which command of the search family runs (Redis's `georadiusGeneric`
/// flags).
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// GEORADIUS[_RO]: centre and radius as fixed arguments.
    Coords { store: bool },
    /// GEORADIUSBYMEMBER[_RO].
    Member { store: bool },
    /// GEOSEARCH.
    Search,
    /// GEOSEARCHSTORE: destination first.
    SearchStore,
}

fn georadius(ctx: &mut Ctx) -> Result<()> {
    search(ctx, Variant::Coords { store: true })
}

fn georadius_ro(ctx: &mut Ctx) -> Result<()> {
    search(ctx, Variant::Coords { store: false })
}

fn georadiusbymember(ctx: &mut Ctx) -> Result<()> {
    search(ctx, Variant::Member { store: true })
}

fn georadiusbymember_ro(ctx: &mut Ctx) -> Result<()> {
    search(ctx, Variant::Member { store: false })
}

fn geosearch(ctx: &mut Ctx) -> Result<()> {
    search(ctx, Variant::Search)
}

fn geosearchstore(ctx: &mut Ctx) -> Result<()> {
    search(ctx, Variant::SearchStore)
}

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A search's options, parsed like Redis (in order, errors as met).
struct Options {
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    sort: Sort,
    /// 0: unlimited.
    count: usize,
    store: Option<Bytes>,
    storedist: bool,
    center: Option<(f64, f64)>,
    /// Whether FROMMEMBER was given (its position may be unknown when the
    /// key is missing).
    from_member: bool,
    from_lonlat: bool,
    /// Unit size in meters and the shape in unit figures.
    by: Option<(f64, ShapeKind)>,
}

/// A point found by a search.
struct Found {
    member: Vec<u8>,
    score: f64,
    lon: f64,
    lat: f64,
    /// Meters from the centre.
    dist: f64,
}

/// A radius and its unit (`extractDistanceOrReply`).
fn radius_args(radius: &[u8], unit_arg: &[u8]) -> Result<(f64, ShapeKind)> {
    let r = size(radius, "radius")?;
    if r < 0.0 {
        return Err(Error::err("radius cannot be negative"));
    }
    Ok((unit(unit_arg)?, ShapeKind::Radius(r)))
}

/// A box and its unit (`extractBoxOrReply`).
fn box_args(width: &[u8], height: &[u8], unit_arg: &[u8]) -> Result<(f64, ShapeKind)> {
    let width = size(width, "width")?;
    let height = size(height, "height")?;
    if width < 0.0 || height < 0.0 {
        return Err(Error::err("height or width cannot be negative"));
    }
    Ok((unit(unit_arg)?, ShapeKind::Box { width, height }))
}

fn parse_options(
    argv: &[Bytes],
    base: usize,
    kind: Variant,
    zset: Option<&ZSet>,
    mut o: Options,
) -> Result<Options> {
    let geosearch = matches!(kind, Variant::Search | Variant::SearchStore);
    let may_store = matches!(
        kind,
        Variant::Coords { store: true } | Variant::Member { store: true }
    );
    let mut i = base;
    while i < argv.len() {
        let left = argv.len() - i - 1;
        match argv[i].to_ascii_lowercase().as_slice() {
            b"withdist" => o.withdist = true,
            b"withhash" => o.withhash = true,
            b"withcoord" => o.withcoord = true,
            b"any" => o.any = true,
            b"asc" => o.sort = Sort::Asc,
            b"desc" => o.sort = Sort::Desc,
            b"count" if left >= 1 => {
                let n = args::int(&argv[i + 1])?;
                if n <= 0 {
                    return Err(Error::err("COUNT must be > 0"));
                }
                o.count = usize::try_from(n).unwrap_or(usize::MAX);
                i += 1;
            }
            b"store" if left >= 1 && may_store => {
                o.store = Some(argv[i + 1].clone());
                o.storedist = false;
                i += 1;
            }
            b"storedist" if left >= 1 && may_store => {
                o.store = Some(argv[i + 1].clone());
                o.storedist = true;
                i += 1;
            }
            b"storedist" if kind == Variant::SearchStore => o.storedist = true,
            b"frommember" if left >= 1 && geosearch && !o.from_lonlat => {
                if let Some(zset) = zset {
                    let at = position(zset, &argv[i + 1])
                        .ok_or_else(|| Error::err("could not decode requested zset member"))?;
                    o.center = Some(at);
                }
                o.from_member = true;
                i += 1;
            }
            b"fromlonlat" if left >= 2 && geosearch && !o.from_member => {
                o.center = Some(lon_lat(&argv[i + 1], &argv[i + 2])?);
                o.from_lonlat = true;
                i += 2;
            }
            b"byradius"
                if left >= 2 && geosearch && !matches!(o.by, Some((_, ShapeKind::Box { .. }))) =>
            {
                o.by = Some(radius_args(&argv[i + 1], &argv[i + 2])?);
                i += 2;
            }
            b"bybox"
                if left >= 3 && geosearch && !matches!(o.by, Some((_, ShapeKind::Radius(_)))) =>
            {
                o.by = Some(box_args(&argv[i + 1], &argv[i + 2], &argv[i + 3])?);
                i += 3;
            }
            _ => return Err(Error::Syntax),
        }
        i += 1;
    }
    Ok(o)
}

/// The members of `zset` inside `shape`, in Redis's discovery order (cell
/// by cell, by score within a cell), at most `limit` of them if not 0.
fn find(zset: &ZSet, shape: &Shape, limit: usize) -> Vec<Found> {
    let mut found = Vec::new();
    let mut last: Option<geo::Hash> = None;
    for cell in search_areas(shape) {
        if cell.is_zero() {
            continue;
        }
        // With huge radii neighbours can be the same cell: skip repeats.
        if last == Some(cell) {
            continue;
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
        let mut next = cell;
        next.bits += 1;
        let range = ScoreRange {
            min: cell.align52() as f64,
            max: next.align52() as f64,
            min_exclusive: false,
            max_exclusive: true,
        };
        zset.range(zset.score_ranks(&range), false, |member, score| {
            if limit != 0 && found.len() >= limit {
                return;
            }
            let Some((lon, lat)) = geo::decode_score(score) else {
                return;
            };
            if let Some(dist) = shape.contains(lon, lat) {
                found.push(Found {
                    member: member.to_vec(),
                    score,
                    lon,
                    lat,
                    dist,
                });
            }
        });
        last = Some(cell);
    }
    found
}

/// The GEO search family, like Redis's `georadiusGeneric`.
fn search(ctx: &mut Ctx, kind: Variant) -> Result<()> {
    let argv = ctx.args;
    let src = if kind == Variant::SearchStore { 2 } else { 1 };
    let mut o = Options {
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
        store: (kind == Variant::SearchStore).then(|| argv[1].clone()),
        storedist: false,
        center: None,
        from_member: false,
        from_lonlat: false,
        by: None,
    };
    let (value, _) = ctx.read(&argv[src]);
    let zset = as_zset(value)?;
    let base = match kind {
        Variant::Coords { .. } => {
            o.center = Some(lon_lat(&argv[2], &argv[3])?);
            o.by = Some(radius_args(&argv[4], &argv[5])?);
            6
        }
        Variant::Member { .. } => {
            // Without a key the member and radius are not even parsed.
            if let Some(zset) = zset {
                let at = position(zset, &argv[2])
                    .ok_or_else(|| Error::err("could not decode requested zset member"))?;
                o.center = Some(at);
                o.by = Some(radius_args(&argv[3], &argv[4])?);
            }
            5
        }
        Variant::Search => 2,
        Variant::SearchStore => 3,
    };
    let o = parse_options(argv, base, kind, zset, o)?;
    let geosearch = matches!(kind, Variant::Search | Variant::SearchStore);
    if o.store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        let which = if kind == Variant::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Error::err(format!(
            "{which} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    if geosearch && !(o.from_member || o.from_lonlat) {
        return Err(Error::err_bytes(&[
            b"exactly one of FROMMEMBER or FROMLONLAT can be specified for ",
            &argv[0],
        ]));
    }
    if geosearch && o.by.is_none() {
        return Err(Error::err_bytes(&[
            b"exactly one of BYRADIUS and BYBOX can be specified for ",
            &argv[0],
        ]));
    }
    if o.any && o.count == 0 {
        return Err(Error::err("the ANY argument requires COUNT argument"));
    }
    let (Some(zset), Some((lon, lat)), Some((conversion, shape_kind))) = (zset, o.center, o.by)
    else {
        // A missing key: nothing found.
        return match o.store {
            Some(dst) => {
                store(ctx, &dst, ZSet::default(), "");
                Ok(())
            }
            None => {
                ctx.out.array(0);
                Ok(())
            }
        };
    };
    let shape = Shape {
        lon,
        lat,
        conversion,
        kind: shape_kind,
    };
    let mut found = find(zset, &shape, if o.any { o.count } else { 0 });
    // COUNT means the closest ones, unless ANY asked for any of them.
    let sort = match o.sort {
        Sort::None if o.count != 0 && !o.any => Sort::Asc,
        sort => sort,
    };
    // A stable sort: Redis's qsort (glibc's merge sort) agrees on ties, but
    // its partial quicksort for COUNT < matches may order equal distances
    // differently.
    match sort {
        Sort::None => {}
        Sort::Asc => found.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        Sort::Desc => found.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
    }
    if o.count != 0 {
        found.truncate(o.count);
    }
    match o.store {
        None => reply(&mut ctx.out, &o, &found, conversion),
        Some(dst) => {
            let pairs = found.into_iter().map(|f| {
                let score = if o.storedist {
                    f.dist / conversion
                } else {
                    f.score
                };
                (f.member, score)
            });
            let result = ZSet::from_pairs(pairs, &ctx.eng.limits);
            let event = if geosearch {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            store(ctx, &dst, result, event);
        }
    }
    Ok(())
}

/// Found members, each alone or as `[member, dist?, hash?, [lon, lat]?]`.
fn reply(out: &mut Writer, o: &Options, found: &[Found], conversion: f64) {
    let extra = usize::from(o.withdist) + usize::from(o.withhash) + usize::from(o.withcoord);
    out.array(found.len());
    for f in found {
        if extra > 0 {
            out.array(extra + 1);
        }
        out.bulk(&f.member);
        if o.withdist {
            distance_reply(out, f.dist / conversion);
        }
        if o.withhash {
            out.integer(f.score as i64);
        }
        if o.withcoord {
            out.array(2);
            coordinate_reply(out, f.lon);
            coordinate_reply(out, f.lat);
        }
    }
}

#[cfg(test)]
mod tests;
