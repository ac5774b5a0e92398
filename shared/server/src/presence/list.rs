//! The list a presence scope shows its subscribers: everyone in it, or on a large hub the first
//! `presence_list_max` users by name, with the total beside it.
//!
//! Sending every user to every socket costs O(N²) as a hub fills up (5,000 guests took 70 s to
//! connect), so a scope lists at most `list_max` users. Subscribers hold exactly the list the last
//! diff made, plus what their own snapshot said; each diff brings all of them to the new list:
//! it joins users who entered it or changed, and leaves users who dropped out of it (went offline,
//! or were pushed past the end by names that sort earlier). The total comes with every diff that
//! changes the list, and on a large scope at most once a second otherwise, so a hub filling up
//! sends each socket one small frame a second rather than one per arrival.

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use hubbub_protocol::{Channel, OnlineUser, ServerFrame};

use axum::extract::ws::Utf8Bytes;

use super::{Book, PresenceSet};
use crate::conn::encode;

/// A scope's list as new subscribers are sent it, built at one version of the scope.
#[derive(Debug)]
pub(super) struct Listed {
    /// The users listed, in order.
    ids: Vec<i64>,
    /// The scope's version it was built at: current while none of `ids` changed since.
    version: u64,
    first: Vec<OnlineUser>,
    /// The rest, as encoded `presence_diff` frames.
    rest: Vec<Utf8Bytes>,
}

/// On a scope larger than its list, how often a change of the total alone is sent.
pub const TOTAL_INTERVAL: Duration = Duration::from_secs(1);

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Book {
    /// The ids a scope lists now, in name order.
    fn window(&self, scope: &Channel) -> Vec<i64> {
        self.sets.get(scope).map(|set| set.user_ids().take(self.list_max).collect()).unwrap_or_default()
    }

    /// The list and total for a new subscriber of `scope`. Remembers where this list differs from
    /// what the last diff listed, so the next diff corrects it too.
    pub(super) fn listing(&mut self, scope: &Channel) -> (Vec<OnlineUser>, u32) {
        let ids = self.window(scope);
        let users = ids.iter().filter_map(|id| self.entry(scope, *id)).collect();
        (users, self.note_listed(scope, ids))
    }

    /// What a new subscriber of `scope` is sent: the list's first entries (for its `subscribed`
    /// frame), the rest as `presence_diff` frames, and the total. The rest are encoded once and
    /// shared by every new subscriber while no listed entry changes: in a connect storm where
    /// arrivals sort past the end of the list, each socket costs clones of the same bytes, not 100
    /// entries built and encoded again.
    pub(super) fn opening(&mut self, scope: &Channel) -> (Vec<OnlineUser>, Vec<Utf8Bytes>, u32) {
        let ids = self.window(scope);
        let current = self
            .sets
            .get(scope)
            .zip(self.listed.get(scope))
            .is_some_and(|(set, listed)| listed.ids == ids && set.unchanged_since(&ids, listed.version));
        if !current {
            let users: Vec<OnlineUser> = ids.iter().filter_map(|id| self.entry(scope, *id)).collect();
            let (first, rest, chunk) = super::split_snapshot(users);
            let rest = rest
                .chunks(chunk)
                .map(|chunk| {
                    encode(&ServerFrame::PresenceDiff {
                        channel: Some(scope.to_string()),
                        joins: chunk.to_vec(),
                        leaves: Vec::new(),
                        total: None,
                    })
                })
                .collect();
            let version = self.sets.get(scope).map_or(0, PresenceSet::version);
            self.listed.insert(scope.clone(), Listed { ids: ids.clone(), version, first, rest });
        }
        let total = self.note_listed(scope, ids);
        let listed = &self.listed[scope];
        (listed.first.clone(), listed.rest.clone(), total)
    }

    /// Notes that a subscriber was just sent `ids` as `scope`'s list (where that differs from what
    /// the last diff listed, the next diff corrects it); returns the scope's total.
    fn note_listed(&mut self, scope: &Channel, ids: Vec<i64>) -> u32 {
        let Some(set) = self.sets.get_mut(scope) else {
            return 0;
        };
        let listed: HashSet<i64> = ids.into_iter().collect();
        let differ: Vec<i64> = listed.symmetric_difference(&set.shown).copied().collect();
        set.dirty.extend(differ);
        if set.len() != set.total_sent {
            set.total_dirty = true;
        }
        count(set.len())
    }

    /// Everyone in `scope` whose name contains `query` (any case), by name: a page of them, and how
    /// many matched.
    pub(super) fn page(
        &self,
        scope: &Channel,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> (Vec<OnlineUser>, usize) {
        let Some(set) = self.sets.get(scope) else {
            return (Vec::new(), 0);
        };
        let query = query.to_lowercase();
        let matching = set
            .user_ids()
            .filter(|id| query.is_empty() || self.profiles.get(id).is_some_and(|p| p.key.contains(&query)));
        let (mut matched, mut users) = (0, Vec::new());
        for id in matching {
            if matched >= offset && users.len() < limit {
                users.extend(self.entry(scope, id));
            }
            matched += 1;
        }
        (users, matched)
    }

    /// Ends grace periods that ran out and returns the diff that brings every subscriber of `scope`
    /// to its current list and total, if anything changed for them.
    pub(super) fn diff(&mut self, scope: &Channel, now: Instant) -> Option<ServerFrame> {
        let set = self.sets.get_mut(scope)?;
        set.expire(now);
        let (changed, _gone) = set.take_changes();
        let window = self.window(scope);
        let list_max = self.list_max;
        let set = self.sets.get_mut(scope)?;
        let now_listed: HashSet<i64> = window.iter().copied().collect();
        let mut joins: BTreeSet<i64> = changed.into_iter().filter(|id| now_listed.contains(id)).collect();
        joins.extend(window.iter().filter(|id| !set.shown.contains(id) || set.dirty.contains(id)));
        let leaves: BTreeSet<i64> =
            set.shown.iter().chain(&set.dirty).filter(|id| !now_listed.contains(id)).copied().collect();
        set.shown = now_listed;
        set.dirty.clear();

        let total = set.len();
        let list_changed = !joins.is_empty() || !leaves.is_empty();
        let large = total > list_max || set.total_sent > list_max;
        let due = total != set.total_sent || set.total_dirty;
        let send_total = due
            && (list_changed
                || !large
                || set.total_at.is_none_or(|at| now.duration_since(at) >= TOTAL_INTERVAL));
        if !list_changed && !send_total {
            return None;
        }
        if send_total {
            set.total_sent = total;
            set.total_dirty = false;
            set.total_at = Some(now);
        }
        let joins = joins.into_iter().filter_map(|id| self.entry(scope, id)).collect();
        Some(ServerFrame::PresenceDiff {
            channel: Some(scope.to_string()),
            joins,
            leaves: leaves.into_iter().collect(),
            total: send_total.then(|| count(total)),
        })
    }
}

/// Splits a diff whose joins are more than `entries` into frames of at most that many (the leaves
/// and the total ride in the last one). Applying the pieces in order is applying the diff: joins
/// and leaves never name the same user. Small frames matter because a socket's write buffer keeps
/// the size of the largest frame it wrote for the connection's life.
pub fn pieces(frame: ServerFrame, entries: usize) -> Vec<ServerFrame> {
    let ServerFrame::PresenceDiff { channel, mut joins, leaves, total } = frame else {
        return vec![frame];
    };
    let mut out = Vec::with_capacity(joins.len().div_ceil(entries.max(1)).max(1));
    while joins.len() > entries.max(1) {
        let rest = joins.split_off(entries.max(1));
        out.push(ServerFrame::PresenceDiff {
            channel: channel.clone(),
            joins,
            leaves: Vec::new(),
            total: None,
        });
        joins = rest;
    }
    out.push(ServerFrame::PresenceDiff { channel, joins, leaves, total });
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use hubbub_protocol::{PresenceStatus, UserInfo};

    use super::*;
    use crate::channels::Registry;
    use crate::conn::ConnHandle;
    use crate::presence::Presence;

    type Rx = crate::outbox::Receiver;

    fn conn(id: u64, user: i64, name: &str) -> (Arc<ConnHandle>, Rx) {
        let (h, rx) =
            ConnHandle::new(id, UserInfo { id: user, display_name: name.into() }, Some("t".into()), 4096);
        (Arc::new(h), rx)
    }

    /// A subscriber's copy of the list, kept the way a client keeps it: snapshot, then diffs.
    #[derive(Default)]
    struct View {
        users: BTreeMap<i64, String>,
        total: u32,
    }

    impl View {
        fn apply(&mut self, rx: &mut Rx) {
            while let Some(bytes) = rx.try_recv() {
                let frame: ServerFrame = serde_json::from_str(bytes.as_str()).unwrap();
                match frame {
                    ServerFrame::Subscribed { users: Some(users), total, .. } => {
                        self.users = users.into_iter().map(|u| (u.user_id, u.display_name)).collect();
                        self.total = total.unwrap();
                    }
                    ServerFrame::PresenceDiff { joins, leaves, total, .. } => {
                        self.users.extend(joins.into_iter().map(|u| (u.user_id, u.display_name)));
                        for id in leaves {
                            self.users.remove(&id);
                        }
                        self.total = total.unwrap_or(self.total);
                    }
                    _ => {}
                }
            }
        }

        fn names(&self) -> Vec<String> {
            let mut names: Vec<String> = self.users.values().cloned().collect();
            names.sort();
            names
        }
    }

    #[test]
    fn a_large_scope_lists_the_first_names_and_counts_everyone() {
        let presence = Presence::new(Duration::ZERO, 3);
        let registry = Registry::default();
        let people: Vec<_> = ["dan", "eve", "bob", "fay", "cat"]
            .iter()
            .enumerate()
            .map(|(i, n)| conn(i as u64 + 10, i as i64 + 10, n).0)
            .collect();
        for c in &people {
            presence.connect(c, None);
        }
        let (me, mut rx) = conn(1, 1, "zed");
        presence.connect(&me, None);
        presence.subscribe(&me, &registry, None);
        let t0 = Instant::now();
        let mut view = View::default();
        view.apply(&mut rx);
        assert_eq!((view.names(), view.total), (vec!["bob".into(), "cat".into(), "dan".into()], 6));

        // An earlier name pushes the last one out of the list: it leaves the list, not the hub.
        let (amy, _amy_rx) = conn(2, 2, "Amy");
        presence.connect(&amy, None);
        presence.flush(t0 + Duration::from_secs(1), &registry);
        view.apply(&mut rx);
        assert_eq!((view.names(), view.total), (vec!["Amy".into(), "bob".into(), "cat".into()], 7));
        assert!(presence.is_online(13), "dan is still online, only past the end of the list");

        // Someone listed goes offline: the next name moves up.
        presence.disconnect(&people[2]);
        presence.flush(t0 + Duration::from_secs(2), &registry);
        view.apply(&mut rx);
        assert_eq!((view.names(), view.total), (vec!["Amy".into(), "cat".into(), "dan".into()], 6));

        // Someone past the end leaves: the list is the same, only the total changes.
        presence.disconnect(&people[3]);
        assert_eq!(presence.flush(t0 + Duration::from_secs(3), &registry), 1);
        view.apply(&mut rx);
        assert_eq!((view.names(), view.total), (vec!["Amy".into(), "cat".into(), "dan".into()], 5));

        // Search and pages reach everyone.
        let (page, matched, total) = presence.page("E", 0, 10);
        assert_eq!(
            (page.iter().map(|u| u.display_name.as_str()).collect::<Vec<_>>(), matched, total),
            (vec!["eve", "zed"], 2, 5)
        );
        let (page, matched, _) = presence.page("", 3, 10);
        assert_eq!((page.len(), matched), (2, 5));
    }

    #[test]
    fn on_a_large_scope_a_changing_total_alone_is_sent_at_most_once_a_second() {
        let presence = Presence::new(Duration::ZERO, 2);
        let registry = Registry::default();
        let (me, mut rx) = conn(1, 1, "a");
        let (b, _b) = conn(2, 2, "b");
        presence.connect(&me, None);
        presence.connect(&b, None);
        presence.subscribe(&me, &registry, None);
        let t0 = Instant::now();
        presence.flush(t0, &registry);
        let mut view = View::default();
        view.apply(&mut rx);
        let late: Vec<_> = (0..5).map(|i| conn(10 + i, 10 + i as i64, &format!("z{i}")).0).collect();
        presence.connect(&late[0], None);
        assert_eq!(presence.flush(t0 + Duration::from_millis(100), &registry), 0, "within the second");
        presence.connect(&late[1], None);
        assert_eq!(presence.flush(t0 + Duration::from_millis(1100), &registry), 1);
        view.apply(&mut rx);
        assert_eq!(view.total, 4);
        presence.connect(&late[2], None);
        assert_eq!(presence.flush(t0 + Duration::from_millis(1200), &registry), 0);
        assert_eq!(
            presence.flush(t0 + Duration::from_millis(2200), &registry),
            1,
            "the deferred total goes out"
        );
        view.apply(&mut rx);
        assert_eq!((view.names(), view.total), (vec!["a".into(), "b".into()], 5));
    }

    /// Every entry a subscriber was sent, by user id (the snapshot and the frames that follow it).
    fn entries(rx: &mut Rx) -> BTreeMap<i64, OnlineUser> {
        let mut out = BTreeMap::new();
        while let Some(bytes) = rx.try_recv() {
            match serde_json::from_str::<ServerFrame>(bytes.as_str()).unwrap() {
                ServerFrame::Subscribed { users: Some(users), .. } => {
                    out.extend(users.into_iter().map(|u| (u.user_id, u)));
                }
                ServerFrame::PresenceDiff { joins, .. } => {
                    out.extend(joins.into_iter().map(|u| (u.user_id, u)));
                }
                _ => {}
            }
        }
        out
    }

    /// The list after its first entries is shared by new subscribers; each change to a listed
    /// member (a status, a tab going idle, a rename, a second device, leaving) reaches the next one.
    #[test]
    fn a_new_subscriber_sees_every_change_to_a_shared_list() {
        let presence = Presence::new(Duration::ZERO, 20);
        let registry = Registry::default();
        let people: Vec<_> = (0..15).map(|i| conn(100 + i, 10 + i as i64, &format!("p{i:02}")).0).collect();
        for c in &people {
            presence.connect(c, None);
        }
        let mut next_id = 0;
        let mut subscriber = |presence: &Presence| {
            next_id += 1;
            let (c, mut rx) = conn(next_id, 1000 + next_id as i64, "~watcher");
            presence.subscribe(&c, &registry, None);
            entries(&mut rx)
        };
        let first = subscriber(&presence);
        assert_eq!(first.len(), 15);
        assert_eq!(subscriber(&presence).keys().collect::<Vec<_>>(), first.keys().collect::<Vec<_>>());
        // p12 (user 22) is past the first ten entries: in the shared frames.
        presence.set_status(22, PresenceStatus::Busy, Some("in a game".into()));
        let seen = subscriber(&presence);
        assert_eq!(
            (seen[&22].status, seen[&22].status_text.as_deref()),
            (PresenceStatus::Busy, Some("in a game"))
        );
        presence.set_activity(&people[13], true);
        assert_eq!(subscriber(&presence)[&23].status, PresenceStatus::Away);
        presence.rename(24, "p14 renamed");
        assert_eq!(subscriber(&presence)[&24].display_name, "p14 renamed");
        let (second_tab, _rx) = conn(500, 21, "p11");
        presence.connect(&second_tab, None);
        assert_eq!(subscriber(&presence)[&21].connections, 2);
        presence.disconnect(&people[10]);
        presence.flush(Instant::now(), &registry);
        let seen = subscriber(&presence);
        assert!(!seen.contains_key(&20), "gone after its grace period");
        assert_eq!(seen.len(), 14);
    }

    /// Random arrivals, departures, renames and subscribers joining between flushes: after every
    /// flush each subscriber's list is exactly the first names, and its total exactly everyone.
    #[test]
    fn every_subscriber_ends_each_window_with_the_exact_list() {
        let presence = Presence::new(Duration::ZERO, 4);
        let registry = Registry::default();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut online: BTreeMap<i64, Arc<ConnHandle>> = BTreeMap::new();
        let mut watchers: Vec<(View, Rx, Arc<ConnHandle>)> = Vec::new();
        let mut conn_id = 1000;
        let t0 = Instant::now();
        for round in 0..300u64 {
            for _ in 0..next(4) {
                conn_id += 1;
                let user = i64::try_from(next(30)).unwrap();
                match next(3) {
                    0 | 1 if !online.contains_key(&user) => {
                        let name =
                            format!("{}{user}", ["x", "B", "m", "a"][usize::try_from(next(4)).unwrap()]);
                        let (c, _) = conn(conn_id, user, &name);
                        presence.connect(&c, None);
                        online.insert(user, c);
                    }
                    _ => {
                        if let Some(c) = online.remove(&user) {
                            presence.disconnect(&c);
                        }
                    }
                }
                if next(5) == 0 {
                    conn_id += 1;
                    let (c, rx) = conn(conn_id, 100 + i64::try_from(watchers.len()).unwrap(), "~watcher");
                    presence.subscribe(&c, &registry, None);
                    watchers.push((View::default(), rx, c));
                }
            }
            presence.flush(t0 + Duration::from_secs(2 * round), &registry);
            let mut expected: Vec<(String, i64)> =
                online.values().map(|c| (c.user.display_name.to_lowercase(), c.user.id)).collect();
            expected.sort();
            let want: Vec<i64> = expected.iter().take(4).map(|(_, id)| *id).collect();
            for (view, rx, _) in &mut watchers {
                view.apply(rx);
                let mut got: Vec<i64> = view.users.keys().copied().collect();
                got.sort_unstable();
                let mut want = want.clone();
                want.sort_unstable();
                assert_eq!(got, want, "round {round}");
                assert_eq!(view.total as usize, online.len(), "round {round}");
            }
        }
        assert!(watchers.len() > 20);
    }
}
