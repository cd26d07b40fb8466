//! Streaming events from the kernel: the BPF ring buffer by default, a perf event array
//! with --perf-buffer, behind one consumer. Pairs with bpf/events.bpf.h, whose maps
//! (`events_rb`, `events_pb`, `dropped_events`) every streaming tool has.

use std::cell::Cell;
use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use anyhow::anyhow;
use anyhow::Context;
use anyhow::Result;
use libbpf_rs::MapMut;
use libbpf_rs::OpenMapMut;
use libbpf_rs::RingBuffer;
use libbpf_rs::RingBufferBuilder;

use crate::cli::EventArgs;
use crate::cli::NameArgs;
use crate::kernel::counters;
use crate::kernel::perf_buffer::BatchedPerfBuffer;
use crate::model::task::TaskHeader;

/// Ring buffer size: 2 MiB holds ~22,000 opensnoop events, ~25 ms of a full-speed
/// burst; with wakeups batched the reader keeps up (make bench: 0 lost in 1M-open
/// bursts). The kernel maps the data pages twice into the reader (so that records can
/// wrap), and all of them count in its RSS from the start: 4 MiB of it here.
pub const RINGBUF_BYTES: u32 = 2 << 20;
/// The reader is woken at least once per this much data (a sixteenth of the ring), up to
/// 32 CPUs: each CPU wakes it after its share (wakeup_share in bpf/events.bpf.h); below
/// that, the poll timeout collects the events.
pub const RINGBUF_WAKEUP_BYTES: u64 = (RINGBUF_BYTES / 16) as u64;

/// One CPU's share of RINGBUF_WAKEUP_BYTES: with every CPU below its share, no more
/// than RINGBUF_WAKEUP_BYTES wait unannounced.
/// Never below RINGBUF_WAKEUP_MIN_SHARE: on a machine of many possible CPUs (VMs often
/// count more than run) one busy CPU would otherwise wake the reader every few events.
pub fn ringbuf_wakeup_share() -> u64 {
    let cpus = libbpf_rs::num_possible_cpus().map_or(1, |n| n.max(1));
    (RINGBUF_WAKEUP_BYTES / cpus as u64).max(RINGBUF_WAKEUP_MIN_SHARE)
}

/// 4 KiB: about 50 opensnoop events per wakeup at least; with 128 CPUs all below it, a
/// quarter of the ring waits for the poll timeout at most.
pub const RINGBUF_WAKEUP_MIN_SHARE: u64 = 4 << 10;
/// Perf buffer pages per CPU (must be a power of two): 1 MiB per CPU.
pub const PERF_PAGES_PER_CPU: usize = 256;
/// The reader is woken when this share of a CPU's perf buffer waits (as with the ring
/// buffer: a sixteenth); below it, the poll timeout collects the events.
pub const PERF_WAKEUP_SHARE: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    RingBuffer,
    PerfBuffer,
}

impl EventSource {
    /// The ring buffer unless --perf-buffer was given or the kernel has none (before
    /// 5.8), in which case the tool says so and uses the perf buffer.
    pub fn from_args(args: &EventArgs) -> Self {
        if args.perf_buffer {
            Self::PerfBuffer
        } else if !crate::kernel::preflight::ring_buffer_supported() {
            crate::run::notice(
                "this kernel has no BPF ring buffer (before 5.8); using a perf buffer",
            );
            Self::PerfBuffer
        } else {
            Self::RingBuffer
        }
    }

    /// For the `use_perf_buffer` rodata switch of events.bpf.h.
    pub fn is_perf_buffer(self) -> bool {
        self == Self::PerfBuffer
    }
}

/// A streaming tool's event output (bpf/events.bpf.h), from its skeleton's typed maps
/// (`tool::ToolMaps`).
pub struct EventMaps<'a, 'obj> {
    /// `events_rb`: the ring buffer.
    pub ring: &'a MapMut<'obj>,
    /// `events_pb`: the perf event array.
    pub perf: &'a MapMut<'obj>,
    /// `dropped_events`: the records the kernel could not output, per CPU.
    pub dropped: &'a MapMut<'obj>,
}

/// Before load, sizes the event buffers: the one that will be used, and the other at
/// its minimum (the programs reference both, so both must exist). The perf event array
/// keeps its default: one slot per CPU.
pub fn size_event_buffers(
    source: EventSource,
    ring: &mut OpenMapMut<'_>,
    perf: &mut OpenMapMut<'_>,
) -> Result<()> {
    let (ring_bytes, perf_slots) = match source {
        EventSource::RingBuffer => (RINGBUF_BYTES, Some(1)),
        EventSource::PerfBuffer => (page_size(), None),
    };
    ring.set_max_entries(ring_bytes)
        .context("cannot size the ring buffer")?;
    if let Some(slots) = perf_slots {
        perf.set_max_entries(slots)
            .context("cannot size the perf event array")?;
    }
    Ok(())
}

fn page_size() -> u32 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u32::try_from(size).unwrap_or(4096).max(4096)
}

/// The perf buffer of a tool that streams through one, opened before its programs
/// attach: until a reader opens a CPU's perf event, that CPU's slot in the event array is
/// empty and an event written to it is gone (bpf_perf_event_output fails with ENOENT).
/// The ring buffer needs no such care: it exists from the load on. Records wait in
/// `pending` from the poll that reads them to their delivery by the EventStream.
pub struct PerfReader {
    buffer: BatchedPerfBuffer<'static>,
    pending: Rc<RefCell<Pending>>,
    lost: Rc<Cell<u64>>,
}

/// Records read but not yet delivered: their bytes one after another, and where each
/// ends.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl PerfReader {
    /// Opens the perf events of every CPU into the object's perf event array.
    pub fn open(map: &MapMut<'_>) -> Result<Self> {
        let pending: Rc<RefCell<Pending>> = Rc::default();
        let lost: Rc<Cell<u64>> = Rc::default();
        let into = Rc::clone(&pending);
        let buffer = BatchedPerfBuffer::new(
            map,
            PERF_PAGES_PER_CPU,
            PERF_PAGES_PER_CPU as u32 * page_size() / PERF_WAKEUP_SHARE,
            move |data| {
                let mut pending = into.borrow_mut();
                pending.bytes.extend_from_slice(data);
                let end = pending.bytes.len();
                pending.ends.push(end);
            },
            Rc::clone(&lost),
        )
        .context("cannot set up the perf buffer")?;
        Ok(Self {
            buffer,
            pending,
            lost,
        })
    }

    /// Hands every pending record to `deliver`, oldest first, until it says stop.
    fn deliver(&self, deliver: &mut dyn FnMut(&[u8]) -> bool) {
        let mut pending = self.pending.borrow_mut();
        let mut start = 0;
        for &end in &pending.ends {
            if !deliver(&pending.bytes[start..end]) {
                break;
            }
            start = end;
        }
        pending.bytes.clear();
        pending.ends.clear();
    }
}

/// Hands a record on; false: stop (the handler failed).
type Deliver<'a> = Box<dyn FnMut(&[u8]) -> bool + 'a>;

/// What a stream reads: the ring buffer (which calls the handler itself), or the perf
/// buffer opened at load and the handler its pending records go to.
enum Buffer<'a> {
    Ring(RingBuffer<'a>),
    Perf {
        reader: &'a PerfReader,
        deliver: RefCell<Deliver<'a>>,
    },
}

/// Delivers every event record to a handler. A handler error (stdout closed, say)
/// stops delivery and comes back from `poll`.
pub struct EventStream<'a> {
    buffer: Buffer<'a>,
    dropped: &'a MapMut<'a>,
    failure: Rc<RefCell<Option<io::Error>>>,
}

impl<'a> EventStream<'a> {
    /// A stream from the ring buffer of `object`, or from `perf` (opened at load).
    pub fn new<F>(maps: EventMaps<'a, 'a>, perf: Option<&'a PerfReader>, handler: F) -> Result<Self>
    where
        F: FnMut(&[u8]) -> io::Result<()> + 'a,
    {
        let failure: Rc<RefCell<Option<io::Error>>> = Rc::default();
        let mut handler = handler;
        let deliver = {
            let failure = Rc::clone(&failure);
            move |data: &[u8]| -> bool {
                if failure.borrow().is_some() {
                    return false;
                }
                match handler(data) {
                    Ok(()) => true,
                    Err(err) => {
                        *failure.borrow_mut() = Some(err);
                        false
                    }
                }
            }
        };
        let buffer = match perf {
            None => {
                let mut deliver = deliver;
                let mut builder = RingBufferBuilder::new();
                builder
                    .add(maps.ring, move |data| if deliver(data) { 0 } else { -1 })
                    .context("cannot set up the ring buffer")?;
                Buffer::Ring(builder.build().context("cannot set up the ring buffer")?)
            }
            Some(reader) => Buffer::Perf {
                reader,
                deliver: RefCell::new(Box::new(deliver)),
            },
        };
        Ok(Self {
            buffer,
            dropped: maps.dropped,
            failure,
        })
    }

    /// Waits up to `timeout` for events and delivers all that are ready.
    pub fn poll(&self, timeout: Duration) -> Result<()> {
        let result = match &self.buffer {
            // The kernel wakes us only once a batch is pending (wakeup_share), and
            // ring_buffer__poll consumes nothing when epoll times out: consume anyway,
            // so that a trickle of events shows within one timeout.
            Buffer::Ring(ring) => ring.poll(timeout).and_then(|()| ring.consume()),
            Buffer::Perf { reader, deliver } => {
                let polled = reader.buffer.poll(timeout);
                reader.deliver(&mut *deliver.borrow_mut());
                polled
            }
        };
        self.check(result)
    }

    /// Delivers whatever is already in the buffer without waiting (the final drain).
    pub fn drain(&self) -> Result<()> {
        let result = match &self.buffer {
            Buffer::Ring(ring) => ring.consume(),
            Buffer::Perf { reader, deliver } => {
                let consumed = reader.buffer.consume();
                reader.deliver(&mut *deliver.borrow_mut());
                consumed
            }
        };
        self.check(result)
    }

    fn check(&self, result: libbpf_rs::Result<()>) -> Result<()> {
        if let Some(err) = self.failure.borrow_mut().take() {
            return Err(anyhow::Error::new(err));
        }
        match result {
            Ok(()) => Ok(()),
            // A signal (Ctrl-C) interrupted epoll_wait: not an error, the loop will stop.
            Err(err) if err.kind() == libbpf_rs::ErrorKind::Interrupted => Ok(()),
            Err(err) => Err(anyhow!(err).context("reading events failed")),
        }
    }

    /// Events the kernel could not deliver because the buffer was full.
    pub fn lost(&self) -> Result<u64> {
        let dropped = counters::per_cpu_number(self.dropped)?;
        let perf_lost = match &self.buffer {
            Buffer::Perf { reader, .. } => reader.lost.get(),
            Buffer::Ring(_) => 0,
        };
        Ok(dropped.max(perf_lost))
    }
}

/// Decodes a record whose tail may be cut short (variable-length paths): the first
/// `min_len` bytes must be there, the rest of `T` is zero-filled.
pub fn decode_prefix<T: plain::Plain + Default>(data: &[u8], min_len: usize) -> Option<T> {
    if data.len() < min_len {
        return None;
    }
    let mut value = T::default();
    // SAFETY: T is Plain (any bytes are a valid T); we copy at most size_of::<T>() bytes.
    let bytes = unsafe { plain::as_mut_bytes(&mut value) };
    let len = data.len().min(bytes.len());
    bytes[..len].copy_from_slice(&data[..len]);
    Some(value)
}

/// A record that starts with the task that caused it (`struct task_info`); skel.rs
/// implements it, once, for every such event.
pub trait TaskEvent: plain::Plain + Default {
    fn task_header(&self) -> TaskHeader;
}

/// `decode_prefix` for a record that names its task: the record and its task header,
/// or None when the record is short, the task's name does not contain -n's SUBSTR, or
/// the tool itself caused it (its opens while it attaches, say: noise, as bcc's tools
/// agree).
pub fn decode_shown<T: TaskEvent>(
    data: &[u8],
    min_len: usize,
    name: &NameArgs,
) -> Option<(T, TaskHeader)> {
    let event: T = decode_prefix(data, min_len)?;
    let header = event.task_header();
    if header.tgid == crate::run::own_pid() || !name.matches(header.comm_bytes()) {
        return None;
    }
    Some((event, header))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Clone, Copy, PartialEq)]
    #[repr(C)]
    struct Record {
        id: u32,
        name: [u8; 8],
    }
    unsafe impl plain::Plain for Record {}

    #[test]
    fn short_records_are_zero_filled_and_too_short_ones_refused() {
        let mut data = 7u32.to_ne_bytes().to_vec();
        data.extend_from_slice(b"ab\0");
        let record: Record = decode_prefix(&data, 4).unwrap();
        assert_eq!(record.id, 7);
        assert_eq!(&record.name, b"ab\0\0\0\0\0\0");
        assert!(decode_prefix::<Record>(&data[..3], 4).is_none());
        // Longer than T (a newer BPF side): the extra bytes are ignored.
        let long = vec![1u8; 64];
        assert!(decode_prefix::<Record>(&long, 4).is_some());
    }
}
