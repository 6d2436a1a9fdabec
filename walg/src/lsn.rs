//! PostgreSQL log sequence numbers (`X/Y`).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, parse_error};

/// A WAL position: a 64-bit byte offset into the write-ahead log.
///
/// Text form is `X/Y` (high and low 32 bits in hex). Parsing accepts 1-8 hex digits per half in
/// either case, with or without zero padding (`0/16B3748` and `0/016B3748`); `Display` prints
/// PostgreSQL's `%X/%X`.
///
/// ```
/// use walg::Lsn;
/// let lsn: Lsn = "1/A0000028".parse().unwrap();
/// assert_eq!(lsn.as_u64(), 0x1_A000_0028);
/// assert_eq!(lsn.to_string(), "1/A0000028");
/// assert_eq!("0/016B3748".parse::<Lsn>().unwrap().to_string(), "0/16B3748");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    /// The invalid LSN `0/0`.
    pub const ZERO: Lsn = Lsn(0);

    /// The LSN as a byte position.
    #[must_use]
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The LSN `bytes` further on, or `None` on overflow.
    #[must_use]
    pub const fn checked_add(self, bytes: u64) -> Option<Lsn> {
        match self.0.checked_add(bytes) {
            Some(v) => Some(Lsn(v)),
            None => None,
        }
    }

    /// The LSN `bytes` earlier, or `None` below `0/0`.
    #[must_use]
    pub const fn checked_sub(self, bytes: u64) -> Option<Lsn> {
        match self.0.checked_sub(bytes) {
            Some(v) => Some(Lsn(v)),
            None => None,
        }
    }

    /// Bytes of WAL from `earlier` to `self` (zero when `earlier` is later).
    #[must_use]
    pub const fn bytes_since(self, earlier: Lsn) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl From<u64> for Lsn {
    fn from(value: u64) -> Self {
        Lsn(value)
    }
}

impl From<Lsn> for u64 {
    fn from(value: Lsn) -> Self {
        value.0
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

fn parse_half(half: &str, input: &str) -> Result<u64, Error> {
    if half.is_empty() || half.len() > 8 || !half.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(parse_error("LSN", input, "expected X/Y with 1 to 8 hex digits on each side, e.g. 0/16B3748"));
    }
    // Cannot fail: at most 8 validated hex digits.
    Ok(u64::from_str_radix(half, 16).unwrap_or_default())
}

impl FromStr for Lsn {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let Some((hi, lo)) = trimmed.split_once('/') else {
            return Err(parse_error("LSN", s, "expected X/Y with 1 to 8 hex digits on each side, e.g. 0/16B3748"));
        };
        Ok(Lsn(parse_half(hi, s)? << 32 | parse_half(lo, s)?))
    }
}

impl serde::Serialize for Lsn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Lsn {
    /// Accepts the `X/Y` text form and the plain integer wal-g prints in JSON.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(u64),
            Text(String),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Number(n) => Ok(Lsn(n)),
            Repr::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_padded_and_unpadded() {
        assert_eq!("0/40000A0".parse::<Lsn>().unwrap(), Lsn(0x0400_00A0));
        assert_eq!("0/040000a0".parse::<Lsn>().unwrap(), Lsn(0x0400_00A0));
        assert_eq!("FFFFFFFF/FFFFFFFF".parse::<Lsn>().unwrap(), Lsn(u64::MAX));
        assert_eq!(Lsn(u64::MAX).to_string(), "FFFFFFFF/FFFFFFFF");
        assert_eq!(Lsn(0).to_string(), "0/0");
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "/", "0/", "/0", "0/123456789", "g/0", "0/0/0", "+1/0", "0x1/0", "1 /0"] {
            let err = bad.parse::<Lsn>().unwrap_err().to_string();
            assert!(err.contains("expected X/Y"), "{bad}: {err}");
        }
    }

    #[test]
    fn orders_and_subtracts() {
        let a: Lsn = "0/FFFFFFFF".parse().unwrap();
        let b: Lsn = "1/0".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.bytes_since(a), 1);
        assert_eq!(a.checked_add(1), Some(b));
        assert_eq!(Lsn::ZERO.checked_sub(1), None);
    }

    #[test]
    fn serde_accepts_numbers_and_text() {
        assert_eq!(serde_json::from_str::<Lsn>("33554472").unwrap(), Lsn(0x0200_0028));
        assert_eq!(serde_json::from_str::<Lsn>("\"0/2000028\"").unwrap(), Lsn(0x0200_0028));
        assert_eq!(serde_json::to_string(&Lsn(0x0200_0028)).unwrap(), "\"0/2000028\"");
    }
}
