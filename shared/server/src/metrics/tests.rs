use super::*;

/// Every frame type serde knows, from the message it gives for an unknown one: "unknown variant
/// `x`, expected one of `a`, `b`, ...".
fn variants<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
    let err = serde_json::from_str::<T>(r#"{"type":"?"}"#).unwrap_err().to_string();
    let list = err.split("expected one of").nth(1).unwrap_or_else(|| panic!("{err}"));
    list.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn the_label_lists_are_sorted_and_name_every_frame_type() {
    for list in [CLIENT_FRAMES, SERVER_FRAMES, names::CLOSE_LABELS] {
        assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?} is not sorted");
    }
    let client = variants::<hubbub_protocol::ClientFrame>();
    let server = variants::<hubbub_protocol::ServerFrame>();
    assert!(client.len() > 10 && server.len() > 20, "{client:?} {server:?}");
    for kind in &client {
        assert!(CLIENT_FRAMES.contains(&kind.as_str()), "client frame {kind} has no series");
    }
    for kind in &server {
        assert!(SERVER_FRAMES.contains(&kind.as_str()), "server frame {kind} has no series");
    }
    let labels: Vec<&str> = CLOSE_CODES.iter().map(|(_, l)| *l).chain(["peer"]).collect();
    assert_eq!(labels, names::CLOSE_LABELS);
}

#[test]
fn frame_types_are_read_from_the_encoded_frame() {
    let frame = crate::conn::encode(&hubbub_protocol::ServerFrame::Pong { r#ref: None, server_time: 1 });
    assert_eq!(frame_type(frame.as_str()), "pong");
    assert_eq!(frame_type("not json"), "");
}

#[test]
fn counters_move_and_render() {
    let m = Metrics::new();
    m.frame_out(r#"{"type":"pong","server_time":1}"#);
    m.frame_out(r#"{"type":"brand_new","x":1}"#);
    m.frame_in("send_message");
    m.connection_opened("/ws");
    m.connection_closed("/ws", Some(4008));
    m.connection_closed("/ws", None);
    m.refused("socket", "rate_limited");
    m.store().batch(3, Duration::from_millis(2), false);
    let text = m.render((2, 7));
    for line in [
        r#"hubbub_frames_out_total{type="pong"} 1"#,
        r#"hubbub_frames_out_total{type="other"} 1"#,
        r#"hubbub_frames_in_total{type="send_message"} 1"#,
        r#"hubbub_connections_total{path="/ws"} 1"#,
        r#"hubbub_connections_open{path="/ws"} -1"#,
        r#"hubbub_closes_total{code="4008"} 1"#,
        r#"hubbub_closes_total{code="peer"} 1"#,
        r#"hubbub_refusals_total{code="rate_limited",via="socket"} 1"#,
        "hubbub_store_commit_failures_total 1",
        "hubbub_store_batch_jobs_count 1",
        "hubbub_parties_live 2",
        "hubbub_party_players 7",
    ] {
        assert!(text.lines().any(|l| l == line), "no line {line:?} in\n{text}");
    }
    assert!(text.ends_with("# EOF\n"));
}
