//! The data plane against its peers: record cost on one and two threads, snapshot
//! reads, one publish for 1,000 keys, and recorders plus merger end to end.
//!
//! ```text
//! cargo bench --bench engine
//! ```
//!
//! Recording threads are pinned to distinct cores with `core_affinity`. For the
//! record-only numbers the engine runs in manual mode (no merger competing for the
//! two cores); draining happens between measurements.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mimalloc::MiMalloc;
use slo_router::engine::Engine;
use slo_router::sketch::{QuantileSketch, TDigest};
use slo_router::target::TargetId;
use slo_router::window::{LatencyKind, ManualClock, Timestamp};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const BATCH: u64 = 1 << 20;

fn latency(i: u64) -> Duration {
    Duration::from_micros(1000 + (i * 7919) % 100_000)
}

/// Runs `work(thread_index)` on `threads` pinned threads at once and returns the wall
/// time from the common start to the last finish.
fn on_threads(threads: usize, work: impl Fn(usize) + Sync) -> Duration {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (barrier, work, core) = (&barrier, &work, cores.get(t).copied());
            scope.spawn(move || {
                if let Some(core) = core {
                    core_affinity::set_for_current(core);
                }
                barrier.wait();
                work(t);
            });
        }
        barrier.wait();
        let start = Instant::now();
        // Scope end joins every thread.
        start
    })
    .elapsed()
}

fn record(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements(BATCH * threads as u64));
        let engine = Engine::builder()
            .manual(ManualClock::default())
            .queue_capacity(1 << 24)
            .build()
            .expect("valid");
        let target = engine.register_target("dc-east").expect("valid");
        let mut tick = 0;
        group.bench_function(format!("slo_router::Recorder/{threads} threads"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let mut recorders: Vec<_> = (0..threads).map(|_| engine.recorder()).collect();
                    let recorders: Vec<_> = recorders.drain(..).map(Mutex::new).collect();
                    total += on_threads(threads, |t| {
                        let mut recorder = recorders[t].lock().expect("one user");
                        for i in 0..BATCH {
                            recorder.record(target, LatencyKind::Dispatch, latency(i));
                        }
                    });
                    drop(recorders);
                    tick += 1;
                    engine.tick(Timestamp::from_nanos(tick)).expect("manual");
                }
                total
            })
        });
        let shared = Mutex::new(TDigest::default());
        group.bench_function(format!("Mutex<TDigest>/{threads} threads"), |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| {
                        on_threads(threads, |_| {
                            for i in 0..BATCH {
                                let ms = latency(i).as_secs_f64() * 1e3;
                                shared.lock().expect("not poisoned").add(ms);
                            }
                        })
                    })
                    .sum()
            })
        });
        let mut sync = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)
            .expect("valid")
            .into_sync();
        group.bench_function(
            format!("hdrhistogram::sync::Recorder/{threads} threads"),
            |b| {
                b.iter_custom(|iterations| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        let recorders: Vec<_> =
                            (0..threads).map(|_| Mutex::new(sync.recorder())).collect();
                        total += on_threads(threads, |t| {
                            let mut recorder = recorders[t].lock().expect("one user");
                            for i in 0..BATCH {
                                let _ = recorder.record(latency(i).as_micros() as u64);
                            }
                        });
                        drop(recorders);
                        sync.refresh();
                    }
                    total
                })
            },
        );
        let counter = AtomicU64::new(0);
        group.bench_function(format!("AtomicU64::fetch_add/{threads} threads"), |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| {
                        on_threads(threads, |_| {
                            for i in 0..BATCH {
                                counter.fetch_add(latency(i).as_micros() as u64, Ordering::Relaxed);
                            }
                        })
                    })
                    .sum()
            })
        });
    }
    group.finish();
}

fn read(c: &mut Criterion) {
    let engine = Engine::builder()
        .manual(ManualClock::default())
        .build()
        .expect("valid");
    let target = engine.register_target("dc-east").expect("valid");
    let mut recorder = engine.recorder();
    for i in 0..10_000 {
        recorder.record(target, LatencyKind::Response, latency(i));
    }
    engine.tick(Timestamp::from_nanos(1)).expect("manual");
    let mut reader = engine.reader();
    c.bench_function("snapshot + observation read", |b| {
        b.iter(|| {
            let snapshot = reader.snapshot();
            black_box(
                snapshot
                    .observation(black_box(target), LatencyKind::Response)
                    .map(|o| o.p95),
            )
        })
    });
}

fn publish(c: &mut Criterion) {
    let mut group = c.benchmark_group("publish");
    group.sample_size(20);
    for per_key in [10u64, 100] {
        let engine = Engine::builder()
            .manual(ManualClock::default())
            .queue_capacity(1 << 20)
            .build()
            .expect("valid");
        let targets: Vec<TargetId> = (0..1000)
            .map(|i| {
                engine
                    .register_target(&format!("target-{i}"))
                    .expect("valid")
            })
            .collect();
        let mut recorder = engine.recorder();
        let mut tick = 0;
        group.bench_function(format!("1000 keys, {per_key} new samples each"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    for i in 0..per_key {
                        for &t in &targets {
                            let l = latency(i + t.index() as u64);
                            recorder.record(t, LatencyKind::Response, l);
                        }
                    }
                    tick += 1_000_000;
                    let start = Instant::now();
                    engine.tick(Timestamp::from_nanos(tick)).expect("manual");
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

/// Two recorder threads paced to a total rate, the merger thread running: how many
/// samples arrive, and whether any are dropped. Each run records for half a second in
/// bursts of 10,000 samples per thread; the reported time is the wall time until the
/// final flush has published everything.
fn end_to_end(c: &mut Criterion) {
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(10);
    for total_rate in [10_000_000u64, 20_000_000, 40_000_000] {
        let per_thread = total_rate / 4; // half a second on each of two threads
        group.throughput(Throughput::Elements(2 * per_thread));
        let name = format!(
            "2 recorders at {} M/s total + merger",
            total_rate / 1_000_000
        );
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                let mut dropped = 0;
                for _ in 0..iterations {
                    let engine = Engine::builder().build().expect("valid");
                    let targets: Vec<TargetId> = (0..8)
                        .map(|i| engine.register_target(&format!("t{i}")).expect("valid"))
                        .collect();
                    let recorders: Vec<_> = (0..2).map(|_| Mutex::new(engine.recorder())).collect();
                    let burst = 10_000u64;
                    let burst_period =
                        Duration::from_secs_f64(burst as f64 * 2.0 / total_rate as f64);
                    let start = Instant::now();
                    on_threads(2, |t| {
                        let mut recorder = recorders[t].lock().expect("one user");
                        let begin = Instant::now();
                        for burst_index in 0..per_thread / burst {
                            for i in burst_index * burst..(burst_index + 1) * burst {
                                let target = targets[(i % 8) as usize];
                                recorder.record(target, LatencyKind::EndToEnd, latency(i));
                            }
                            let due = begin + burst_period * (burst_index as u32 + 1);
                            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                std::thread::sleep(wait);
                            }
                        }
                    });
                    engine.flush().expect("running");
                    total += start.elapsed();
                    let stats = engine.stats();
                    assert_eq!(stats.recorded, 2 * per_thread);
                    dropped += stats.dropped;
                    drop(recorders);
                    engine.shutdown().expect("running");
                }
                eprintln!(
                    "end to end at {} M/s: {} of {} samples dropped",
                    total_rate / 1_000_000,
                    dropped,
                    iterations * 2 * per_thread
                );
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, record, read, publish, end_to_end);
criterion_main!(benches);
