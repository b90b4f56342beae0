//! Primitive fields: little-endian fixed-width numbers and LEB128 varints, read from a
//! shrinking slice so that every read is bounds-checked against what is left.

use super::DecodeError;

pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Writes many varints into a zeroed region sized for the worst case, then trims it:
/// indexed stores instead of a capacity check per byte, about twice as fast for the
/// hundreds of varints of a digest.
pub(crate) struct VarintWriter<'a> {
    out: &'a mut Vec<u8>,
    pos: usize,
}

impl<'a> VarintWriter<'a> {
    /// Room for `max_varints` varints of up to `max_bytes_each` bytes.
    pub(crate) fn new(out: &'a mut Vec<u8>, max_varints: usize, max_bytes_each: usize) -> Self {
        let pos = out.len();
        out.resize(pos + max_varints * max_bytes_each, 0);
        VarintWriter { out, pos }
    }

    #[inline(always)]
    pub(crate) fn put(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.out[self.pos] = value as u8 | 0x80;
            self.pos += 1;
            value >>= 7;
        }
        self.out[self.pos] = value as u8;
        self.pos += 1;
    }
}

impl Drop for VarintWriter<'_> {
    fn drop(&mut self) {
        self.out.truncate(self.pos);
    }
}

/// Zig-zag: small magnitudes of either sign become small unsigned numbers.
pub(crate) fn put_signed(out: &mut Vec<u8>, value: i64) {
    put_varint(out, ((value << 1) ^ (value >> 63)) as u64);
}

pub(crate) fn put_f64(out: &mut Vec<u8>, value: f64) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub(crate) fn put_str(out: &mut Vec<u8>, value: &str) {
    put_varint(out, value.len() as u64);
    out.extend_from_slice(value.as_bytes());
}

pub(crate) fn take<'a>(input: &mut &'a [u8], len: usize) -> Result<&'a [u8], DecodeError> {
    if input.len() < len {
        return Err(DecodeError::Truncated {
            needed: len,
            remaining: input.len(),
        });
    }
    let (head, rest) = input.split_at(len);
    *input = rest;
    Ok(head)
}

pub(crate) fn get_u8(input: &mut &[u8]) -> Result<u8, DecodeError> {
    Ok(take(input, 1)?[0])
}

pub(crate) fn get_f64(input: &mut &[u8]) -> Result<f64, DecodeError> {
    let bytes = take(input, 8)?;
    Ok(f64::from_le_bytes(bytes.try_into().expect("8 bytes")))
}

/// A finite `f64`, or an error naming `what`.
pub(crate) fn get_finite(input: &mut &[u8], what: &'static str) -> Result<f64, DecodeError> {
    let value = get_f64(input)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(DecodeError::NonFinite { what })
    }
}

pub(crate) fn get_varint(input: &mut &[u8]) -> Result<u64, DecodeError> {
    let mut varints = Varints::new(input);
    let value = varints.next()?;
    varints.finish(input);
    Ok(value)
}

/// Reads many varints in a row from an index into the input rather than a shrinking
/// slice: the loops that read hundreds of them run markedly faster.
pub(crate) struct Varints<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Varints<'a> {
    pub(crate) fn new(input: &&'a [u8]) -> Self {
        Varints {
            bytes: input,
            pos: 0,
        }
    }

    #[inline(always)]
    pub(crate) fn next(&mut self) -> Result<u64, DecodeError> {
        let start = self.pos;
        varint_at(self.bytes, &mut self.pos).ok_or_else(|| {
            let read = self.pos - start;
            if self.pos >= self.bytes.len() && read < 10 {
                DecodeError::Truncated {
                    needed: read + 1,
                    remaining: read,
                }
            } else {
                DecodeError::OutOfRange { what: "varint" }
            }
        })
    }

    /// Leaves `input` after the varints read.
    pub(crate) fn finish(self, input: &mut &'a [u8]) {
        *input = &self.bytes[self.pos..];
    }
}

/// The varint at `bytes[*pos..]`, advancing `pos` past it; `None` when the input ends
/// first (then `pos` is the input's length) or the value overflows a u64.
#[inline(always)]
fn varint_at(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            // The tenth byte may only carry the top bit of a u64.
            return (shift < 63 || byte <= 1).then_some(value);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

pub(crate) fn get_signed(input: &mut &[u8]) -> Result<i64, DecodeError> {
    let raw = get_varint(input)?;
    Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
}

/// A length prefix, refused before anything is allocated when it exceeds `max` or
/// when the rest of the input cannot hold `len` items of at least `min_item_bytes`.
pub(crate) fn get_len(
    input: &mut &[u8],
    what: &'static str,
    max: usize,
    min_item_bytes: usize,
) -> Result<usize, DecodeError> {
    let len = get_varint(input)?;
    let fits = input.len() / min_item_bytes.max(1);
    let bound = max.min(fits);
    if len > bound as u64 {
        return Err(DecodeError::TooLarge {
            what,
            len,
            max: bound as u64,
        });
    }
    Ok(len as usize)
}

pub(crate) fn get_str<'a>(
    input: &mut &'a [u8],
    what: &'static str,
    max: usize,
) -> Result<&'a str, DecodeError> {
    let len = get_len(input, what, max, 1)?;
    std::str::from_utf8(take(input, len)?).map_err(|_| DecodeError::OutOfRange { what })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            let mut input = &out[..];
            assert_eq!(get_varint(&mut input), Ok(value));
            assert!(input.is_empty());
        }
        for value in [0, -1, 1, i64::MIN, i64::MAX, -300] {
            let mut out = Vec::new();
            put_signed(&mut out, value);
            assert_eq!(get_signed(&mut &out[..]), Ok(value));
        }
    }

    #[test]
    fn overlong_and_truncated_varints_are_refused() {
        let overlong = [0xff; 10];
        assert!(matches!(
            get_varint(&mut &overlong[..]),
            Err(DecodeError::OutOfRange { .. })
        ));
        let truncated = [0x80, 0x80];
        assert!(matches!(
            get_varint(&mut &truncated[..]),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn lengths_are_bounded_by_the_input_and_the_limit() {
        let mut out = Vec::new();
        put_varint(&mut out, 1_000_000);
        out.extend_from_slice(&[0; 16]);
        let err = get_len(&mut &out[..], "items", usize::MAX, 8).unwrap_err();
        assert_eq!(
            err,
            DecodeError::TooLarge {
                what: "items",
                len: 1_000_000,
                max: 2
            }
        );
    }
}
