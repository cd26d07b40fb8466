//! A perf buffer whose wakeups are batched: libbpf's raw perf-buffer API with a
//! watermark, since libbpf-rs's builder (perf_buffer__new) asks the kernel for a wakeup
//! per event — a context switch per event, which made --perf-buffer cost what the C
//! tools cost. The reader is woken once `wakeup_bytes` wait in a CPU's buffer; below
//! that, `poll` collects what is there when its timeout ends, so a trickle still shows
//! within one timeout.

use std::cell::Cell;
use std::ffi::c_int;
use std::ffi::c_void;
use std::ptr::NonNull;
use std::rc::Rc;
use std::time::Duration;

use libbpf_rs::Map;
use libbpf_sys::bpf_perf_event_ret;
use libbpf_sys::perf_event_header;

/// Gets each record's bytes.
type SampleFn<'a> = Box<dyn FnMut(&[u8]) + 'a>;

/// What the C callback reaches through its context pointer.
struct Handlers<'a> {
    sample: SampleFn<'a>,
    lost: Rc<Cell<u64>>,
}

/// The perf buffer of a streaming tool (events.rs), freed on drop.
pub struct BatchedPerfBuffer<'a> {
    raw: NonNull<libbpf_sys::perf_buffer>,
    // Freed after `raw` (Drop), which calls back into it until then.
    handlers: *mut Handlers<'a>,
}

impl<'a> BatchedPerfBuffer<'a> {
    /// A buffer of `pages` pages per CPU on the perf event array `map`: `sample` gets
    /// each record's bytes, `lost` adds up the records the kernel could not write.
    pub fn new(
        map: &Map,
        pages: usize,
        wakeup_bytes: u32,
        sample: impl FnMut(&[u8]) + 'a,
        lost: Rc<Cell<u64>>,
    ) -> libbpf_rs::Result<Self> {
        let mut attr = libbpf_sys::perf_event_attr {
            type_: libbpf_sys::PERF_TYPE_SOFTWARE,
            size: std::mem::size_of::<libbpf_sys::perf_event_attr>() as u32,
            config: libbpf_sys::PERF_COUNT_SW_BPF_OUTPUT as u64,
            sample_type: libbpf_sys::PERF_SAMPLE_RAW as u64,
            ..Default::default()
        };
        attr.__bindgen_anon_1.sample_period = 1;
        attr.set_watermark(1);
        attr.__bindgen_anon_2.wakeup_watermark = wakeup_bytes;
        let handlers = Box::into_raw(Box::new(Handlers {
            sample: Box::new(sample),
            lost,
        }));
        // SAFETY: a perf event array's descriptor, an attr that lives through the call,
        // and a context pointer that stays valid until perf_buffer__free (Drop).
        let raw = unsafe {
            libbpf_sys::perf_buffer__new_raw(
                map_fd(map),
                pages as libbpf_sys::size_t,
                &mut attr,
                Some(on_record),
                handlers.cast::<c_void>(),
                std::ptr::null(),
            )
        };
        match NonNull::new(raw) {
            // libbpf returns NULL with errno set.
            None => {
                let err = std::io::Error::last_os_error();
                // SAFETY: made by Box::into_raw above, and libbpf kept no copy.
                drop(unsafe { Box::from_raw(handlers) });
                Err(libbpf_rs::Error::from(err))
            }
            Some(raw) => Ok(Self { raw, handlers }),
        }
    }

    /// Waits up to `timeout` for a CPU's buffer to pass the watermark, then delivers
    /// everything waiting in every buffer.
    pub fn poll(&self, timeout: Duration) -> libbpf_rs::Result<()> {
        let millis = timeout.as_millis().min(i32::MAX as u128) as c_int;
        // SAFETY: `raw` is a live perf buffer (freed only in Drop).
        check(unsafe { libbpf_sys::perf_buffer__poll(self.raw.as_ptr(), millis) })?;
        self.consume()
    }

    /// Delivers everything waiting, without waiting.
    pub fn consume(&self) -> libbpf_rs::Result<()> {
        // SAFETY: as in poll.
        check(unsafe { libbpf_sys::perf_buffer__consume(self.raw.as_ptr()) })
    }
}

impl Drop for BatchedPerfBuffer<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from perf_buffer__new_raw and is freed once, before the
        // handlers it calls back into.
        unsafe {
            libbpf_sys::perf_buffer__free(self.raw.as_ptr());
            drop(Box::from_raw(self.handlers));
        }
    }
}

fn map_fd(map: &Map) -> c_int {
    use std::os::fd::AsFd;
    use std::os::fd::AsRawFd;
    map.as_fd().as_raw_fd()
}

fn check(ret: c_int) -> libbpf_rs::Result<()> {
    if ret < 0 {
        Err(libbpf_rs::Error::from_raw_os_error(-ret))
    } else {
        Ok(())
    }
}

/// libbpf's callback for each record: a sample's raw bytes go to `sample`, a lost
/// record's count to `lost`.
unsafe extern "C" fn on_record(
    context: *mut c_void,
    _cpu: c_int,
    header: *mut perf_event_header,
) -> bpf_perf_event_ret {
    // SAFETY: the context is the Handlers this buffer was made with (alive until after
    // perf_buffer__free), used from the polling thread only; `header` points at a whole
    // record (libbpf copies one that wraps around the buffer into one piece).
    unsafe {
        let handlers = &mut *context.cast::<Handlers<'_>>();
        let record = header.cast::<u8>();
        let header = &*header;
        let body = record.add(std::mem::size_of::<perf_event_header>());
        match header.type_ {
            libbpf_sys::PERF_RECORD_SAMPLE => {
                // struct { header; u32 size; u8 data[size]; }
                let size = body.cast::<u32>().read_unaligned() as usize;
                let fits = std::mem::size_of::<perf_event_header>() + 4 + size;
                if fits <= usize::from(header.size) {
                    (handlers.sample)(std::slice::from_raw_parts(body.add(4), size));
                }
            }
            libbpf_sys::PERF_RECORD_LOST => {
                // struct { header; u64 id; u64 lost; ... }
                let lost = body.add(8).cast::<u64>().read_unaligned();
                handlers.lost.set(handlers.lost.get() + lost);
            }
            _ => {}
        }
    }
    libbpf_sys::LIBBPF_PERF_EVENT_CONT
}
