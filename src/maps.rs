//! Reading counters out of BPF maps: hash, per-CPU (summed across CPUs) and array maps.
//! Values are treated as arrays of u64 counters, which every aggregating tool uses.

use std::collections::HashMap;
use std::hash::Hash;

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

/// Counter-wise sum of several values (one per CPU, say), each a list of counters.
pub fn sum_counters(values: impl IntoIterator<Item = Vec<u64>>) -> Vec<u64> {
    let mut sums: Vec<u64> = Vec::new();
    for counters in values {
        if sums.len() < counters.len() {
            sums.resize(counters.len(), 0);
        }
        for (sum, counter) in sums.iter_mut().zip(counters) {
            *sum = sum.wrapping_add(counter);
        }
    }
    sums
}

/// Reads a byte buffer as native-endian u64s (a trailing partial word is ignored).
pub fn u64s(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|chunk| u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8])))
        .collect()
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

/// Turns cumulative kernel counters into per-interval ones. The kernel never resets
/// its maps (a read-then-delete would lose what lands in between); user space keeps the
/// previous reading per key and subtracts.
#[derive(Debug)]
pub struct IntervalDeltas<K> {
    previous: HashMap<K, Vec<u64>>,
}

impl<K> Default for IntervalDeltas<K> {
    fn default() -> Self {
        Self {
            previous: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone> IntervalDeltas<K> {
    /// The increase of each key since the last call; keys that did not move are left out.
    pub fn advance(&mut self, current: Vec<(K, Vec<u64>)>) -> Vec<(K, Vec<u64>)> {
        let mut moved = self.advance_all(current);
        moved.retain(|(_, delta)| delta.iter().any(|&d| d != 0));
        moved
    }

    /// The increase of every key since the last call, zeros included.
    pub fn advance_all(&mut self, current: Vec<(K, Vec<u64>)>) -> Vec<(K, Vec<u64>)> {
        let mut deltas = Vec::with_capacity(current.len());
        for (key, counters) in current {
            let before = self.previous.get(&key);
            let delta: Vec<u64> = counters
                .iter()
                .enumerate()
                .map(|(i, now)| {
                    now.wrapping_sub(before.and_then(|b| b.get(i)).copied().unwrap_or(0))
                })
                .collect();
            deltas.push((key.clone(), delta));
            self.previous.insert(key, counters);
        }
        deltas
    }
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
    fn interval_deltas_subtract_the_previous_reading() {
        let mut deltas = IntervalDeltas::default();
        let first = deltas.advance(vec![("a", vec![1, 10]), ("b", vec![5, 5])]);
        assert_eq!(first, vec![("a", vec![1, 10]), ("b", vec![5, 5])]);
        let second = deltas.advance(vec![
            ("a", vec![3, 10]),
            ("b", vec![5, 5]),
            ("c", vec![1, 1]),
        ]);
        assert_eq!(second, vec![("a", vec![2, 0]), ("c", vec![1, 1])]);
    }

    #[test]
    fn advance_all_keeps_keys_that_did_not_move() {
        let mut deltas = IntervalDeltas::default();
        deltas.advance_all(vec![("a", vec![4, 4])]);
        assert_eq!(
            deltas.advance_all(vec![("a", vec![4, 6])]),
            vec![("a", vec![0, 2])]
        );
        assert_eq!(
            deltas.advance_all(vec![("a", vec![4, 6])]),
            vec![("a", vec![0, 0])]
        );
    }

    #[test]
    fn top_n_sorts_by_weight_then_key() {
        let rows = vec![("b", 5u64), ("a", 5), ("c", 9), ("d", 1)];
        let top = top_n(rows, 3, |&(name, n)| (n, name));
        assert_eq!(top, vec![("c", 9), ("a", 5), ("b", 5)]);
    }
}
