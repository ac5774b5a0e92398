//! LAN discovery between real hubs: three network namespaces joined by a bridge, a hub in each. Every
//! hub finds the others over mDNS (and not itself), `hubbub discover` lists them, and a hub that stops
//! says goodbye and disappears. Needs root and `ip` (iproute2); otherwise it says why and skips. It only
//! ever uses addresses inside its own namespaces.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use hubbub_protocol::{DiscoveredHub, HubsResponse};
use hubbub_tests::{TestHub, hub_binary, terminate_child};

/// How many hubs, each in its own namespace at 10.77.0.N.
const HUBS: usize = 3;
/// Generous: the machine may be slow and shared, and mDNS takes a second or two.
const DEADLINE: Duration = Duration::from_secs(90);

#[tokio::test]
async fn a_hub_started_with_no_discovery_says_so() {
    let hub = TestHub::start_process(&[]);
    let body: HubsResponse =
        reqwest::get(format!("{}/api/hubs", hub.url)).await.unwrap().json().await.unwrap();
    assert!(body.hubs.is_empty());
    assert!(!body.mdns.advertising && !body.mdns.browsing, "{body:?}");
    assert!(body.mdns.error.unwrap().contains("turned off"));
}

#[test]
fn hubs_in_three_namespaces_find_each_other_and_a_stopped_hub_disappears() {
    let started = Instant::now();
    let lan = match Lan::create(HUBS) {
        Ok(lan) => lan,
        Err(Setup::Skip(why)) => {
            println!("skipped: {why}");
            return;
        }
        Err(Setup::Fail(why)) => panic!("{why}"),
    };
    let mut hubs: Vec<NsHub> = (1..=HUBS).map(|i| NsHub::start(&lan.hub_ns(i), i)).collect();

    // `hubbub discover` in every namespace lists the other hubs, with their names and LAN URLs. It is
    // a process of its own, not a hub, so it may list its namespace's hub too.
    std::thread::scope(|s| {
        for i in 1..=HUBS {
            let (lan, hubs) = (&lan, &hubs);
            s.spawn(move || {
                let others: Vec<usize> = (1..=HUBS).filter(|&j| j != i).collect();
                let found = poll(&format!("discover in namespace {i} to list hubs {others:?}"), hubs, || {
                    let found = discover(&lan.hub_ns(i));
                    others.iter().all(|&j| found.iter().any(|h| is_hub(h, j))).then_some(found)
                });
                for h in &found {
                    assert!((1..=HUBS).any(|j| is_hub(h, j)), "unexpected hub {h:?}");
                    assert_eq!(h.protocol_version, hubbub_protocol::PROTOCOL_VERSION);
                }
            });
        }
    });

    // Each hub's own browser (GET /api/hubs) shows exactly the other hubs, never itself.
    for i in 1..=HUBS {
        let others: Vec<usize> = (1..=HUBS).filter(|&j| j != i).collect();
        let body = poll(&format!("hub {i}'s /api/hubs to list exactly {others:?}"), &hubs, || {
            let body = api_hubs(&lan.hub_ns(i), i)?;
            let listed: Vec<usize> =
                body.hubs.iter().filter_map(|h| (1..=HUBS).find(|&j| is_hub(h, j))).collect();
            (listed == others && body.hubs.len() == others.len()).then_some(body)
        });
        assert!(body.mdns.advertising && body.mdns.browsing, "{:?}", body.mdns);
        assert_eq!(body.mdns.interfaces, ["lan0"]);
        assert_eq!(body.mdns.error, None);
    }

    // Hub 3 stops (SIGTERM): its goodbye makes the running hubs drop it, and a new discover does not
    // find it.
    let stopped_at = Instant::now();
    assert!(hubs[HUBS - 1].terminate(), "hub {HUBS} did not exit cleanly:\n{}", hubs[HUBS - 1].log());
    for i in 1..HUBS {
        poll(&format!("hub {i}'s /api/hubs to drop hub {HUBS}"), &hubs, || {
            let body = api_hubs(&lan.hub_ns(i), i)?;
            (!body.hubs.iter().any(|h| is_hub(h, HUBS))).then_some(())
        });
        let log = hubs[i - 1].log();
        assert!(
            log.lines().any(|l| l.contains("mDNS service removed") && l.contains(&format!("Hub-{HUBS}"))),
            "hub {i} dropped hub {HUBS} without its goodbye:\n{log}"
        );
    }
    println!("hub {HUBS} dropped by the others {:?} after SIGTERM", stopped_at.elapsed());
    let found = poll("discover in namespace 1 to list hub 2 again", &hubs, || {
        let found = discover(&lan.hub_ns(1));
        found.iter().any(|h| is_hub(h, 2)).then_some(found)
    });
    assert!(!found.iter().any(|h| is_hub(h, HUBS)), "a stopped hub is still listed: {found:?}");
    println!("discovery test took {:?}", started.elapsed());
}

/// Whether `h` is hub `n`: its name and its URL in namespace `n`.
fn is_hub(h: &DiscoveredHub, n: usize) -> bool {
    h.name == format!("Hub-{n}") && h.url == format!("http://10.77.0.{n}:7470/")
}

/// Calls `f` until it returns `Some`, for up to [`DEADLINE`]; then fails, with the hubs' logs.
fn poll<T>(what: &str, hubs: &[NsHub], mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > end {
            let logs: String = hubs.iter().map(|h| format!("--- hub {} ---\n{}", h.n, h.log())).collect();
            panic!("timed out waiting for {what}\n{logs}");
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `hubbub discover --json` run inside namespace `ns`.
fn discover(ns: &str) -> Vec<DiscoveredHub> {
    let out = run(Command::new("ip")
        .args(["netns", "exec", ns])
        .arg(hub_binary())
        .args(["discover", "--json", "--timeout-secs", "3"])
        .env("HUBBUB_LOG", "warn"));
    assert!(out.status.success(), "discover failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("discover printed no JSON array ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
    })
}

/// `GET /api/hubs` of hub `n`, from inside its namespace (bash's /dev/tcp: no HTTP client needed
/// there). `None` when it does not answer yet.
fn api_hubs(ns: &str, n: usize) -> Option<HubsResponse> {
    let script = format!(
        "exec 3<>/dev/tcp/10.77.0.{n}/7470 && printf 'GET /api/hubs HTTP/1.0\\r\\nHost: 10.77.0.{n}\\r\\n\\r\\n' >&3 \
         && cat <&3"
    );
    let out = run(Command::new("ip").args(["netns", "exec", ns, "bash", "-c", &script]));
    let text = String::from_utf8_lossy(&out.stdout);
    let (head, body) = text.split_once("\r\n\r\n")?;
    assert!(head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"), "GET /api/hubs: {head}");
    Some(serde_json::from_str(body).unwrap_or_else(|e| panic!("GET /api/hubs: {e}: {body}")))
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run a command")
}

enum Setup {
    Skip(String),
    Fail(String),
}

/// The namespaces: one holding the bridge, one per hub. Deleted when dropped, whatever happened, which
/// also deletes every link in them.
struct Lan {
    tag: String,
    namespaces: Vec<String>,
}

impl Lan {
    fn hub_ns(&self, n: usize) -> String {
        format!("{}-{n}", self.tag)
    }

    fn create(hubs: usize) -> Result<Lan, Setup> {
        if !cfg!(target_os = "linux") {
            return Err(Setup::Skip("network namespaces are Linux only".into()));
        }
        let uid = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Uid:").map(|u| u.split_whitespace().next() == Some("0")))
        });
        if uid != Some(true) {
            return Err(Setup::Skip("needs root to create network namespaces".into()));
        }
        if Command::new("ip").arg("-V").output().is_err() {
            return Err(Setup::Skip("`ip` (iproute2) is not installed".into()));
        }
        // Unique per run; a leftover of an earlier run with the same pid is removed first.
        let tag = format!("hbd{}", std::process::id());
        let mut lan = Lan { tag: tag.clone(), namespaces: Vec::new() };
        let bridge_ns = format!("{tag}-br");
        let all: Vec<String> =
            std::iter::once(bridge_ns.clone()).chain((1..=hubs).map(|n| lan.hub_ns(n))).collect();
        for ns in &all {
            let _ = run(Command::new("ip").args(["netns", "del", ns]));
        }
        if let Err(e) = lan.add_ns(&bridge_ns) {
            return Err(if e.contains("not permitted") || e.contains("denied") {
                Setup::Skip(format!("cannot create a network namespace: {e}"))
            } else {
                Setup::Fail(e)
            });
        }
        let fail = Setup::Fail;
        // The bridge, in a namespace of its own; snooping off so multicast reaches every port.
        ip(&["-n", &bridge_ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"])
            .map_err(fail)?;
        ip(&["-n", &bridge_ns, "link", "set", "br0", "up"]).map_err(fail)?;
        for n in 1..=hubs {
            let ns = lan.hub_ns(n);
            lan.add_ns(&ns).map_err(fail)?;
            // A veth pair: `pN` on the bridge, `lan0` in the hub's namespace (a name the hub takes as
            // a LAN interface; `veth*` it would skip).
            let port = format!("p{n}");
            ip(&[
                "-n", &bridge_ns, "link", "add", &port, "type", "veth", "peer", "name", "lan0", "netns", &ns,
            ])
            .map_err(fail)?;
            ip(&["-n", &bridge_ns, "link", "set", &port, "master", "br0", "up"]).map_err(fail)?;
            ip(&["-n", &ns, "addr", "add", &format!("10.77.0.{n}/24"), "dev", "lan0"]).map_err(fail)?;
            ip(&["-n", &ns, "link", "set", "lan0", "up"]).map_err(fail)?;
            ip(&["-n", &ns, "link", "set", "lo", "up"]).map_err(fail)?;
        }
        Ok(lan)
    }

    fn add_ns(&mut self, name: &str) -> Result<(), String> {
        ip(&["netns", "add", name])?;
        self.namespaces.push(name.to_owned());
        Ok(())
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in self.namespaces.iter().rev() {
            let out = run(Command::new("ip").args(["netns", "del", ns]));
            if !out.status.success() {
                eprintln!("could not delete namespace {ns}: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = run(Command::new("ip").args(args));
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`ip {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// A hub process in a namespace (`ip netns exec` execs it, so the child is the hub). Killed when
/// dropped, if still running.
struct NsHub {
    n: usize,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
    _data: tempfile::TempDir,
}

impl NsHub {
    fn start(ns: &str, n: usize) -> NsHub {
        let data = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(hub_binary())
            .args(["serve", "--bind", "0.0.0.0:7470", "--name", &format!("Hub-{n}"), "--data-dir"])
            .arg(data.path())
            .env("HUBBUB_LOG", "hubbub_server=debug,info")
            .env_remove("HUBBUB_NO_DISCOVERY")
            .env_remove("HUBBUB_CONFIG")
            .env_remove("HUBBUB_PIN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the hub in its namespace");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let (tx, rx) = mpsc::channel();
        let mut out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            let mut first = String::new();
            let mut reader = BufReader::new(&mut out);
            let _ = reader.read_line(&mut first);
            let _ = tx.send(first);
            let _ = reader.read_to_end(&mut Vec::new());
        });
        let mut hub = NsHub { n, child: Some(child), log, _data: data };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.starts_with("listening on ") => hub,
            other => {
                hub.kill();
                panic!("hub {n} did not start ({other:?}):\n{}", hub.log());
            }
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM, then waits for the exit; whether it exited 0.
    fn terminate(&mut self) -> bool {
        self.child.take().is_some_and(terminate_child)
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NsHub {
    fn drop(&mut self) {
        self.kill();
    }
}
