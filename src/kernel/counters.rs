//! A counting tool's counters, typed from the kernel to the output: the value struct its
//! BPF program counts into (generated into the skeleton), read CPU by CPU and summed
//! field by field into the tool's own struct of u64 counters (`counters!`), which the
//! tables, the JSON and the metrics (by field name) show.

use std::fmt::Debug;
use std::os::fd::AsRawFd;

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;
use schemars::JsonSchema;
use serde::Serialize;

use crate::kernel::maps;

/// Rows a tool keeps apart: keys a drained tally keeps (report.rs `Tally::add`) and
/// label sets the metrics serve (metrics.rs); what comes beyond them is summed into
/// the overflow row and series.
pub const MAX_KEYS: usize = 10_000;

/// The counters of one row: u64 fields, each the kernel's field of the same name.
/// Made with `counters!`.
pub trait Counters: Copy + Default + PartialEq + Debug + Serialize + JsonSchema + 'static {
    /// The value the kernel counts into (a generated struct, or u64), per CPU.
    type Kernel: plain::Plain + Default;
    /// The fields' names, in the struct's order (metrics name their field).
    const FIELDS: &'static [&'static str];

    fn from_kernel(value: &Self::Kernel) -> Self;

    /// `op(self.f, other.f)` for every field f.
    fn zip(&self, other: &Self, op: impl Fn(u64, u64) -> u64) -> Self;

    /// Every field's value, with its name.
    fn fields(&self) -> Vec<(&'static str, u64)>;

    /// Field by field, added (wrapping, as the kernel's counters do).
    fn add(&mut self, other: &Self) {
        *self = self.zip(other, u64::wrapping_add);
    }

    /// The increase over `before`, field by field.
    fn since(&self, before: &Self) -> Self {
        self.zip(before, u64::wrapping_sub)
    }

    fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// How much the row weighs where rows compete for a place: all its counters (calls
    /// and bytes alike: a thread that only writes counts as much as one that reads).
    fn weight(&self) -> u64 {
        self.fields()
            .iter()
            .fold(0u64, |sum, (_, n)| sum.saturating_add(*n))
    }

    /// The field named `name`.
    fn get(&self, name: &str) -> Option<u64> {
        self.fields()
            .into_iter()
            .find(|(field, _)| *field == name)
            .map(|(_, n)| n)
    }
}

/// A struct of u64 counters, each the field of the same name of the kernel's value
/// `from` (a generated type: list it in the skeleton's `plain[...]`), or, written
/// `Name(u64) { field }`, the one counter of a u64 value. Derives what the reports need
/// (serde, schemars: the fields' doc comments are the JSON's documentation).
macro_rules! counters {
    (
        $(#[$meta:meta])*
        pub struct $name:ident from $kernel:ty {
            $( $(#[$field_meta:meta])* $field:ident ),+ $(,)?
        }
    ) => {
        $crate::kernel::counters::counters!(@struct $(#[$meta])* $name { $( $(#[$field_meta])* $field ),+ });
        impl $crate::kernel::counters::Counters for $name {
            type Kernel = $kernel;
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];
            fn from_kernel(value: &$kernel) -> Self {
                Self { $($field: value.$field),+ }
            }
            $crate::kernel::counters::counters!(@fields $($field),+);
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident(u64) { $(#[$field_meta:meta])* $field:ident $(,)? }
    ) => {
        $crate::kernel::counters::counters!(@struct $(#[$meta])* $name { $(#[$field_meta])* $field });
        impl $crate::kernel::counters::Counters for $name {
            type Kernel = u64;
            const FIELDS: &'static [&'static str] = &[stringify!($field)];
            fn from_kernel(value: &u64) -> Self {
                Self { $field: *value }
            }
            $crate::kernel::counters::counters!(@fields $field);
        }
    };
    (@struct $(#[$meta:meta])* $name:ident { $( $(#[$field_meta:meta])* $field:ident ),+ }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema,
        )]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: u64, )+
        }
    };
    (@fields $($field:ident),+) => {
        fn zip(&self, other: &Self, op: impl Fn(u64, u64) -> u64) -> Self {
            Self { $($field: op(self.$field, other.$field)),+ }
        }
        fn fields(&self) -> Vec<(&'static str, u64)> {
            vec![$((stringify!($field), self.$field)),+]
        }
    };
}

pub(crate) use counters;

counters! {
    /// The one counter of most per-key tools.
    pub struct Count(u64) {
        /// Calls counted
        count
    }
}

/// Sums of counters: the kernel's counts, one per CPU, summed.
pub fn sum<C: Counters>(values: impl IntoIterator<Item = C>) -> C {
    values.into_iter().fold(C::default(), |mut sum, value| {
        sum.add(&value);
        sum
    })
}

/// A per-CPU value, CPU by CPU (index = CPU number), as the tool's counters.
pub fn per_cpu<C: Counters>(map: &dyn MapCore, key: &[u8]) -> Result<Vec<C>> {
    Ok(per_cpu_values::<C::Kernel>(map, key)?
        .iter()
        .map(C::from_kernel)
        .collect())
}

/// A per-CPU value summed over the CPUs.
pub fn per_cpu_sum<C: Counters>(map: &dyn MapCore, key: &[u8]) -> Result<C> {
    Ok(sum(per_cpu::<C>(map, key)?))
}

/// A per-CPU value CPU by CPU, as the generated type (or integer) it is; an entry
/// that is not there is no CPU's.
pub fn per_cpu_values<T: plain::Plain + Default>(map: &dyn MapCore, key: &[u8]) -> Result<Vec<T>> {
    let per_cpu = map
        .lookup_percpu(key, MapFlags::ANY)
        .with_context(|| format!("cannot read map {}", map.name().to_string_lossy()))?
        .unwrap_or_default();
    Ok(per_cpu
        .iter()
        .filter_map(|bytes| maps::decode(bytes))
        .collect())
}

/// Every (key, counters summed over CPUs) of a per-CPU hash map.
pub fn per_cpu_hash_sums<C: Counters>(map: &dyn MapCore) -> Result<Vec<(Vec<u8>, C)>> {
    let mut entries = Vec::new();
    for key in map.keys() {
        // An entry deleted between keys() and lookup is simply skipped.
        if let Some(per_cpu) = map.lookup_percpu(&key, MapFlags::ANY).ok().flatten() {
            let values = per_cpu
                .iter()
                .filter_map(|bytes| maps::decode::<C::Kernel>(bytes));
            entries.push((key, sum(values.map(|value| C::from_kernel(&value)))));
        }
    }
    Ok(entries)
}

/// A per-CPU u64 slot (a PERCPU_SLOT of common.bpf.h holding one number) summed.
pub fn per_cpu_number(map: &dyn MapCore) -> Result<u64> {
    Ok(per_cpu_sum::<Count>(map, &0u32.to_ne_bytes())?.count)
}

/// A DRAINED_COUNTS map of a skeleton (common.bpf.h): the array that holds the map
/// being counted into, and its two maps, the first held at load.
pub struct Drained<'a> {
    holder: &'a dyn MapCore,
    maps: [&'a dyn MapCore; 2],
    current: usize,
}

impl<'a> Drained<'a> {
    pub fn new(holder: &'a dyn MapCore, first: &'a dyn MapCore, second: &'a dyn MapCore) -> Self {
        Self {
            holder,
            maps: [first, second],
            current: 0,
        }
    }

    /// The keys each map holds.
    pub fn capacity(&self) -> u32 {
        self.maps[0].max_entries()
    }

    /// Every (key, counters summed over CPUs) counted since the last drain, taken out of the
    /// kernel: the other map is put in the holder's slot first. That update returns
    /// once every program that could still count into the old map has ended (the
    /// kernel waits for them on a map-in-map update), so the old map is read and
    /// emptied while nothing writes to it.
    pub fn drain<C: Counters>(&mut self) -> Result<Vec<(Vec<u8>, C)>> {
        let full = self.maps[self.current];
        let next = 1 - self.current;
        let fd = self.maps[next].as_fd().as_raw_fd() as u32;
        self.holder
            .update(&0u32.to_ne_bytes(), &fd.to_ne_bytes(), MapFlags::ANY)
            .with_context(|| format!("cannot swap map {}", self.holder.name().to_string_lossy()))?;
        self.current = next;
        let entries = per_cpu_hash_sums::<C>(full)?;
        if !entries.is_empty() {
            let keys: Vec<u8> = entries
                .iter()
                .flat_map(|(key, _)| key.iter().copied())
                .collect();
            full.delete_batch(&keys, entries.len() as u32, MapFlags::ANY, MapFlags::ANY)
                .with_context(|| format!("cannot empty map {}", full.name().to_string_lossy()))?;
        }
        Ok(entries)
    }
}

/// A per-key counting tool's maps (skel.rs `counting()`): its DRAINED_COUNTS map and
/// its not_counted slot (bpf/common.bpf.h).
pub struct Counting<'a> {
    pub counts: Drained<'a>,
    pub not_counted: &'a dyn MapCore,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Clone, Copy)]
    #[repr(C)]
    pub struct Kernel {
        pub reads: u64,
        pub writes: u64,
    }

    // SAFETY: two u64s, no padding.
    unsafe impl plain::Plain for Kernel {}

    counters! {
        /// Test counters.
        pub struct Io from Kernel {
            /// Reads
            reads,
            /// Writes
            writes,
        }
    }

    #[test]
    fn the_cgroup_cache_holds_twice_the_keys_a_report_keeps() {
        assert_eq!(crate::model::cgroup::CACHE_ENTRIES, 2 * MAX_KEYS);
    }

    #[test]
    fn counters_sum_and_subtract_field_by_field_and_name_their_fields() {
        let cpus = [
            Io::from_kernel(&Kernel {
                reads: 1,
                writes: 10,
            }),
            Io::from_kernel(&Kernel {
                reads: 2,
                writes: 20,
            }),
        ];
        let total = sum(cpus);
        assert_eq!(
            total,
            Io {
                reads: 3,
                writes: 30
            }
        );
        assert_eq!(total.since(&cpus[0]), cpus[1]);
        assert_eq!(total.weight(), 33);
        assert_eq!(total.get("writes"), Some(30));
        assert_eq!(total.get("bytes"), None);
        assert_eq!(Io::FIELDS, ["reads", "writes"]);
        assert!(sum(std::iter::empty::<Io>()).is_zero());
        assert_eq!(Count::from_kernel(&7).count, 7);
    }
}
