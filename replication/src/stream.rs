//! Encoding commands into the replication stream.

use bytes::{BufMut, BytesMut};

/// Appends one command as a RESP multibulk, the form replicas read.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut BytesMut, args: &[A]) {
    let mut num = itoa::Buffer::new();
    out.put_u8(b'*');
    out.put_slice(num.format(args.len()).as_bytes());
    out.put_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        out.put_u8(b'$');
        out.put_slice(num.format(a.len()).as_bytes());
        out.put_slice(b"\r\n");
        out.put_slice(a);
        out.put_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn multibulk() {
        let mut out = bytes::BytesMut::new();
        super::encode_command(&mut out, &["SET", "k", ""]);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }
}
