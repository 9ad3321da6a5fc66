//! What a directive declaration is made of, and the operations every
//! declaration supports: reset to its default, parse arguments into its
//! [`Settings`] field, format it for CONFIG GET, compare two settings.
//!
//! The declarations themselves are in [`crate::table`]. Each kind of
//! directive holds typed accessors to its field (built by the `field!`
//! macro), so the value a directive parses can only be stored in a field
//! of the matching type: a mismatch does not compile.

use std::borrow::Cow;

use crate::settings::Settings;
use crate::special::Special;
use crate::value::{
    check_bounds, enum_name, enum_value, parse_num, yes_no, yes_no_str, FlagItems, Unit,
};

/// CONFIG SET refuses it.
pub(crate) const IMMUTABLE: u8 = 1 << 0;
/// CONFIG SET allows it only when `enable-protected-configs` permits.
pub(crate) const PROTECTED: u8 = 1 << 1;
/// Its value must not show up in logs, SLOWLOG or MONITOR.
pub(crate) const SENSITIVE: u8 = 1 << 2;
/// CONFIG GET returns it only for an exact name, never for a pattern.
pub(crate) const HIDDEN: u8 = 1 << 3;
/// CONFIG SET refuses it while the dataset is loading.
pub(crate) const DENY_LOADING: u8 = 1 << 4;
/// Takes several arguments (one string in CONFIG SET, split on spaces).
pub(crate) const MULTI_ARG: u8 = 1 << 5;

/// What the running server must redo after CONFIG SET changed a
/// directive: named by the declaration, run by the server (its `apply`
/// module) once per CONFIG SET however many of its directives changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Apply {
    /// `loglevel`: the logger's minimum level.
    LogLevel,
    /// `rdbcompression`: the engine's RDB writer.
    RdbCompression,
    /// `notify-keyspace-events`: the engine's notification classes.
    KeyspaceEvents,
    /// `repl-disable-tcp-nodelay`: the connected replicas' sockets.
    ReplNoDelay,
    /// `min-replicas-to-write`, `min-replicas-max-lag`.
    MinReplicas,
    /// `repl-backlog-size`: resize the backlog.
    ReplBacklogSize,
    /// `maxmemory*`, `lfu-*`, `replica-ignore-maxmemory`: the engine's
    /// eviction settings and the hot-path memory limits.
    Maxmemory,
    /// `*-max-listpack-*`, `set-max-intset-entries`, `list-compress-depth`:
    /// the engine's encoding thresholds.
    EncodingLimits,
    /// `tls-*` (Redis's `applyTlsCfg`): rebuild the TLS context while TLS is
    /// in use. Redust has no TLS yet, so such a change fails as Redis's does
    /// without certificates: [`crate::Config::set_with`] refuses it and
    /// keeps the old values.
    Tls,
    /// `slowlog-*`, `latency-monitor-threshold`, `latency-tracking`: what
    /// the command path records after each command.
    Introspection,
}

/// Extra validation of a parsed value; the error is Redis's text.
pub(crate) type Check<T> = fn(T) -> Result<(), &'static str>;
/// [`Check`] of a string value.
pub(crate) type StrCheck = fn(&str) -> Result<(), &'static str>;

/// Why a value was refused: Redis's reason text.
pub(crate) type Reason = Cow<'static, str>;

/// Typed access to one field of [`Settings`]; build it with `field!`.
pub(crate) struct Field<T: 'static> {
    /// The field's name, for the table's self-checks.
    #[cfg_attr(not(test), allow(dead_code))]
    pub name: &'static str,
    pub get: fn(&Settings) -> &T,
    pub get_mut: fn(&mut Settings) -> &mut T,
}

impl<T: PartialEq> Field<T> {
    pub fn same(&self, a: &Settings, b: &Settings) -> bool {
        (self.get)(a) == (self.get)(b)
    }

    pub fn set(&self, s: &mut Settings, v: T) {
        *(self.get_mut)(s) = v;
    }
}

/// `field!(port)`: a `&'static Field` for `Settings::port`, its type
/// inferred from the field.
macro_rules! field {
    ($f:ident) => {
        &$crate::directive::Field {
            name: stringify!($f),
            get: |s| &s.$f,
            get_mut: |s| &mut s.$f,
        }
    };
}

/// `enum_field!(loglevel, LogLevel::Notice)`: a typed enum directive's
/// field and default.
macro_rules! enum_field {
    ($f:ident, $default:expr) => {
        &$crate::directive::EnumField {
            field: field!($f),
            default: $default,
        }
    };
}

/// The integer types a numeric directive may fill. Redis keeps every
/// number as a C `long long` (unsigned ones by bit pattern); the table's
/// bounds keep each value inside its field's type, which the table's
/// tests check at both ends.
pub(crate) trait Int: Copy {
    fn to_i64(self) -> i64;
    fn from_i64(v: i64) -> Self;
}

macro_rules! impl_int {
    ($($t:ty),*) => {$(
        impl Int for $t {
            fn to_i64(self) -> i64 {
                self as i64
            }
            fn from_i64(v: i64) -> Self {
                v as $t
            }
        }
    )*};
}
impl_int!(u16, u32, u64, i32, i64);

/// A numeric field, whatever its integer type.
pub(crate) trait IntSlot: Sync {
    fn get(&self, s: &Settings) -> i64;
    fn set(&self, s: &mut Settings, v: i64);
    #[cfg(test)]
    fn name(&self) -> &'static str;
}

impl<T: Int> IntSlot for Field<T> {
    fn get(&self, s: &Settings) -> i64 {
        (self.get)(s).to_i64()
    }

    fn set(&self, s: &mut Settings, v: i64) {
        *(self.get_mut)(s) = T::from_i64(v);
    }

    #[cfg(test)]
    fn name(&self) -> &'static str {
        self.name
    }
}

/// A Rust enum that a directive takes one of the names of.
pub trait ConfigEnum: Copy + PartialEq + Sync + 'static {
    /// Accepted names (case-insensitive) with their values, in the order
    /// Redis lists them in errors; a value prints as its first name.
    const ITEMS: &'static [(&'static str, Self)];

    /// The directive's text for this value (`"unknown"` for a value that
    /// has no name in Redis 7.0).
    fn config_name(self) -> &'static str {
        Self::ITEMS
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("unknown", |(name, _)| name)
    }
}

/// A typed enum directive: its field and default.
pub(crate) struct EnumField<T: 'static> {
    pub field: &'static Field<T>,
    pub default: T,
}

/// An enum directive, whatever its Rust type.
pub(crate) trait EnumSlot: Sync {
    fn names(&self) -> Vec<&'static str>;
    fn name_of(&self, s: &Settings) -> &'static str;
    /// False if `arg` is none of the names.
    fn parse(&self, s: &mut Settings, arg: &str) -> bool;
    fn reset(&self, s: &mut Settings);
    fn same(&self, a: &Settings, b: &Settings) -> bool;
    #[cfg(test)]
    fn field_name(&self) -> &'static str;
}

impl<T: ConfigEnum> EnumSlot for EnumField<T> {
    fn names(&self) -> Vec<&'static str> {
        T::ITEMS.iter().map(|(name, _)| *name).collect()
    }

    fn name_of(&self, s: &Settings) -> &'static str {
        (self.field.get)(s).config_name()
    }

    fn parse(&self, s: &mut Settings, arg: &str) -> bool {
        match T::ITEMS.iter().find(|(n, _)| n.eq_ignore_ascii_case(arg)) {
            Some(&(_, v)) => {
                self.field.set(s, v);
                true
            }
            None => false,
        }
    }

    fn reset(&self, s: &mut Settings) {
        self.field.set(s, self.default);
    }

    fn same(&self, a: &Settings, b: &Settings) -> bool {
        self.field.same(a, b)
    }

    #[cfg(test)]
    fn field_name(&self) -> &'static str {
        self.field.name
    }
}

/// A numeric directive.
#[derive(Clone, Copy)]
pub(crate) struct IntSpec {
    pub min: i64,
    pub max: i64,
    pub default: i64,
    pub unit: Unit,
    /// Bounds compare as u64 (C's unsigned types).
    pub unsigned: bool,
    /// Out-of-range values are clamped to this after parsing, not refused.
    pub clamp: Option<(i64, i64)>,
    pub field: &'static dyn IntSlot,
}

/// A directive's type, default and field.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Bool {
        field: &'static Field<bool>,
        default: bool,
        check: Option<Check<bool>>,
    },
    Int(IntSpec),
    Enum(&'static dyn EnumSlot),
    /// Several names OR-ed together (always `MULTI_ARG`).
    Flags {
        field: &'static Field<u32>,
        items: FlagItems,
        default: u32,
        check: Option<Check<u32>>,
    },
    /// Always set; `""` is a value.
    Str {
        field: &'static Field<String>,
        default: &'static str,
        check: Option<StrCheck>,
    },
    /// Unset by default; `""` unsets it.
    OptStr {
        field: &'static Field<Option<String>>,
        check: Option<StrCheck>,
    },
    /// A syntax of its own.
    Special(Special),
}

/// One directive's declaration.
#[derive(Clone, Copy)]
pub(crate) struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    /// [`IMMUTABLE`], [`PROTECTED`], ...
    pub flags: u8,
    pub(crate) kind: Kind,
    /// What the server must redo when CONFIG SET changes it.
    pub apply: Option<Apply>,
    /// Redust acts on it. The others are accepted and reported by
    /// [`crate::Config::not_in_effect`] when set to a non-default value.
    pub in_effect: bool,
}

impl Directive {
    pub(crate) const fn new(name: &'static str, kind: Kind) -> Directive {
        Directive {
            name,
            alias: None,
            flags: 0,
            kind,
            apply: None,
            in_effect: false,
        }
    }

    pub(crate) const fn alias(self, alias: &'static str) -> Directive {
        Directive {
            alias: Some(alias),
            ..self
        }
    }

    pub(crate) const fn flags(self, flags: u8) -> Directive {
        Directive {
            flags: self.flags | flags,
            ..self
        }
    }

    pub(crate) const fn apply(self, apply: Apply) -> Directive {
        Directive {
            apply: Some(apply),
            ..self
        }
    }

    pub(crate) const fn in_effect(self) -> Directive {
        Directive {
            in_effect: true,
            ..self
        }
    }

    /// For a numeric directive: out-of-range values are clamped, not
    /// refused (Redis's `hz`). On any other kind the table fails to
    /// compile.
    pub(crate) const fn clamp(self, lo: i64, hi: i64) -> Directive {
        match self.kind {
            Kind::Int(spec) => Directive {
                kind: Kind::Int(IntSpec {
                    clamp: Some((lo, hi)),
                    ..spec
                }),
                ..self
            },
            _ => panic!("clamp() is for numeric directives"),
        }
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Whether this is `save` (whose config file lines accumulate).
    pub(crate) fn is_save(&self) -> bool {
        matches!(self.kind, Kind::Special(Special::Save(_)))
    }

    /// Put the default value in the field; `dir`'s default is
    /// `default_dir`.
    pub(crate) fn reset(&self, s: &mut Settings, default_dir: &str) {
        match self.kind {
            Kind::Bool { field, default, .. } => field.set(s, default),
            Kind::Int(spec) => spec.field.set(s, spec.default),
            Kind::Enum(slot) => slot.reset(s),
            Kind::Flags { field, default, .. } => field.set(s, default),
            Kind::Str { field, default, .. } => field.set(s, default.to_owned()),
            Kind::OptStr { field, .. } => field.set(s, None),
            Kind::Special(special) => special.reset(s, default_dir),
        }
    }

    /// Set the field from `args` (already split into arguments). On error
    /// the field may be half-changed only for specials that fail after
    /// checking; callers work on a copy. `save_append` is true for the
    /// second and later `save` lines of a config file, which add to the
    /// list instead of replacing it.
    pub(crate) fn set(
        &self,
        s: &mut Settings,
        args: &[String],
        save_append: bool,
    ) -> Result<(), Reason> {
        let one = || match args {
            [arg] => Ok(arg),
            _ => Err(Reason::from("wrong number of arguments")),
        };
        match self.kind {
            Kind::Bool { field, check, .. } => {
                let b = yes_no(one()?).ok_or("argument must be 'yes' or 'no'")?;
                if let Some(check) = check {
                    check(b)?;
                }
                field.set(s, b);
            }
            Kind::Int(spec) => {
                let mut v = parse_num(one()?, spec.unit)?;
                check_bounds(v, spec.min, spec.max, spec.unit, spec.unsigned)?;
                if let Some((lo, hi)) = spec.clamp {
                    v = v.clamp(lo, hi);
                }
                spec.field.set(s, v);
            }
            Kind::Enum(slot) => {
                let parsed = matches!(args, [arg] if slot.parse(s, arg));
                if !parsed {
                    return Err(one_of(&slot.names()));
                }
            }
            Kind::Flags {
                field,
                items,
                check,
                ..
            } => {
                let names: Vec<&str> = items.iter().map(|(n, _)| *n).collect();
                let v = enum_value(items, args).ok_or_else(|| one_of(&names))?;
                if let Some(check) = check {
                    check(v)?;
                }
                field.set(s, v);
            }
            Kind::Str { field, check, .. } => {
                let arg = one()?;
                if let Some(check) = check {
                    check(arg)?;
                }
                field.set(s, arg.clone());
            }
            Kind::OptStr { field, check } => {
                let arg = one()?;
                if let Some(check) = check {
                    check(arg)?;
                }
                field.set(s, (!arg.is_empty()).then(|| arg.clone()));
            }
            Kind::Special(special) => special.set(s, args, save_append)?,
        }
        Ok(())
    }

    /// The CONFIG GET text.
    pub(crate) fn format(&self, s: &Settings) -> String {
        match self.kind {
            Kind::Bool { field, .. } => yes_no_str(*(field.get)(s)).to_owned(),
            Kind::Int(spec) => {
                let v = spec.field.get(s);
                match spec.unit {
                    Unit::MemoryOrPercent if v < 0 => format!("{}%", v.unsigned_abs()),
                    Unit::Memory | Unit::MemoryOrPercent => (v as u64).to_string(),
                    Unit::Octal => format!("{v:o}"),
                    Unit::Integer => v.to_string(),
                }
            }
            Kind::Enum(slot) => slot.name_of(s).to_owned(),
            Kind::Flags { field, items, .. } => enum_name(items, *(field.get)(s)),
            Kind::Str { field, .. } => (field.get)(s).clone(),
            Kind::OptStr { field, .. } => (field.get)(s).clone().unwrap_or_default(),
            Kind::Special(special) => special.format(s),
        }
    }

    /// Whether `a` and `b` hold the same value for this directive.
    pub(crate) fn same(&self, a: &Settings, b: &Settings) -> bool {
        match self.kind {
            Kind::Bool { field, .. } => field.same(a, b),
            Kind::Int(spec) => spec.field.get(a) == spec.field.get(b),
            Kind::Enum(slot) => slot.same(a, b),
            Kind::Flags { field, .. } => field.same(a, b),
            Kind::Str { field, .. } => field.same(a, b),
            Kind::OptStr { field, .. } => field.same(a, b),
            Kind::Special(special) => special.same(a, b),
        }
    }

    /// The name of the [`Settings`] field this directive fills.
    #[cfg(test)]
    pub(crate) fn field_name(&self) -> &'static str {
        match self.kind {
            Kind::Bool { field, .. } => field.name,
            Kind::Int(spec) => spec.field.name(),
            Kind::Enum(slot) => slot.field_name(),
            Kind::Flags { field, .. } => field.name,
            Kind::Str { field, .. } => field.name,
            Kind::OptStr { field, .. } => field.name,
            Kind::Special(special) => special.field_name(),
        }
    }
}

fn one_of(names: &[&str]) -> Reason {
    format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    )
    .into()
}
