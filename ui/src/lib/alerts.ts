// Sound and vibration when someone mentions you or writes to you directly: two switches kept in localStorage, and the alert itself.

import type { NotificationKind } from './protocol';
import { Sounds } from './sound';

export interface AlertSettings {
  sound: boolean;
  vibrate: boolean;
}

export const DEFAULT_ALERTS: AlertSettings = { sound: true, vibrate: true };
const STORAGE_KEY = 'hubbub.alerts.v1';

/** The kinds that alert: someone asked for you personally. */
const ALERTING: ReadonlySet<NotificationKind> = new Set<NotificationKind>(['mention', 'dm_message', 'dm_request']);

export function alerts(kind: NotificationKind): boolean {
  return ALERTING.has(kind);
}

function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The switches kept in `storage`, or the defaults for anything missing or broken. */
export function loadAlertSettings(storage: Storage | null): AlertSettings {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    if (!raw) return { ...DEFAULT_ALERTS };
    const parsed = JSON.parse(raw) as Partial<AlertSettings>;
    return { sound: parsed.sound !== false, vibrate: parsed.vibrate !== false };
  } catch {
    return { ...DEFAULT_ALERTS };
  }
}

/** The switches, as a Svelte-compatible store, and the alert they govern. */
export class Alerts {
  private settings: AlertSettings;
  private readonly listeners = new Set<(s: AlertSettings) => void>();
  private sounds: Sounds | null = null;

  constructor(private readonly storage: Storage | null = defaultStorage()) {
    this.settings = loadAlertSettings(storage);
  }

  subscribe(run: (s: AlertSettings) => void): () => void {
    this.listeners.add(run);
    run(this.settings);
    return () => {
      this.listeners.delete(run);
    };
  }

  get current(): AlertSettings {
    return this.settings;
  }

  set(patch: Partial<AlertSettings>): void {
    this.settings = { ...this.settings, ...patch };
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(this.settings));
    } catch {
      // Not kept across a reload; it still applies now.
    }
    for (const run of this.listeners) run(this.settings);
    // Switching sound on is a gesture: let the audio start for later alerts.
    if (patch.sound) this.player().unlock();
  }

  /** Sounds and vibrates (as switched on) for a notification of `kind`; true when it alerted. */
  notify(kind: NotificationKind): boolean {
    if (!alerts(kind)) return false;
    if (this.settings.sound) this.player().play('mention');
    if (this.settings.vibrate && typeof navigator !== 'undefined') navigator.vibrate?.([60, 40, 60]);
    return this.settings.sound || this.settings.vibrate;
  }

  private player(): Sounds {
    // Its own player (not the party's mute), with no settings of its own to keep.
    this.sounds ??= new Sounds(null);
    return this.sounds;
  }
}

/** The one set of switches of this page. */
export const pageAlerts = new Alerts();
