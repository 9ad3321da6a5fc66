//! Format details that Redis 7.0 itself no longer writes: old versions,
//! 7.2/7.4 additions, and the reader's stream handling.

mod rdb_support;

use bytes::Bytes;
use engine::rdb::{
    crc64, dump, rdb_type, restore, Entry, Error, Event, KeyMeta, Object, Reader, WriteOptions,
    Writer,
};
use rdb_support::legacy;

fn events(data: &[u8]) -> Result<Vec<Event>, Error> {
    Reader::new(data)?.collect()
}

fn entry(ev: &Event) -> &Entry {
    match ev {
        Event::Entry(e) => e,
        ev => panic!("expected an entry, got {ev:?}"),
    }
}

#[test]
fn version_3_file_without_checksum_and_second_expiry() {
    // Redis 2.6 era: EXPIRETIME in seconds (i32 LE), no CRC after EOF.
    let mut f = b"REDIS0003\xfe\x00\xfd".to_vec();
    f.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    f.extend_from_slice(b"\x00\x01k\x01v\xff");
    let ev = events(&f).unwrap();
    assert_eq!(ev[0], Event::SelectDb(0));
    let e = entry(&ev[1]);
    assert_eq!(e.expire_ms, Some(2_000_000_000_000));
    assert_eq!(ev[2], Event::End { checksum: None });
}

#[test]
fn newer_versions_and_their_additions() {
    // 7.2 (version 11): a set as a listpack of "a" and 5.
    let lp = [12, 0, 0, 0, 2, 0, 0x81, b'a', 2, 5, 1, 0xff];
    let mut v = Vec::new();
    legacy::string(&mut v, &lp);
    let set = restore(&legacy::payload(rdb_type::SET_LISTPACK, &v, 11)).unwrap();
    assert_eq!(
        set,
        Object::Set(vec![Bytes::from_static(b"a"), Bytes::from_static(b"5")])
    );
    // A duplicate in it is corruption.
    let lp = [13, 0, 0, 0, 2, 0, 0x81, b'a', 2, 0x81, b'a', 2, 0xff];
    let mut v = Vec::new();
    legacy::string(&mut v, &lp);
    assert!(matches!(
        restore(&legacy::payload(rdb_type::SET_LISTPACK, &v, 11)),
        Err(Error::BadData { .. })
    ));
    // 7.4 (version 12): SLOT_INFO hints are skipped; field-expiring hashes
    // are refused by name.
    let mut f = b"REDIS0012\xfe\x00\xf4\x01\x02\x00\x00\x01k\x01v\xff".to_vec();
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    let ev = events(&f).unwrap();
    assert_eq!(
        entry(&ev[1]).object,
        Object::String(Bytes::from_static(b"v"))
    );
    let r = events(b"REDIS0012\x19\x01k");
    assert!(
        matches!(
            r,
            Err(Error::UnsupportedType {
                rdb_type: 25,
                what: "hash with field expiration"
            })
        ),
        "{r:?}"
    );
}

#[test]
fn functions_are_reported_not_loaded() {
    // A 7.0 release-candidate record: name, engine, description, code.
    let mut f = b"REDIS0010\xf6".to_vec();
    for s in [b"mylib".as_slice(), b"LUA"] {
        legacy::string(&mut f, s);
    }
    f.push(1);
    legacy::string(&mut f, b"a description");
    legacy::string(&mut f, b"return 1");
    f.push(0xff);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(
        events(&f).unwrap()[0],
        Event::Function(Bytes::from_static(b"#!LUA name=mylib\nreturn 1"))
    );
}

#[test]
fn empty_collections_are_skipped_like_redis() {
    // An empty list (older Redis could save one) is skipped and counted;
    // its expiry does not leak onto the next key.
    let mut f = b"REDIS0009\xfc".to_vec();
    f.extend_from_slice(&123i64.to_le_bytes());
    f.extend_from_slice(b"\x01\x01e\x00\x00\x01k\x01v\xff");
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    let mut r = Reader::new(f.as_slice()).unwrap();
    let ev: Vec<Event> = (&mut r).map(Result::unwrap).collect();
    assert_eq!(ev.len(), 2);
    assert_eq!(entry(&ev[0]).expire_ms, None);
    assert_eq!(r.empty_keys_skipped(), 1);
    // The writer never writes one.
    let mut w = Writer::new(Vec::new(), &WriteOptions::default()).unwrap();
    w.write_list(b"k", &KeyMeta::default(), Vec::<Bytes>::new())
        .unwrap();
    assert_eq!(w.keys_written(), 0);
    assert!(dump(&Object::Set(vec![]), &WriteOptions::default()).is_err());
}

#[test]
fn reader_hands_back_what_follows_the_rdb() {
    let mut w = Writer::new(Vec::new(), &WriteOptions::default()).unwrap();
    w.write_string(b"k", &KeyMeta::default(), b"v").unwrap();
    let mut stream = w.finish().unwrap();
    stream.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    let mut r = Reader::new(std::io::Cursor::new(stream)).unwrap();
    while r.next_event().unwrap().is_some() {}
    let (mut rest, buffered) = r.into_parts();
    let mut tail = buffered;
    std::io::Read::read_to_end(&mut rest, &mut tail).unwrap();
    assert_eq!(tail, b"*1\r\n$4\r\nPING\r\n");
}

#[test]
fn large_values_stream_through() {
    // Values bigger than the I/O buffers, compressible and not.
    let big = Bytes::from(vec![b'x'; 3 << 20]);
    let noise: Bytes = (0..(1u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect::<Vec<_>>()
        .into();
    let list = Object::List(vec![
        noise.clone(),
        big.clone(),
        Bytes::from_static(b"tail"),
    ]);
    let mut w = Writer::new(Vec::new(), &WriteOptions::default()).unwrap();
    w.write_string(b"big", &KeyMeta::default(), &big).unwrap();
    w.write_string(b"noise", &KeyMeta::default(), &noise)
        .unwrap();
    w.write_object(b"list", &KeyMeta::default(), &list).unwrap();
    let file = w.finish().unwrap();
    assert!(file.len() < noise.len() * 2 + 200_000, "{}", file.len());
    let ev = events(&file).unwrap();
    assert_eq!(entry(&ev[0]).object, Object::String(big));
    assert_eq!(entry(&ev[1]).object, Object::String(noise));
    assert_eq!(entry(&ev[2]).object, list);
    // One byte at a time through a reader that returns short reads.
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let n = Reader::new(Trickle(&file))
        .unwrap()
        .map(Result::unwrap)
        .count();
    assert_eq!(n, 4);
}
