use crate::command::test_support::*;

fn sicily(t: &mut TestEngine) {
    assert_eq!(
        t.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"),
        int(2)
    );
}

#[test]
fn geoadd_is_zadd_of_geohashes() {
    let mut t = TestEngine::new();
    t.propagated();
    sicily(&mut t);
    assert_eq!(
        t.propagated(),
        ["zadd Sicily 3479099956230698 Palermo 3479447370796909 Catania"]
    );
    assert_eq!(t.run("ZSCORE Sicily Palermo"), bulk("3479099956230698"));
    assert_eq!(t.run("GEOADD Sicily NX 13 38 Palermo"), int(0));
    assert_eq!(t.run("GEOADD Sicily XX CH 13 38 Palermo 1 1 x"), int(1));
    assert_eq!(t.run("ZCARD Sicily"), int(2));
    assert_eq!(
        t.run("GEOADD Sicily NX XX 13 38 Palermo"),
        err("ERR syntax error")
    );
    assert_eq!(
        t.run("GEOADD Sicily 13 38"),
        err("ERR wrong number of arguments for 'geoadd' command")
    );
    assert_eq!(t.run("GEOADD Sicily 13 38 a 14"), err("ERR syntax error"));
    assert_eq!(
        t.run("GEOADD Sicily 200 100 x"),
        err("ERR invalid longitude,latitude pair 200.000000,100.000000")
    );
    assert_eq!(
        t.run("GEOADD Sicily x 1 m"),
        err("ERR value is not a valid float")
    );
}

#[test]
fn positions_hashes_and_distances() {
    let mut t = TestEngine::new();
    sicily(&mut t);
    assert_eq!(
        t.run("GEOPOS Sicily Palermo nope"),
        "*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n"
    );
    assert_eq!(
        t.run("GEOHASH Sicily Palermo nope"),
        "*2\r\n$11\r\nsqc8b49rny0\r\n$-1\r\n"
    );
    assert_eq!(t.run("GEODIST Sicily Palermo Catania"), bulk("166274.1516"));
    assert_eq!(t.run("GEODIST Sicily Palermo Catania km"), bulk("166.2742"));
    assert_eq!(t.run("GEODIST Sicily Palermo nope"), "$-1\r\n");
    assert_eq!(t.run("GEODIST nokey a b"), "$-1\r\n");
    assert_eq!(
        t.run("GEODIST Sicily Palermo Catania parsec"),
        err("ERR unsupported unit provided. please use M, KM, FT, MI")
    );
    assert_eq!(t.run("GEODIST Sicily a b km x"), err("ERR syntax error"));
}

#[test]
fn searches() {
    let mut t = TestEngine::new();
    sicily(&mut t);
    assert_eq!(
        t.run("GEORADIUS Sicily 15 37 200 km WITHDIST ASC"),
        "*2\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n"
    );
    assert_eq!(
        t.run("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC COUNT 1"),
        "*1\r\n$7\r\nPalermo\r\n"
    );
    assert_eq!(
        t.run("GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 10 km WITHHASH"),
        "*1\r\n*2\r\n$7\r\nPalermo\r\n:3479099956230698\r\n"
    );
    assert_eq!(
        t.run("GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST"),
        int(2)
    );
    assert_eq!(t.run("ZSCORE dst Catania"), bulk("56.441257870158204"));
    assert_eq!(t.run("GEORADIUS nokey 15 37 200 km STORE dst"), int(0));
    assert_eq!(t.run("EXISTS dst"), int(0));
    assert_eq!(
        t.run("GEOSEARCH Sicily BYRADIUS 10 km ASC WITHDIST"),
        err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH")
    );
    assert_eq!(
        t.run("GEOSEARCH Sicily FROMMEMBER Palermo ASC WITHDIST WITHHASH"),
        err("ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH")
    );
    assert_eq!(
        t.run("GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 m"),
        err("ERR could not decode requested zset member")
    );
    assert_eq!(
        t.run("GEORADIUS Sicily 15 37 200 km ANY"),
        err("ERR the ANY argument requires COUNT argument")
    );
    assert_eq!(
        t.run("GEORADIUS Sicily 15 37 -1 km"),
        err("ERR radius cannot be negative")
    );
    assert_eq!(
        t.run("GEORADIUS Sicily 15 37 x km"),
        err("ERR need numeric radius")
    );
    assert_eq!(
        t.run("GEORADIUS Sicily 15 37 1 km COUNT 0"),
        err("ERR COUNT must be > 0")
    );
    assert_eq!(
        t.run("GEORADIUS Sicily 15 37 1 km STORE x WITHDIST"),
        err("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    );
    assert_eq!(
        t.run("GEORADIUS_RO Sicily 15 37 1 km STORE x"),
        err("ERR syntax error")
    );
    t.run("SET str x");
    assert_eq!(
        t.run("GEOSEARCH str FROMLONLAT 0 0 BYRADIUS 1 m"),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}
