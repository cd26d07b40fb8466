//! Where a tool keeps what a call's entry saw until the call returns (bpf/inflight.bpf.h):
//! BPF task storage where this kernel lets the tool's programs use it, else the hash by
//! thread id (5.10). Probed at load; the map not chosen is not created.

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::OpenMapMut;
use libbpf_rs::OpenObject;

use crate::kernel::features;

/// `EBPF_TRACERS_INFLIGHT=hash` keeps in-flight calls in the hash even where task
/// storage works: the bench's side-by-side rows, the tests of the 5.10 path on any
/// kernel, and a way around a kernel whose task storage misbehaves.
pub const FORCE_ENV: &str = "EBPF_TRACERS_INFLIGHT";

/// Task storage for every program type the object will load (tracepoints, kprobes).
pub fn task_storage_usable(object: &OpenObject) -> bool {
    if std::env::var(FORCE_ENV).as_deref() == Ok("hash") {
        return false;
    }
    // Task storage, and the two helpers its get takes.
    features::map_type_usable(libbpf_sys::BPF_MAP_TYPE_TASK_STORAGE)
        && features::helpers_usable(
            object,
            &[
                libbpf_sys::BPF_FUNC_task_storage_get,
                libbpf_sys::BPF_FUNC_get_current_task_btf,
            ],
        )
}

/// Leaves out both maps of each in-flight pair: the programs that load keep no state
/// between a call's entry and its return (one fexit program sees both).
pub fn leave_out_all<'obj>(
    pairs: Vec<(&mut OpenMapMut<'obj>, &mut OpenMapMut<'obj>)>,
) -> Result<()> {
    for (by_tid, in_task) in pairs {
        for map in [by_tid, in_task] {
            map.set_autocreate(false)
                .context("cannot leave the unused in-flight map out")?;
        }
    }
    crate::run::verbose_notice(
        "no in-flight state: one fexit program sees the arguments and the result",
    );
    Ok(())
}

/// Leaves out the map of each in-flight pair (hash by tid, task storage) that the
/// choice does not use, and says the choice with -v.
pub fn leave_out_unused<'obj>(
    task_storage: bool,
    pairs: Vec<(&mut OpenMapMut<'obj>, &mut OpenMapMut<'obj>)>,
) -> Result<()> {
    for (by_tid, in_task) in pairs {
        let unused = if task_storage { by_tid } else { in_task };
        unused
            .set_autocreate(false)
            .context("cannot leave the unused in-flight map out")?;
    }
    crate::run::verbose_notice(if task_storage {
        "in-flight calls kept in task storage"
    } else {
        "in-flight calls kept in a hash by thread id (no task storage for these programs \
         here, or EBPF_TRACERS_INFLIGHT=hash)"
    });
    Ok(())
}
