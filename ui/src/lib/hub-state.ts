// The hub's roles and moderation state as this user sees it: hub_state frames, mutes per room, announcements dismissed in this tab.

import type { Announcement, HubState, Permissions, Role, ServerFrame, StaffMember } from './protocol';

/** What the views read (replaced on every change). */
export interface HubStateView {
  /** This user's role; `guest` until the first hub_state. */
  role: Role;
  /** Whether a hub_state has arrived on this client (the role is known). */
  known: boolean;
  staff: readonly StaffMember[];
  permissions: Permissions | null;
  /** Every announcement this user can read, newest first. */
  announcements: readonly Announcement[];
  /** Ids dismissed in this tab. */
  dismissed: ReadonlySet<number>;
  /** End of the hub-wide mute (server ms), or null. */
  mutedUntil: number | null;
  /** End of each room mute (server ms), by channel. */
  roomMutes: Readonly<Record<string, number>>;
}

type Moderated = Extract<ServerFrame, { type: 'moderated' }>;

const DISMISSED_KEY = 'hubbub.announcements.dismissed';

function sessionStore(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

/** The staff role of a user, or null when they are a guest (or unknown). */
export function staffRole(staff: readonly StaffMember[], userId: number): Role | null {
  const found = staff.find((s) => s.user_id === userId);
  return found && found.role !== 'guest' ? found.role : null;
}

/** The announcements to show over a channel: the hub-wide ones and that room's, not dismissed, newest first. */
export function bannersFor(view: Pick<HubStateView, 'announcements' | 'dismissed'>, channel: string | null): Announcement[] {
  return view.announcements.filter((a) => !view.dismissed.has(a.id) && (a.channel === undefined || a.channel === channel));
}

export class HubStateBook {
  private state: HubState | null = null;
  private readonly roomMutes = new Map<string, number>();
  private readonly dismissed: Set<number>;
  private readonly storage: Storage | null;

  /** `storage` keeps the dismissed ids for this tab (sessionStorage by default). */
  constructor(storage: Storage | null = sessionStore()) {
    this.storage = storage;
    this.dismissed = new Set(this.loadDismissed());
  }

  get role(): Role {
    return this.state?.role ?? 'guest';
  }

  /** A `hub_state` frame: the whole state, replacing the last one (room mutes included). */
  apply(state: HubState): void {
    this.state = state;
    this.roomMutes.clear();
    for (const m of state.room_mutes ?? []) this.roomMutes.set(m.channel, m.until);
  }

  /** A `moderated` frame: shows a mute or unmute at once, before the next `hub_state`. */
  moderated(frame: Moderated): void {
    if (!frame.channel) {
      // The hub-wide mute also comes in the next hub_state; this makes it show at once.
      if (this.state && frame.sanction === 'muted') this.state = { ...this.state, muted_until: frame.until };
      if (this.state && frame.sanction === 'unmuted') this.state = { ...this.state, muted_until: undefined };
      return;
    }
    if (frame.sanction === 'muted' && frame.until !== undefined) this.roomMutes.set(frame.channel, frame.until);
    if (frame.sanction === 'unmuted') this.roomMutes.delete(frame.channel);
  }

  /** Hides an announcement in this tab. */
  dismiss(id: number): void {
    this.dismissed.add(id);
    try {
      this.storage?.setItem(DISMISSED_KEY, JSON.stringify([...this.dismissed]));
    } catch {
      // Not remembering it across a reload is fine.
    }
  }

  view(): HubStateView {
    const s = this.state;
    return {
      role: s?.role ?? 'guest',
      known: s !== null,
      staff: s?.staff ?? [],
      permissions: s?.permissions ?? null,
      announcements: [...(s?.announcements ?? [])].sort((a, b) => b.created_at - a.created_at || b.id - a.id),
      dismissed: new Set(this.dismissed),
      mutedUntil: s?.muted_until ?? null,
      roomMutes: Object.fromEntries(this.roomMutes),
    };
  }

  private loadDismissed(): number[] {
    try {
      const raw = this.storage?.getItem(DISMISSED_KEY);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed) ? parsed.filter((n): n is number => typeof n === 'number') : [];
    } catch {
      return [];
    }
  }
}
