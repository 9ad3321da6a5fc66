//! `resp::decode` on arbitrary input, whole and cut in two: no panic, each
//! frame consumes bytes, and the cut changes nothing.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

/// Frames (in debug form, so NaN equals NaN) and the error that ended them.
fn run(chunks: &[&[u8]]) -> (Vec<String>, Option<resp::DecodeError>) {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match resp::decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(buf.len() < before);
                    frames.push(format!("{frame:?}"));
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before);
                    break;
                }
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut) * input.len() / 256;
    assert_eq!(run(&[input]), run(&[&input[..cut], &input[cut..]]));
});
