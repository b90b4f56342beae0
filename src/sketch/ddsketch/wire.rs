//! The native wire body of a [`DDSketch`]: accuracy, bin limit, zero count, totals, and
//! each store's occupied key range as a first key and one count per key.

use super::{DDSketch, Store};
use crate::sketch::Totals;
use crate::wire::sealed::Body;
use crate::wire::{self, DecodeError, DecodeLimits, WireKind};

/// `|ln x|` for every normal finite `x` is below this: the key range of finite values.
const MAX_LN_MAGNITUDE: f64 = 710.0;

impl Store {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.collapsed));
        if self.count == 0 {
            wire::put_varint(out, 0);
            return;
        }
        let occupied = &self.bins
            [(self.min_key - self.offset) as usize..=(self.max_key - self.offset) as usize];
        wire::put_varint(out, occupied.len() as u64);
        wire::put_signed(out, i64::from(self.min_key));
        for &count in occupied {
            wire::put_varint(out, count);
        }
    }

    fn decode(
        input: &mut &[u8],
        max_bins: usize,
        key_bound: i64,
        limits: &DecodeLimits,
    ) -> Result<Store, DecodeError> {
        let collapsed = match wire::get_u8(input)? {
            0 => false,
            1 => true,
            _ => {
                return Err(DecodeError::OutOfRange {
                    what: "collapsed flag",
                });
            }
        };
        let len = wire::get_len(input, "bins", max_bins.min(limits.max_bins), 1)?;
        let mut store = Store::new(max_bins);
        store.collapsed = collapsed;
        if len == 0 {
            return Ok(store);
        }
        let min_key = wire::get_signed(input)?;
        if min_key < -key_bound || min_key > key_bound - (len as i64 - 1) {
            return Err(DecodeError::OutOfRange { what: "bin key" });
        }
        let mut bins = Vec::with_capacity(len);
        let mut total = 0u64;
        for _ in 0..len {
            let count = wire::get_varint(input)?;
            total = total.checked_add(count).ok_or(DecodeError::Inconsistent {
                what: "bin counts overflow",
            })?;
            bins.push(count);
        }
        if total == 0 {
            return Err(DecodeError::Inconsistent {
                what: "a bin range without counts",
            });
        }
        store.bins = bins;
        store.offset = min_key as i32;
        store.min_key = min_key as i32;
        store.max_key = (min_key + len as i64 - 1) as i32;
        store.count = total;
        Ok(store)
    }
}

impl Body for DDSketch {
    const KIND: WireKind = WireKind::DDSketch;
    /// accuracy 8, bins 1, zero count 1, totals 10, two stores of 2.
    const MIN_BODY_BYTES: usize = 24;

    fn encode_body(&self, out: &mut Vec<u8>) {
        wire::put_f64(out, self.relative_accuracy);
        wire::put_varint(out, self.positive.max_bins as u64);
        wire::put_varint(out, self.zero_count);
        self.totals.encode(out);
        self.positive.encode(out);
        self.negative.encode(out);
    }

    fn decode_body(input: &mut &[u8], limits: &DecodeLimits) -> Result<Self, DecodeError> {
        let accuracy = wire::get_f64(input)?;
        let max_bins = usize::try_from(wire::get_varint(input)?).unwrap_or(usize::MAX);
        let mut sketch = DDSketch::with_max_bins(accuracy, max_bins)?;
        let key_bound = (MAX_LN_MAGNITUDE * sketch.multiplier)
            .ceil()
            .min(f64::from(i32::MAX - 1)) as i64;
        let zero_count = wire::get_varint(input)?;
        let totals = Totals::decode(input)?;
        let positive = Store::decode(input, max_bins, key_bound, limits)?;
        let negative = Store::decode(input, max_bins, key_bound, limits)?;
        let stored = positive
            .count
            .checked_add(negative.count)
            .and_then(|c| c.checked_add(zero_count));
        if stored != Some(totals.count) {
            return Err(DecodeError::Inconsistent {
                what: "bin counts do not add up to the count",
            });
        }
        sketch.zero_count = zero_count;
        sketch.totals = totals;
        sketch.positive = positive;
        sketch.negative = negative;
        Ok(sketch)
    }
}
