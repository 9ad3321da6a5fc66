//! INFO memory has exactly the fields of real Redis 7.0.15, in its order.
//!
//! The fixture holds the field names of `redis-cli INFO memory` from
//! redis-server 7.0.15, one per line.

const FIXTURE: &str = include_str!("redis-7.0.15-info-memory-fields.txt");

fn info() -> String {
    let inputs = memstats::InfoInputs {
        used_memory_startup: 876_064,
        maxmemory: 100 << 20,
        maxmemory_policy: "allkeys-lru".to_owned(),
        used_memory_vm_eval: 32_768,
        used_memory_vm_functions: 33_792,
        used_memory_functions: 200,
        ..Default::default()
    };
    let snap = memstats::Snapshot {
        allocated: 939_224,
        tcache: 0,
        active: 1_826_816,
        resident: 4_497_408,
        mapped: 6_000_000,
        retained: 1_000_000,
        metadata: 50_000,
        rss: 12_115_968,
        total_system_memory: 25_276_510_208,
    };
    memstats::info_memory(&inputs, &snap)
}

#[test]
fn same_fields_in_same_order() {
    let info = info();
    let body = info.strip_prefix("# Memory\r\n").expect("section header");
    assert!(body.ends_with("\r\n"));
    let names: Vec<&str> = body
        .split_terminator("\r\n")
        .map(|line| line.split_once(':').expect("name:value").0)
        .collect();
    let want: Vec<&str> = FIXTURE.lines().collect();
    assert_eq!(names, want);
}

#[test]
fn values_formatted_like_redis() {
    let info = info();
    let field = |name: &str| -> String {
        let prefix = format!("\r\n{name}:");
        let start = info.find(&prefix).unwrap_or_else(|| panic!("{name}")) + prefix.len();
        info[start..].split("\r\n").next().unwrap().to_owned()
    };
    assert_eq!(field("used_memory"), "939224");
    assert_eq!(field("used_memory_human"), "917.21K");
    assert_eq!(field("used_memory_rss_human"), "11.55M");
    assert_eq!(field("used_memory_peak"), "939224");
    assert_eq!(field("used_memory_peak_perc"), "100.00%");
    assert_eq!(field("used_memory_overhead"), "876264");
    assert_eq!(field("used_memory_dataset"), "62960");
    assert_eq!(field("used_memory_dataset_perc"), "99.68%");
    assert_eq!(field("total_system_memory_human"), "23.54G");
    assert_eq!(field("used_memory_lua_human"), "32.00K");
    assert_eq!(field("used_memory_vm_total"), "66560");
    assert_eq!(field("used_memory_vm_total_human"), "65.00K");
    assert_eq!(field("used_memory_scripts"), "200");
    assert_eq!(field("used_memory_scripts_human"), "200B");
    assert_eq!(field("maxmemory_human"), "100.00M");
    assert_eq!(field("maxmemory_policy"), "allkeys-lru");
    assert_eq!(field("allocator_frag_ratio"), "1.95");
    assert_eq!(field("allocator_frag_bytes"), "887592");
    assert_eq!(field("allocator_rss_ratio"), "2.46");
    assert_eq!(field("allocator_rss_bytes"), "2670592");
    assert_eq!(field("rss_overhead_ratio"), "2.69");
    assert_eq!(field("rss_overhead_bytes"), "7618560");
    assert_eq!(field("mem_fragmentation_ratio"), "12.90");
    assert_eq!(field("mem_fragmentation_bytes"), "11176744");
    assert_eq!(field("mem_not_counted_for_evict"), "0");
    // This test binary runs on the system allocator.
    assert_eq!(field("mem_allocator"), "libc");
    assert_eq!(field("lazyfreed_objects"), "0");
}

#[test]
fn negative_differences_are_signed() {
    let snap = memstats::Snapshot {
        allocated: 2_000,
        active: 4_096,
        resident: 8_192,
        rss: 1_000,
        ..Default::default()
    };
    let info = memstats::info_memory(&memstats::InfoInputs::default(), &snap);
    assert!(info.contains("\r\nmem_fragmentation_ratio:0.50\r\n"));
    assert!(info.contains("\r\nmem_fragmentation_bytes:-1000\r\n"));
    assert!(info.contains("\r\nrss_overhead_bytes:-7192\r\n"));
}
