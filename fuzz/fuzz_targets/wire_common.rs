//! Shared by the wire decoder targets: an allocator that records the peak of live heap
//! bytes, so each target can check that decoding never allocates beyond what its
//! `DecodeLimits` allow, and the round-trip check for valid sketches.

// Each target includes this file and uses part of it.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

use mimalloc::MiMalloc;
use slo_router::sketch::QuantileSketch;
use slo_router::wire::{DecodeLimits, WireFormat};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// MiMalloc, counting live bytes.
pub struct PeakTracking;

// SAFETY: every call forwards to MiMalloc with the caller's arguments unchanged; the
// counters are only bookkeeping and never affect what is returned.
unsafe impl GlobalAlloc for PeakTracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        let ptr = unsafe { MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; `ptr` came from this allocator with `layout`.
        unsafe { MiMalloc.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `realloc`'s contract.
        let new = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // Counted as a fresh block beside the old one: a copying realloc holds both.
            grow(new_size);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        new
    }
}

fn grow(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Runs `f` and returns its result with the most heap bytes it held at once.
pub fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let result = f();
    (result, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// Small limits, so the bound each target checks is tight and runs stay fast.
pub const LIMITS: DecodeLimits = DecodeLimits {
    max_centroids: 2048,
    max_bins: 2048,
    max_hdr_counts: 1 << 16,
    max_entries: 16,
    max_name_bytes: 64,
    max_inflated_bytes: 1 << 20,
};

/// `decode(encode(x))` answers every query as `x` does and re-encodes to the same bytes.
pub fn assert_round_trip<S: QuantileSketch + WireFormat>(x: &S) {
    let bytes = x.encode();
    let back = S::decode(&bytes).expect("a valid sketch decodes");
    assert_same_answers(x, &back);
    assert_eq!(back.encode(), bytes);
}

pub fn assert_same_answers<S: QuantileSketch>(a: &S, b: &S) {
    assert_eq!(a.count(), b.count());
    assert_eq!(a.rejected(), b.rejected());
    assert_eq!(a.min(), b.min());
    assert_eq!(a.max(), b.max());
    assert_eq!(a.sum().to_bits(), b.sum().to_bits());
    for q in [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
        assert_eq!(
            a.quantile(q).map(f64::to_bits),
            b.quantile(q).map(f64::to_bits)
        );
    }
}

/// Latency-like values from the input: two bytes each, scaled across six decades.
pub fn latencies(data: &[u8]) -> impl Iterator<Item = f64> + '_ {
    data.chunks_exact(2).map(|pair| {
        let raw = u16::from_le_bytes([pair[0], pair[1]]);
        f64::from(raw & 0x0fff) * 10f64.powi(i32::from(raw >> 12) % 7 - 3)
    })
}

/// Any value decoded from arbitrary bytes must answer sanely.
pub fn assert_sane<S: QuantileSketch>(s: &S) {
    for q in [0.0, 0.5, 0.99, 1.0] {
        match s.quantile(q) {
            Some(v) => assert!(!v.is_nan() && s.count() > 0),
            None => assert_eq!(s.count(), 0),
        }
    }
}
