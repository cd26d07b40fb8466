//! Map keys and values as the generated types they are, histogram slots summed over
//! CPUs, and ranking rows (typed counters: counters.rs).

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;

/// A per-CPU array of u64 slots (a log2 histogram) summed slot by slot over the CPUs.
pub fn percpu_slots(map: &dyn MapCore, key: &[u8]) -> Result<Vec<u64>> {
    let per_cpu = map
        .lookup_percpu(key, MapFlags::ANY)
        .with_context(|| format!("cannot read map {}", map.name().to_string_lossy()))?
        .unwrap_or_default();
    let mut sums: Vec<u64> = Vec::new();
    for slots in per_cpu.iter().map(|value| u64s(value)) {
        if sums.len() < slots.len() {
            sums.resize(slots.len(), 0);
        }
        for (sum, n) in sums.iter_mut().zip(slots) {
            *sum = sum.wrapping_add(n);
        }
    }
    Ok(sums)
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

    #[test]
    fn top_n_sorts_by_weight_then_key() {
        let rows = vec![("b", 5u64), ("a", 5), ("c", 9), ("d", 1)];
        let top = top_n(rows, 3, |&(name, n)| (n, name));
        assert_eq!(top, vec![("c", 9), ("a", 5), ("b", 5)]);
    }
}
