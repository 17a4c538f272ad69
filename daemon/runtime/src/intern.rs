//! Point ids interned for the pipeline's router: each point gets a small index once, and a
//! reading's point is found by the address of its `Arc<str>` (drivers make one per point and
//! reuse it for every reading), so the hot path hashes a pointer instead of a string and
//! allocates nothing. A whole batch is looked up at once: a device cycle carries the same `Arc`s
//! in the same order every time, so its indexes are remembered by its first reading's address
//! and checked, not hashed, reading by reading.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use driftvakt_domain::Reading;

/// Hashes a pointer-sized key by one multiplication (the keys are addresses, already unique).
#[derive(Debug, Default)]
pub struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_usize(&mut self, n: usize) {
        // Fibonacci hashing; the high bits (which hashbrown uses) depend on every input bit.
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(26);
    }
}

/// A map keyed by address.
type ByAddress = HashMap<usize, u32, BuildHasherDefault<AddressHasher>>;

/// Most addresses remembered per point before the address map is rebuilt (a driver that made a
/// new `Arc` per reading would otherwise grow it without bound).
const ADDRESSES_PER_POINT: usize = 4;

/// Point ids and their indexes, in the order first seen.
#[derive(Debug, Default)]
pub struct PointIndex {
    ids: Vec<Arc<str>>,
    by_name: HashMap<Arc<str>, u32>,
    by_address: ByAddress,
    /// Keeps every address in `by_address` allocated, so none can be reused by another id.
    held: Vec<Arc<str>>,
    /// Per batch shape, by its first reading's address: every reading's (address, index).
    shapes: HashMap<usize, Vec<(usize, u32)>, BuildHasherDefault<AddressHasher>>,
}

fn address(point: &Arc<str>) -> usize {
    Arc::as_ptr(point).cast::<u8>() as usize
}

impl PointIndex {
    /// An index of `ids` (0, 1, … in this order; duplicates keep their first index).
    pub fn new<'a>(ids: impl IntoIterator<Item = &'a str>) -> PointIndex {
        let mut index = PointIndex::default();
        for id in ids {
            index.intern(id);
        }
        index
    }

    /// The index of `id`, giving it the next one if it is new.
    pub fn intern(&mut self, id: &str) -> u32 {
        self.by_text(id)
    }

    /// The index of `point`, giving it the next one if it is new.
    pub fn get(&mut self, point: &Arc<str>) -> u32 {
        let address = address(point);
        if let Some(&i) = self.by_address.get(&address) {
            return i;
        }
        let i = self.by_text(point);
        if self.held.len() >= ADDRESSES_PER_POINT * self.ids.len().max(16) {
            self.by_address.clear();
            self.held.clear();
            self.shapes.clear();
        }
        self.by_address.insert(address, i);
        self.held.push(point.clone());
        i
    }

    /// Each reading's point index, into `out` (cleared first).
    pub fn get_all(&mut self, batch: &[Reading], out: &mut Vec<u32>) {
        out.clear();
        let Some(first) = batch.first() else { return };
        let key = address(&first.point);
        if let Some(shape) = self.shapes.get(&key)
            && shape.len() == batch.len()
            && shape.iter().zip(batch).all(|((a, _), r)| *a == address(&r.point))
        {
            out.extend(shape.iter().map(|&(_, i)| i));
            return;
        }
        for r in batch {
            let i = self.get(&r.point);
            out.push(i);
        }
        // Every address here is held by `get` (a reset there happened before these were added).
        let shape = batch.iter().zip(out.iter()).map(|(r, &i)| (address(&r.point), i)).collect();
        self.shapes.insert(address(&first.point), shape);
    }

    /// The index of `id` if it is known (no allocation).
    pub fn find(&self, id: &str) -> Option<u32> {
        self.by_name.get(id).copied()
    }

    /// The id with index `i`.
    pub fn id(&self, i: u32) -> &Arc<str> {
        &self.ids[i as usize]
    }

    /// How many ids are known.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no id is known.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn by_text(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.by_name.get(id) {
            return i;
        }
        let i = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        let id: Arc<str> = Arc::from(id);
        self.ids.push(id.clone());
        self.by_name.insert(id, i);
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_id_has_one_index_whichever_arc_carries_it() {
        let mut index = PointIndex::new(["a.x", "a.y"]);
        let (x1, x2): (Arc<str>, Arc<str>) = (Arc::from("a.x"), Arc::from("a.x"));
        assert_eq!(index.get(&x1), 0);
        assert_eq!(index.get(&x2), 0);
        assert_eq!(index.get(&x1), 0);
        assert_eq!(index.get(&Arc::from("b.z")), 2);
        assert_eq!(index.find("a.y"), Some(1));
        assert_eq!(index.find("nope"), None);
        assert_eq!(&**index.id(2), "b.z");
    }

    #[test]
    fn a_batch_gets_the_same_indexes_from_its_remembered_shape_and_from_a_new_one() {
        let mut index = PointIndex::new(["a.x", "a.y"]);
        let r = |p: &Arc<str>| Reading { point: p.clone(), time_ms: 0, value: None, quality: driftvakt_domain::Quality::Good };
        let (x, y, z): (Arc<str>, Arc<str>, Arc<str>) = (Arc::from("a.x"), Arc::from("a.y"), Arc::from("a.z"));
        let mut out = Vec::new();
        for _ in 0..2 {
            index.get_all(&[r(&x), r(&y)], &mut out);
            assert_eq!(out, [0, 1]);
        }
        index.get_all(&[r(&x), r(&z)], &mut out);
        assert_eq!(out, [0, 2]);
        index.get_all(&[r(&x)], &mut out);
        assert_eq!(out, [0]);
        index.get_all(&[], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn fresh_arcs_per_reading_do_not_grow_the_address_map_without_bound() {
        let mut index = PointIndex::new(["a.x"]);
        for _ in 0..10_000 {
            assert_eq!(index.get(&Arc::from("a.x")), 0);
        }
        assert!(index.held.len() <= ADDRESSES_PER_POINT * 16);
    }
}
