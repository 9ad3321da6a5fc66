//! `resp::RequestDecoder` on arbitrary input, whole and cut in two: no
//! panic, each request consumes bytes, and the cut changes nothing (inputs
//! stay below the 64 KB line limit, the only thing a cut may change).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use resp::{DecodeError, Limits, RequestDecoder};

fn run(limits: Limits, chunks: &[&[u8]]) -> (Vec<Vec<bytes::Bytes>>, Option<DecodeError>) {
    let mut decoder = RequestDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = decoder.bytes_consumed();
            match decoder.decode(&mut buf) {
                Ok(Some(args)) => {
                    assert!(!args.is_empty() && decoder.bytes_consumed() > before);
                    requests.push(args);
                }
                Ok(None) => break,
                Err(e) => return (requests, Some(e)),
            }
        }
    }
    (requests, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    if input.len() > 60_000 {
        return;
    }
    let limits = Limits {
        authenticated: flags & 1 == 0,
        ..Limits::default()
    };
    let cut = usize::from(flags >> 1) * input.len() / 128;
    assert_eq!(
        run(limits, &[input]),
        run(limits, &[&input[..cut], &input[cut..]])
    );
});
