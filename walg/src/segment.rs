//! WAL segment file names (`TTTTTTTTLLLLLLLLSSSSSSSS`) and their mapping to LSNs.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, parse_error};
use crate::lsn::Lsn;

/// A timeline ID (1 is the timeline `initdb` creates; every promotion or PITR starts a new one).
pub type TimelineId = u32;

const MIB: u64 = 1024 * 1024;

/// The WAL segment size of a cluster: a power of two from 1 MiB to 1 GiB (16 MiB unless
/// `initdb --wal-segsize` said otherwise; wal-g reads it from `WALG_PG_WAL_SIZE`, in MiB).
///
/// ```
/// use walg::WalSegmentSize;
/// assert_eq!(WalSegmentSize::default().bytes(), 16 * 1024 * 1024);
/// assert_eq!(WalSegmentSize::default().segments_per_xlogid(), 256);
/// assert!(WalSegmentSize::from_mib(3).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WalSegmentSize(u64);

impl WalSegmentSize {
    /// The default 16 MiB.
    pub const DEFAULT: WalSegmentSize = WalSegmentSize(16 * MIB);

    /// A segment size in bytes; rejects anything but a power of two from 1 MiB to 1 GiB.
    pub fn from_bytes(bytes: u64) -> Result<Self, Error> {
        if bytes.is_power_of_two() && (MIB..=1024 * MIB).contains(&bytes) {
            Ok(WalSegmentSize(bytes))
        } else {
            Err(client_core::Error::invalid(
                "WAL segment size",
                format!("{bytes} bytes"),
                "expected a power of two from 1 MiB to 1 GiB",
            )
            .into())
        }
    }

    /// A segment size in MiB (the unit of `WALG_PG_WAL_SIZE` and `initdb --wal-segsize`).
    pub fn from_mib(mib: u64) -> Result<Self, Error> {
        Self::from_bytes(mib.saturating_mul(MIB))
    }

    /// The size in bytes.
    #[must_use]
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// The size in MiB.
    #[must_use]
    pub const fn mib(self) -> u64 {
        self.0 / MIB
    }

    /// How many segments one "log" (xlogid, 4 GiB of WAL) holds: 256 for 16 MiB.
    #[must_use]
    pub const fn segments_per_xlogid(self) -> u64 {
        (1u64 << 32) / self.0
    }

    /// The segment number holding the byte at `lsn` (`XLByteToSeg`).
    #[must_use]
    pub const fn segno_containing(self, lsn: Lsn) -> u64 {
        lsn.as_u64() / self.0
    }

    /// The segment number `pg_walfile_name(lsn)` names: an LSN exactly on a segment boundary
    /// belongs to the previous segment (`XLByteToPrevSeg`). wal-g names backups this way.
    #[must_use]
    pub const fn segno_before(self, lsn: Lsn) -> u64 {
        lsn.as_u64().saturating_sub(1) / self.0
    }
}

impl Default for WalSegmentSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for WalSegmentSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} MiB", self.mib())
    }
}

/// One WAL segment file name: timeline, log (xlogid) and segment within the log.
///
/// ```
/// use walg::{Lsn, WalSegment, WalSegmentSize};
/// let size = WalSegmentSize::default();
/// let seg: WalSegment = "000000010000000000000002".parse().unwrap();
/// assert_eq!((seg.timeline, seg.log, seg.seg), (1, 0, 2));
/// let lsn: Lsn = "0/2000028".parse().unwrap();
/// assert_eq!(WalSegment::containing(1, lsn, size), seg);
/// // pg_walfile_name('0/3000000') is the previous segment:
/// assert_eq!(WalSegment::walfile_name(1, "0/3000000".parse().unwrap(), size), seg);
/// assert_eq!(seg.to_string(), "000000010000000000000002");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WalSegment {
    /// Timeline (first 8 hex digits).
    pub timeline: TimelineId,
    /// Log, i.e. the high 32 bits of the segment's LSNs (middle 8 hex digits).
    pub log: u32,
    /// Segment within the log (last 8 hex digits); below [`WalSegmentSize::segments_per_xlogid`].
    pub seg: u32,
}

impl WalSegment {
    /// The segment with number `segno` on `timeline`.
    #[must_use]
    pub fn from_segno(timeline: TimelineId, segno: u64, size: WalSegmentSize) -> Self {
        let per = size.segments_per_xlogid();
        // segno / per <= u64::MAX / 256 can exceed u32 only for LSNs past 2^64; truncation mirrors PG.
        WalSegment { timeline, log: (segno / per) as u32, seg: (segno % per) as u32 }
    }

    /// The segment holding the byte at `lsn`.
    #[must_use]
    pub fn containing(timeline: TimelineId, lsn: Lsn, size: WalSegmentSize) -> Self {
        Self::from_segno(timeline, size.segno_containing(lsn), size)
    }

    /// The segment `pg_walfile_name(lsn)` returns (previous-segment rule on boundaries).
    #[must_use]
    pub fn walfile_name(timeline: TimelineId, lsn: Lsn, size: WalSegmentSize) -> Self {
        Self::from_segno(timeline, size.segno_before(lsn), size)
    }

    /// The segment number (position in the WAL stream, independent of the timeline).
    ///
    /// Fails when the `seg` field cannot exist with this segment size (e.g. `...00000100` with
    /// 16 MiB segments, whose logs hold only `00`..`FF`).
    pub fn segno(self, size: WalSegmentSize) -> Result<u64, Error> {
        let per = size.segments_per_xlogid();
        if u64::from(self.seg) >= per {
            return Err(parse_error(
                "WAL segment name",
                &self.to_string(),
                format!("the segment field must be below {per:#X} with {size} segments"),
            ));
        }
        Ok(u64::from(self.log) * per + u64::from(self.seg))
    }

    /// The first LSN in this segment.
    pub fn start_lsn(self, size: WalSegmentSize) -> Result<Lsn, Error> {
        Ok(Lsn(self.segno(size)? * size.bytes()))
    }

    /// The first LSN after this segment.
    pub fn end_lsn(self, size: WalSegmentSize) -> Result<Lsn, Error> {
        Ok(Lsn((self.segno(size)? + 1) * size.bytes()))
    }

    /// The same position on another timeline.
    #[must_use]
    pub const fn on_timeline(self, timeline: TimelineId) -> Self {
        WalSegment { timeline, log: self.log, seg: self.seg }
    }

    /// True for a string of exactly 24 hex digits (the shape of a segment name).
    #[must_use]
    pub fn looks_like_name(s: &str) -> bool {
        s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

impl fmt::Display for WalSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08X}{:08X}{:08X}", self.timeline, self.log, self.seg)
    }
}

impl FromStr for WalSegment {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !Self::looks_like_name(s) {
            return Err(parse_error("WAL segment name", s, "expected 24 hex digits, e.g. 000000010000000000000002"));
        }
        let field = |i: usize| u32::from_str_radix(&s[i..i + 8], 16).unwrap_or_default();
        let timeline = field(0);
        if timeline == 0 {
            return Err(parse_error("WAL segment name", s, "timeline 0 does not exist (timelines start at 1)"));
        }
        Ok(WalSegment { timeline, log: field(8), seg: field(16) })
    }
}

impl serde::Serialize for WalSegment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for WalSegment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(mib: u64) -> WalSegmentSize {
        WalSegmentSize::from_mib(mib).unwrap()
    }

    #[test]
    fn sizes() {
        assert!(WalSegmentSize::from_mib(1).is_ok());
        assert!(WalSegmentSize::from_mib(1024).is_ok());
        for bad in [0, 2048, 3, 24] {
            let e = WalSegmentSize::from_mib(bad).unwrap_err().to_string();
            assert!(e.contains("power of two from 1 MiB to 1 GiB"), "{e}");
        }
        assert_eq!(size(1).segments_per_xlogid(), 4096);
        assert_eq!(size(64).segments_per_xlogid(), 64);
        assert_eq!(size(1024).segments_per_xlogid(), 4);
    }

    #[test]
    fn log_wraps_at_segments_per_xlogid() {
        let s16 = WalSegmentSize::default();
        let last: WalSegment = "0000000100000000000000FF".parse().unwrap();
        assert_eq!(last.segno(s16).unwrap(), 255);
        assert_eq!(WalSegment::from_segno(1, 256, s16).to_string(), "000000010000000100000000");
        assert_eq!(last.end_lsn(s16).unwrap().to_string(), "1/0");
        assert!("000000010000000000000100".parse::<WalSegment>().unwrap().segno(s16).is_err());
        // The same name is valid with 1 MiB segments (4096 per log).
        assert_eq!("000000010000000000000100".parse::<WalSegment>().unwrap().segno(size(1)).unwrap(), 256);
        assert_eq!(WalSegment::from_segno(1, 4096, size(1)).to_string(), "000000010000000100000000");
        // 64 MiB: 64 segments per log.
        assert_eq!(WalSegment::from_segno(1, 64, size(64)).to_string(), "000000010000000100000000");
        assert!("00000001000000000000003F".parse::<WalSegment>().unwrap().segno(size(64)).is_ok());
        assert!("000000010000000000000040".parse::<WalSegment>().unwrap().segno(size(64)).is_err());
    }

    #[test]
    fn lsn_mapping_and_previous_segment_rule() {
        let s = WalSegmentSize::default();
        let lsn: Lsn = "1/A0000028".parse().unwrap();
        assert_eq!(WalSegment::containing(0x11, lsn, s).to_string(), "0000001100000001000000A0");
        let boundary: Lsn = "1/0".parse().unwrap();
        assert_eq!(WalSegment::containing(1, boundary, s).to_string(), "000000010000000100000000");
        assert_eq!(WalSegment::walfile_name(1, boundary, s).to_string(), "0000000100000000000000FF");
        let m64 = size(64);
        let lsn: Lsn = "0/8000000".parse().unwrap(); // 128 MiB = segment 2 with 64 MiB segments
        assert_eq!(WalSegment::containing(1, lsn, m64).to_string(), "000000010000000000000002");
        assert_eq!(WalSegment::walfile_name(1, lsn, m64).to_string(), "000000010000000000000001");
    }

    #[test]
    fn hex_timelines() {
        let seg: WalSegment = "0000001A000000030000004B".parse().unwrap();
        assert_eq!(seg.timeline, 26);
        assert_eq!(seg.to_string(), "0000001A000000030000004B");
        assert_eq!("0000001a000000030000004b".parse::<WalSegment>().unwrap(), seg);
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "",
            "00000001000000000000000",
            "0000000100000000000000021",
            "00000001000000000000000G",
            "000000000000000000000001",
        ] {
            assert!(bad.parse::<WalSegment>().is_err(), "{bad}");
        }
    }
}
