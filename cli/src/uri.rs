//! `-u redis://[[user:]password@][host][:port][/db]`, read the way
//! redis-cli 7.0 reads it (`parseRedisUri`): user and password are
//! percent-decoded, a missing part keeps its default.

use anyhow::bail;

use crate::session::atoi;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RedisUri {
    pub user: Option<Vec<u8>>,
    pub password: Option<Vec<u8>>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub db: Option<i64>,
}

impl RedisUri {
    pub fn parse(uri: &str) -> anyhow::Result<RedisUri> {
        const SCHEME: &str = "redis://";
        let mut parsed = RedisUri::default();
        if uri.len() >= 9 && uri[..9].eq_ignore_ascii_case("rediss://") {
            bail!("rediss:// is only supported when redust-cli is compiled with OpenSSL");
        }
        let Some(mut rest) = uri
            .get(..SCHEME.len())
            .filter(|s| s.eq_ignore_ascii_case(SCHEME))
            .map(|_| &uri[SCHEME.len()..])
        else {
            bail!("Invalid URI scheme");
        };
        if let Some(at) = rest.find('@') {
            let userinfo = &rest[..at];
            let password = match userinfo.split_once(':') {
                Some((user, password)) => {
                    parsed.user = Some(percent_decode(user)?);
                    password
                }
                None => userinfo,
            };
            parsed.password = Some(percent_decode(password)?);
            rest = &rest[at + 1..];
        }
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => (authority, Some(path)),
            None => (rest, None),
        };
        if !authority.is_empty() {
            let host = match authority.split_once(':') {
                Some((host, port)) => {
                    // atoi, as redis-cli: junk reads as 0.
                    parsed.port = Some(atoi(port.as_bytes()) as u16);
                    host
                }
                None => authority,
            };
            parsed.host = Some(host.to_string());
        }
        if let Some(db) = path.filter(|p| !p.is_empty()) {
            parsed.db = Some(atoi(db.as_bytes()));
        }
        Ok(parsed)
    }
}

fn percent_decode(s: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let Some(hex) = bytes.get(i + 1..i + 3) else {
            bail!("Incomplete URI encoding");
        };
        let hex = std::str::from_utf8(hex).ok();
        let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
            bail!("Illegal character in URI encoding");
        };
        out.push(byte);
        i += 3;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_uri() {
        let u = RedisUri::parse("redis://alice:p%40ss@example.com:7000/3").unwrap();
        assert_eq!(u.user.as_deref(), Some(&b"alice"[..]));
        assert_eq!(u.password.as_deref(), Some(&b"p@ss"[..]));
        assert_eq!(u.host.as_deref(), Some("example.com"));
        assert_eq!(u.port, Some(7000));
        assert_eq!(u.db, Some(3));
    }

    #[test]
    fn partial_uris_keep_defaults() {
        assert_eq!(RedisUri::parse("redis://").unwrap(), RedisUri::default());
        let u = RedisUri::parse("REDIS://secret@localhost").unwrap();
        assert_eq!(u.user, None);
        assert_eq!(u.password.as_deref(), Some(&b"secret"[..]));
        assert_eq!(u.host.as_deref(), Some("localhost"));
        assert_eq!(u.port, None);
        let u = RedisUri::parse("redis:///5").unwrap();
        assert_eq!((u.host, u.db), (None, Some(5)));
        let u = RedisUri::parse("redis://h:1/").unwrap();
        assert_eq!(
            (u.host.as_deref(), u.port, u.db),
            (Some("h"), Some(1), None)
        );
    }

    #[test]
    fn bad_uris() {
        assert!(RedisUri::parse("http://x").is_err());
        assert!(RedisUri::parse("redis://a:%4@h").is_err());
        assert!(RedisUri::parse("redis://a:%zz@h").is_err());
    }
}
