//! Event times. The kernel stamps every event record with CLOCK_BOOTTIME
//! (bpf_ktime_get_boot_ns, in submit_event of bpf/events.bpf.h); JSON shows it as
//! wall-clock time, RFC 3339 in UTC with nanoseconds. The offset between the two clocks
//! is read once, at start, so an event's time is when the kernel saw it, not when user
//! space got round to printing it (a burst can be printed many milliseconds late).
//!
//! Like bcc's and bpftrace's conversions, this trusts the offset of the start: a later
//! step of the wall clock (settimeofday, an NTP step) is not followed.

use std::sync::OnceLock;
use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use nix::time::clock_gettime;
use nix::time::ClockId;

/// Nanoseconds to add to a CLOCK_BOOTTIME reading to get nanoseconds since the epoch.
static OFFSET: OnceLock<i128> = OnceLock::new();

fn nanos(clock: ClockId) -> i128 {
    clock_gettime(clock)
        .map(|t| i128::from(t.tv_sec()) * 1_000_000_000 + i128::from(t.tv_nsec()))
        .unwrap_or(0)
}

/// Reads the offset now (a tool calls it before it starts streaming); later calls
/// keep the first reading.
pub fn start() {
    OFFSET.get_or_init(|| {
        // The boot clock read between two wall-clock readings: of a few tries, the one
        // with the narrowest bracket, its midpoint the wall time of the boot reading.
        let mut best: Option<(i128, i128)> = None;
        for _ in 0..5 {
            let before = nanos(ClockId::CLOCK_REALTIME);
            let boot = nanos(ClockId::CLOCK_BOOTTIME);
            let after = nanos(ClockId::CLOCK_REALTIME);
            let width = after - before;
            if best.is_none_or(|(w, _)| width < w) {
                best = Some((width, before + width / 2 - boot));
            }
        }
        best.map(|(_, offset)| offset).unwrap_or(0)
    });
}

/// The wall-clock time of a kernel timestamp (CLOCK_BOOTTIME nanoseconds).
pub fn wall_time(boot_ns: u64) -> SystemTime {
    start();
    let offset = *OFFSET.get().unwrap_or(&0);
    let since_epoch = (i128::from(boot_ns) + offset).max(0);
    UNIX_EPOCH + Duration::from_nanos(u64::try_from(since_epoch).unwrap_or(u64::MAX))
}

/// `time` as JSON shows it: RFC 3339, UTC, nanoseconds (2026-11-23T10:04:05.123456789Z).
pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_nanos(time).to_string()
}

/// The JSON `time` of an event the kernel stamped at `boot_ns`.
pub fn event_time(boot_ns: u64) -> String {
    rfc3339(wall_time(boot_ns))
}

/// The JSON `time` of something user space makes now (an aggregating tool's report).
pub fn now() -> String {
    rfc3339(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boot_clock_reading_of_now_is_now_on_the_wall() {
        let before = SystemTime::now();
        let boot = nanos(ClockId::CLOCK_BOOTTIME) as u64;
        let after = SystemTime::now();
        let wall = wall_time(boot);
        let slack = Duration::from_millis(5);
        assert!(wall + slack >= before && wall <= after + slack, "{wall:?}");
    }

    #[test]
    fn times_are_rfc3339_utc_with_nanoseconds() {
        let time = UNIX_EPOCH + Duration::new(1_795_000_000, 5);
        assert_eq!(rfc3339(time), "2026-11-18T11:06:40.000000005Z");
        let parsed = humantime::parse_rfc3339(&rfc3339(time)).unwrap();
        assert_eq!(parsed, time);
    }
}
