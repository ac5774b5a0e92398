//! The `hubbub` binary as an operator meets it: what it prints, its config file, its refusals.

use std::process::Command;
use std::time::Duration;

use hubbub_tests::{TestHub, hub_binary};

#[tokio::test]
async fn startup_prints_the_address_join_urls_and_a_qr_code() {
    let hub = TestHub::start_process(&[]);
    // The join URL and the QR code follow the address line; give the reader thread a moment.
    let mut printed = String::new();
    for _ in 0..50 {
        printed = hub.printed();
        if printed.lines().count() > 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut lines = printed.lines();
    assert_eq!(lines.next(), Some(format!("listening on {}", hub.url).as_str()));
    assert!(printed.contains(&format!("  {}/", hub.url)), "{printed}");
    let qr_rows = printed.lines().filter(|l| l.contains('█') || l.contains('▀') || l.contains('▄')).count();
    assert!(qr_rows >= 10, "a QR code of at least 10 rows:\n{printed}");
}

#[tokio::test]
async fn settings_come_from_the_config_file_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hubbub.toml");
    std::fs::write(&file, "name = \"Attic Hub\"\npin = \"2468\"\n").unwrap();
    let path = file.to_str().unwrap();
    let hub = TestHub::start_process(&["--config", path]);
    let info = hub.client().info().await.unwrap();
    // TestHub passes `--name "Test Hub"`, a flag, which wins over the file's name; the PIN comes from the file.
    assert_eq!(info.name, "Test Hub");
    assert!(info.pin_required);
    assert!(hub.client().join("Al", Some("2468")).await.is_ok());
}

fn run_and_fail(args: &[&str]) -> String {
    let out = Command::new(hub_binary()).args(args).env("HUBBUB_LOG", "warn").output().expect("run hubbub");
    assert!(!out.status.success(), "hubbub {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_settings_and_a_taken_port_fail_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let err = run_and_fail(&[
        "serve",
        "--no-discovery",
        "--data-dir",
        data,
        "--bind",
        "127.0.0.1:0",
        "--name",
        "  ",
    ]);
    assert!(err.contains("invalid setting name"), "{err}");
    let err = run_and_fail(&["serve", "--bind", "not-an-address"]);
    assert!(err.contains("--bind"), "{err}");
    let bad_toml = dir.path().join("bad.toml");
    std::fs::write(&bad_toml, "nmae = \"typo\"").unwrap();
    let err = run_and_fail(&["serve", "--config", bad_toml.to_str().unwrap()]);
    assert!(err.contains("invalid config file") && err.contains("nmae"), "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = run_and_fail(&["serve", "--no-discovery", "--data-dir", data, "--bind", &addr]);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}
