//! Drives random engine operations in manual mode: register, remove, record with any
//! duration or millisecond value, tick with any time step (backwards included), flush,
//! read. Checks that nothing panics and every offered sample is accounted for.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mimalloc::MiMalloc;
use slo_router::engine::Engine;
use slo_router::target::TargetId;
use slo_router::window::{LatencyKind, ManualClock, Timestamp};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn word(bytes: &mut &[u8]) -> Option<u64> {
    let chunk = bytes.get(..8)?;
    *bytes = &bytes[8..];
    Some(u64::from_le_bytes(chunk.try_into().ok()?))
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = data;
    let clock = ManualClock::default();
    let engine = Engine::builder()
        .manual(clock)
        .queue_capacity(64)
        .max_targets(16)
        .build()
        .expect("valid settings");
    let mut recorder = engine.recorder();
    let mut reader = engine.reader();
    let mut targets: Vec<TargetId> = Vec::new();
    let mut offered = 0u64;
    let mut now = 0u64;
    while let (Some(&op), Some(arg)) = (bytes.first(), {
        bytes = bytes.get(1..).unwrap_or_default();
        word(&mut bytes)
    }) {
        let pick = |targets: &[TargetId]| {
            targets
                .get(arg as usize % targets.len().max(1))
                .copied()
                .unwrap_or(TargetId::from_index((arg % 64) as u32))
        };
        let kind = LatencyKind::ALL[(arg >> 60) as usize % 4];
        match op % 8 {
            0 => {
                if let Ok(id) = engine.register_target(&format!("t{}", arg % 24)) {
                    if !targets.contains(&id) {
                        targets.push(id);
                    }
                }
            }
            1 => {
                let id = pick(&targets);
                engine.remove_target(id);
                targets.retain(|&t| t != id);
            }
            2 | 3 => {
                recorder.record(pick(&targets), kind, Duration::from_nanos(arg));
                offered += 1;
            }
            4 => {
                let _ = recorder.record_ms(pick(&targets), kind, f64::from_bits(arg));
                offered += 1;
            }
            5 => {
                // Any step, backwards included (the clock ignores going back).
                let step = (arg as i64 >> 20) as i128;
                let target = (i128::from(now) + step).clamp(0, i128::from(u64::MAX >> 1));
                now = target as u64;
                engine
                    .tick(Timestamp::from_nanos(now))
                    .expect("manual engine");
            }
            6 => engine.flush().expect("running engine"),
            _ => {
                let snapshot = reader.snapshot();
                for &t in &targets {
                    if let Some(o) = snapshot.observation(t, kind) {
                        assert!(o.count > 0);
                        assert!(o.p50 <= o.p95 && o.p95 <= o.p99, "{o:?}");
                    }
                }
            }
        }
        assert_eq!(engine.stats().recorded, offered);
    }
    engine.flush().expect("running engine");
    let stats = engine.stats();
    assert_eq!(stats.queued, 0);
    assert_eq!(stats.merged + stats.refused + stats.dropped, offered);
    engine.shutdown().expect("running engine");
});
