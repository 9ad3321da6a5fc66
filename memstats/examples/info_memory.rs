//! Prints this process's own INFO memory section with jemalloc installed:
//! `cargo run -p redust-memstats --example info_memory`.

#[global_allocator]
static GLOBAL: memstats::Allocator = memstats::Allocator;

fn main() {
    let snap = memstats::snapshot();
    let inputs = memstats::InfoInputs {
        used_memory_startup: snap.used_memory(),
        peak: snap.used_memory(),
        ..Default::default()
    };
    print!("{}", memstats::info_memory(&inputs, &snap));
}
