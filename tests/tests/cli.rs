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

#[test]
fn version_names_the_package_version() {
    let out = Command::new(hub_binary()).arg("--version").output().expect("run hubbub");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("hubbub {}", env!("CARGO_PKG_VERSION")));
}

/// Runs `hubbub` with no command and only the given environment (besides `PATH`); returns the
/// process and its URL once it prints its address.
fn spawn_plain(envs: &[(&str, &std::path::Path)]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut cmd = Command::new(hub_binary());
    cmd.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).env("HUBBUB_LOG", "warn");
    for (key, value) in envs {
        cmd.env(key, value);
    }
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().expect("start hubbub");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next().and_then(Result::ok));
        for _ in lines {}
    });
    let first = rx.recv_timeout(Duration::from_secs(30)).ok().flatten().unwrap_or_default();
    let url =
        first.strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first:?}")).to_owned();
    (child, url)
}

/// `hubbub` alone is `hubbub serve`: it takes the `HUBBUB_*` variables, and without `--config` it
/// reads the settings file in the user's config directory (`$XDG_CONFIG_HOME/hubbub/config.toml`,
/// else `~/.config/hubbub/config.toml`); a variable wins over the file.
#[tokio::test]
async fn plain_hubbub_takes_the_environment_and_finds_the_users_settings_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let xdg = dir.path().join("xdg");
    for (base, name) in [(home.join(".config"), "Home Config"), (xdg.clone(), "Xdg Config")] {
        std::fs::create_dir_all(base.join("hubbub")).unwrap();
        std::fs::write(base.join("hubbub/config.toml"), format!("name = \"{name}\"\npin = \"1357\"\n"))
            .unwrap();
    }
    let data = dir.path().join("data");
    let common: Vec<(&str, &std::path::Path)> = vec![
        ("HOME", &home),
        ("HUBBUB_BIND", std::path::Path::new("127.0.0.1:0")),
        ("HUBBUB_DATA_DIR", &data),
        ("HUBBUB_NO_DISCOVERY", std::path::Path::new("true")),
    ];

    // No XDG_CONFIG_HOME: ~/.config/hubbub/config.toml.
    let (child, url) = spawn_plain(&common);
    let info = hubbub_tests::HubClient::new(url).info().await.unwrap();
    assert_eq!(info.name, "Home Config");
    assert!(info.pin_required, "the file's PIN applies");
    assert!(hubbub_tests::terminate_child(child));

    // XDG_CONFIG_HOME set: its file, and HUBBUB_NAME over the file's name.
    let mut envs = common.clone();
    envs.push(("XDG_CONFIG_HOME", &xdg));
    let (child, url) = spawn_plain(&envs);
    assert_eq!(hubbub_tests::HubClient::new(url.clone()).info().await.unwrap().name, "Xdg Config");
    assert!(hubbub_tests::terminate_child(child));
    envs.push(("HUBBUB_NAME", std::path::Path::new("From Env")));
    let (child, url) = spawn_plain(&envs);
    let info = hubbub_tests::HubClient::new(url).info().await.unwrap();
    assert_eq!(info.name, "From Env");
    assert!(info.pin_required);
    assert!(hubbub_tests::terminate_child(child));
}
