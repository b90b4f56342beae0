//! `serde` support: every [`WireFormat`] type serializes as its wire encoding (bytes),
//! so any serde format carries exactly what the binary format does, validated the same
//! way on the way in.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

use super::sealed::Body;
use super::{NodeSummary, WireFormat};
use crate::sketch::{DDSketch, HdrSketch, QuantileSketch, TDigest};

struct EncodedVisitor<T>(PhantomData<T>);

impl<'de, T: WireFormat> Visitor<'de> for EncodedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes of the slo-router wire format")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<T, E> {
        T::decode(bytes).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        // Formats without a bytes type (JSON) carry bytes as a sequence of numbers; the
        // size hint is not trusted for the allocation.
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        T::decode(&bytes).map_err(de::Error::custom)
    }
}

macro_rules! serde_as_wire_bytes {
    ($($ty:ty),* $(,)?) => {$(
        impl Serialize for $ty {
            fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
                serializer.serialize_bytes(&self.encode())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_bytes(EncodedVisitor(PhantomData))
            }
        }
    )*};
}

serde_as_wire_bytes!(TDigest, DDSketch, HdrSketch);

impl<S: QuantileSketch + Body> Serialize for NodeSummary<S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serializer.serialize_bytes(&self.encode())
    }
}

impl<'de, S: QuantileSketch + Body> Deserialize<'de> for NodeSummary<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(EncodedVisitor(PhantomData))
    }
}
