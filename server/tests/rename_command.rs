//! `rename-command` in the config file renames or removes commands, as in
//! Redis; the same config behaves the same on both servers.

mod support;

use support::{redis_available, Server};

fn replies(bin: &std::path::Path) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("redust-rename-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join(format!(
        "{}.conf",
        bin.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(
        &conf,
        "rename-command config cfg\nrename-command flushall \"\"\n",
    )
    .unwrap();
    let server = Server::start_with_config(bin, Some(&conf), &[]);
    let mut c = server.client();
    let out = vec![
        c.cmd(&["CONFIG", "GET", "maxmemory"]),
        c.cmd(&["CFG", "GET", "maxmemory"]),
        c.cmd(&["FLUSHALL"]),
        c.cmd(&["SET", "k", "v"]),
        c.cmd(&["SET", "k", "w"]),
    ];
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn renamed_and_removed_commands_like_redis() {
    let ours = replies(&support::server::redust_bin());
    assert_eq!(ours[1], "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    assert!(
        ours[0].starts_with("-ERR unknown command 'CONFIG'"),
        "{}",
        ours[0]
    );
    if redis_available() {
        assert_eq!(ours, replies(std::path::Path::new("/usr/bin/redis-server")));
    }
}
