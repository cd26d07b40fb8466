//! Reading counters out of BPF maps: hash, per-CPU (summed across CPUs) and array maps.
//! Values are treated as arrays of u64 counters, which every aggregating tool uses.

use std::os::fd::AsRawFd;

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;

/// Sums a per-CPU value, counter by counter (the value is a struct of u64 counters).
pub fn percpu_sum_u64s(map: &dyn MapCore, key: &[u8]) -> Result<Vec<u64>> {
    Ok(sum_counters(percpu_u64s(map, key)?))
}

/// A per-CPU value CPU by CPU (index = CPU number), each as its u64 counters.
pub fn percpu_u64s(map: &dyn MapCore, key: &[u8]) -> Result<Vec<Vec<u64>>> {
    let per_cpu = map
        .lookup_percpu(key, MapFlags::ANY)
        .with_context(|| format!("cannot read map {}", map.name().to_string_lossy()))?
        .unwrap_or_default();
    Ok(per_cpu.iter().map(|value| u64s(value)).collect())
}

/// Every (key, summed counters) of a per-CPU hash map.
pub fn percpu_hash_sums(map: &dyn MapCore) -> Result<Vec<(Vec<u8>, Vec<u64>)>> {
    let mut entries = Vec::new();
    for key in map.keys() {
        // An entry deleted between keys() and lookup is simply skipped.
        if let Some(per_cpu) = map.lookup_percpu(&key, MapFlags::ANY).ok().flatten() {
            entries.push((key, sum_counters(per_cpu.iter().map(|value| u64s(value)))));
        }
    }
    Ok(entries)
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

    /// Every (key, summed counters) counted since the last drain, taken out of the
    /// kernel: the other map is put in the holder's slot first. That update returns
    /// once every program that could still count into the old map has ended (the
    /// kernel waits for them on a map-in-map update), so the old map is read and
    /// emptied while nothing writes to it.
    pub fn drain(&mut self) -> Result<Vec<(Vec<u8>, Vec<u64>)>> {
        let full = self.maps[self.current];
        let next = 1 - self.current;
        let fd = self.maps[next].as_fd().as_raw_fd() as u32;
        self.holder
            .update(&0u32.to_ne_bytes(), &fd.to_ne_bytes(), MapFlags::ANY)
            .with_context(|| format!("cannot swap map {}", self.holder.name().to_string_lossy()))?;
        self.current = next;
        let entries = percpu_hash_sums(full)?;
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

/// The events a program could not count so far (its `not_counted` slot, common.bpf.h),
/// summed over CPUs.
pub fn not_counted(map: &dyn MapCore) -> Result<u64> {
    Ok(percpu_sum_u64s(map, &0u32.to_ne_bytes())?
        .first()
        .copied()
        .unwrap_or(0))
}

/// Counter-wise sum of several values (one per CPU, say), each a list of counters.
pub fn sum_counters(values: impl IntoIterator<Item = Vec<u64>>) -> Vec<u64> {
    let mut sums: Vec<u64> = Vec::new();
    for counters in values {
        add_counters(&mut sums, &counters);
    }
    sums
}

/// Adds `counters` to `sums`, counter by counter (`sums` grows to their length).
pub fn add_counters(sums: &mut Vec<u64>, counters: &[u64]) {
    if sums.len() < counters.len() {
        sums.resize(counters.len(), 0);
    }
    for (sum, counter) in sums.iter_mut().zip(counters) {
        *sum = sum.wrapping_add(*counter);
    }
}

/// Reads a byte buffer as native-endian u64s (a trailing partial word is ignored).
pub fn u64s(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|chunk| u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8])))
        .collect()
}

/// A generated type's bytes, as a map key or value. The type must have no padding (its
/// bytes would be undefined, and in a key they would count).
pub fn bytes_of<T: plain::Plain>(value: &T) -> &[u8] {
    // SAFETY: a Plain type (generated from the BPF object's BTF) is plain bytes; the
    // caller's types have no padding.
    unsafe { plain::as_bytes(value) }
}

/// A map key or value as the generated type (or integer) it is; None when the bytes
/// are too few.
pub fn decode<T: plain::Plain + Default>(bytes: &[u8]) -> Option<T> {
    let mut value = T::default();
    plain::copy_from_bytes(&mut value, bytes).ok()?;
    Some(value)
}

/// Sorts by `weight` descending (ties by key, for stable output) and keeps `limit`.
pub fn top_n<T, K: Ord>(mut rows: Vec<T>, limit: usize, weight: impl Fn(&T) -> (u64, K)) -> Vec<T> {
    rows.sort_by(|a, b| {
        let (wa, ka) = weight(a);
        let (wb, kb) = weight(b);
        wb.cmp(&wa).then(ka.cmp(&kb))
    });
    rows.truncate(limit);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(words: &[u64]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    #[test]
    fn per_cpu_values_sum_counter_by_counter() {
        // Values as the kernel hands them over: bytes, one per CPU.
        let cpu0 = u64s(&bytes(&[1, 10, 100]));
        let cpu1 = u64s(&bytes(&[2, 20, 200]));
        assert_eq!(sum_counters([cpu0, cpu1]), vec![3, 30, 300]);
        assert!(sum_counters(std::iter::empty()).is_empty());
    }

    #[test]
    fn top_n_sorts_by_weight_then_key() {
        let rows = vec![("b", 5u64), ("a", 5), ("c", 9), ("d", 1)];
        let top = top_n(rows, 3, |&(name, n)| (n, name));
        assert_eq!(top, vec![("c", 9), ("a", 5), ("b", 5)]);
    }
}
