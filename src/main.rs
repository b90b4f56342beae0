//! The `slo-router` command-line tool.

use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

mod report;

fn main() {
    report::accuracy_report(1_000_000, 42);
}
