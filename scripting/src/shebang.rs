//! The `#!lua flags=...` first line of a script, as Redis 7.0 reads it
//! (`evalExtractShebangFlags`).

use crate::Error;

/// A script's declared flags. A script without a shebang runs in
/// compatibility mode: none of the shebang rules apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    /// No shebang: Redis 6 behaviour (the command's own flags decide).
    pub compat: bool,
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
}

impl ScriptFlags {
    /// Sets the flag Redis calls `name` (in a shebang or a function's
    /// `flags`); `false` for an unknown name.
    pub(crate) fn set(&mut self, name: &str) -> bool {
        let flag = match name {
            "no-writes" => &mut self.no_writes,
            "allow-oom" => &mut self.allow_oom,
            "allow-stale" => &mut self.allow_stale,
            "no-cluster" => &mut self.no_cluster,
            "allow-cross-slot-keys" => &mut self.allow_cross_slot_keys,
            _ => return false,
        };
        *flag = true;
        true
    }

    /// The names of the flags set, in Redis's order (FUNCTION LIST).
    pub fn names(&self) -> impl Iterator<Item = &'static str> + Clone {
        [
            (self.no_writes, "no-writes"),
            (self.allow_oom, "allow-oom"),
            (self.allow_stale, "allow-stale"),
            (self.no_cluster, "no-cluster"),
            (self.allow_cross_slot_keys, "allow-cross-slot-keys"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
    }
}

/// Reads the shebang of `body`: its flags and the length of the line
/// (which the loader skips, keeping the line feed so line numbers hold).
pub fn parse(body: &[u8]) -> Result<(ScriptFlags, usize), Error> {
    if !body.starts_with(b"#!") {
        let flags = ScriptFlags {
            compat: true,
            ..ScriptFlags::default()
        };
        return Ok((flags, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(Error::Shebang("Invalid script shebang".into()));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split_ascii_whitespace();
    let engine = parts.next().unwrap_or("#!");
    if engine != "#!lua" {
        return Err(Error::Shebang(format!(
            "Unexpected engine in script shebang: {engine}"
        )));
    }
    let mut flags = ScriptFlags::default();
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(Error::Shebang(format!(
                "Unknown lua shebang option: {part}"
            )));
        };
        if list.is_empty() {
            continue;
        }
        for flag in list.split(',') {
            if !flags.set(flag) {
                return Err(Error::Shebang(format!(
                    "Unexpected flag in script shebang: {flag}"
                )));
            }
        }
    }
    Ok((flags, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_shebang_is_compat_mode() {
        let (f, len) = parse(b"return 1").unwrap();
        assert!(f.compat);
        assert_eq!(len, 0);
    }

    #[test]
    fn flags_are_read() {
        let (f, len) = parse(b"#!lua flags=no-writes,allow-stale\nreturn 1").unwrap();
        assert!(!f.compat && f.no_writes && f.allow_stale && !f.allow_oom);
        assert_eq!(len, 33);
        let (f, _) = parse(b"#!lua\nreturn 1").unwrap();
        assert_eq!(f, ScriptFlags::default());
    }

    #[test]
    fn errors_as_redis() {
        let e = |b: &[u8]| parse(b).unwrap_err().to_string();
        assert_eq!(e(b"#!lua"), "Invalid script shebang");
        assert_eq!(e(b"#!py\n"), "Unexpected engine in script shebang: #!py");
        assert_eq!(
            e(b"#!lua flags=bad\n"),
            "Unexpected flag in script shebang: bad"
        );
        assert_eq!(e(b"#!lua x=1\n"), "Unknown lua shebang option: x=1");
    }
}
