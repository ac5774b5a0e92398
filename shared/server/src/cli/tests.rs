//! The command line's own tests, and the files a package installs checked against it.

use super::*;
use crate::config::{Config, FileConfig};

#[test]
fn flags_win_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.toml");
    std::fs::write(&file, "name = \"From file\"\npin = \"1111\"\nbind = \"127.0.0.1:9\"").unwrap();
    let cli = Cli::try_parse_from(["hubbub", "serve", "--config", file.to_str().unwrap(), "--name", "Flag"])
        .unwrap();
    let Some(Command::Serve(args)) = cli.command else { panic!() };
    let c = args.resolve().unwrap();
    assert_eq!(c.name, "Flag");
    assert_eq!(c.pin.as_deref(), Some("1111"));
    assert_eq!(c.bind.port(), 9);
    let bad = ServeArgs { name: Some(" ".into()), ..ServeArgs::default() };
    assert!(bad.resolve().is_err());
}

#[test]
fn discover_flags_and_table() {
    let cli = Cli::try_parse_from(["hubbub", "discover", "--json", "--timeout-secs", "5"]).unwrap();
    let Some(Command::Discover(args)) = cli.command else { panic!() };
    assert!(args.json);
    assert_eq!(args.timeout_secs, 5);
    let cli = Cli::try_parse_from(["hubbub", "discover"]).unwrap();
    let Some(Command::Discover(args)) = cli.command else { panic!() };
    assert_eq!((args.json, args.timeout_secs), (false, 3));
    assert!(Cli::try_parse_from(["hubbub", "discover", "--timeout-secs", "0"]).is_err());

    let hub = |name: &str, url: &str, guests, protocol_version| hubbub_protocol::DiscoveredHub {
        hub_id: "a".into(),
        name: name.into(),
        url: url.into(),
        protocol_version,
        version: "0.1.0".into(),
        guests_online: guests,
        last_seen: 0,
    };
    let p = hubbub_protocol::PROTOCOL_VERSION;
    let table = hubs_table(&[
        hub("Attic", "http://10.0.0.2:7470/", 3, p),
        hub("Café", "http://10.0.0.30:7470/", 12, p + 1),
    ]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3);
    // Columns line up (by characters, not bytes).
    let column = |line: &str, at: &str| line.find(at).map(|b| line[..b].chars().count());
    assert_eq!(column(lines[0], "URL"), column(lines[1], "http"));
    assert_eq!(column(lines[1], "http"), column(lines[2], "http"));
    assert!(lines[0].starts_with("NAME ") && lines[0].ends_with("  GUESTS ONLINE"));
    assert!(lines[1].starts_with("Attic ") && lines[1].ends_with(" http://10.0.0.2:7470/   3"));
    assert_eq!(lines[2], format!("Café (protocol {}, incompatible)  http://10.0.0.30:7470/  12", p + 1));
}

/// The unit's `ExecStart` is a command line this binary takes.
#[test]
fn the_service_unit_runs_a_valid_command_line() {
    let unit = include_str!("../../../../packaging/hubbub.service");
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("an ExecStart line");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/hubbub"));
    let cli = Cli::try_parse_from(std::iter::once("hubbub").chain(words)).expect("valid flags");
    let Some(Command::Serve(args)) = cli.command else { panic!("the unit runs `hubbub serve`") };
    assert_eq!(args.data_dir.as_deref(), Some(std::path::Path::new("/var/lib/hubbub")));
    for key in ["DynamicUser=yes", "StateDirectory=hubbub", "NoNewPrivileges=yes", "ProtectSystem=strict"] {
        assert!(unit.lines().any(|l| l == key), "the unit sets {key}");
    }
}

/// The example settings file parses, and every key in it is one the hub knows.
#[test]
fn the_example_settings_file_is_valid() {
    let file: FileConfig = toml::from_str(include_str!("../../../../packaging/config.toml")).unwrap();
    let mut config = Config::default();
    file.apply(&mut config);
    config.validate().unwrap();
    assert_eq!(config.retention, crate::config::Retention::default(), "it shows the defaults");
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    let bash = String::from_utf8(completions(clap_complete::Shell::Bash)).unwrap();
    for word in ["_hubbub", "backup", "restore", "export", "--retention-messages-days"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let zsh = String::from_utf8(completions(clap_complete::Shell::Zsh)).unwrap();
    assert!(zsh.starts_with("#compdef hubbub"), "{}", &zsh[..40]);
    let man = String::from_utf8(man_page().unwrap()).unwrap();
    assert!(man.contains(".TH hubbub 1"), "{}", &man[..200]);
    assert!(
        man.contains("backup") && man.contains("\\-\\-log\\-format"),
        "the man page lists commands and flags"
    );
}
