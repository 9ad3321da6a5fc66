//! Writes the seed corpora of both targets: `corpus/rdb_load/` and
//! `corpus/restore_payload/` under the current directory (run it from
//! `engine/fuzz`), one file per seed, named by its index.

use std::path::Path;

fn write(dir: &str, seeds: Vec<Vec<u8>>) -> std::io::Result<()> {
    let dir = Path::new("corpus").join(dir);
    std::fs::create_dir_all(&dir)?;
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:03}")), seed)?;
    }
    println!("{}: {} seeds", dir.display(), seeds.len());
    Ok(())
}

fn main() -> std::io::Result<()> {
    write("rdb_load", engine::fuzzing::rdb_seeds())?;
    write("restore_payload", engine::fuzzing::payload_seeds())
}
