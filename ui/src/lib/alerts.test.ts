import { describe, expect, it, vi } from 'vitest';
import { Alerts, DEFAULT_ALERTS, loadAlertSettings } from './alerts';

function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (k) => data.get(k) ?? null,
    key: (i) => [...data.keys()][i] ?? null,
    removeItem: (k) => void data.delete(k),
    setItem: (k, v) => void data.set(k, v),
  };
}

describe('alert switches', () => {
  it('are on by default and remembered once switched', () => {
    const storage = memoryStorage();
    expect(loadAlertSettings(storage)).toEqual(DEFAULT_ALERTS);
    const a = new Alerts(storage);
    a.set({ vibrate: false });
    expect(new Alerts(storage).current).toEqual({ sound: true, vibrate: false });
    storage.setItem('hubbub.alerts.v1', '{broken');
    expect(loadAlertSettings(storage)).toEqual(DEFAULT_ALERTS);
  });

  it('alert for mentions and direct messages only, as switched', () => {
    const vibrate = vi.fn(() => true);
    vi.stubGlobal('navigator', { vibrate });
    const a = new Alerts(memoryStorage());
    a.set({ sound: false });
    expect(a.notify('ping')).toBe(false);
    expect(vibrate).not.toHaveBeenCalled();
    expect(a.notify('mention')).toBe(true);
    expect(vibrate).toHaveBeenCalledTimes(1);
    a.set({ vibrate: false });
    expect(a.notify('dm_message')).toBe(false);
    expect(vibrate).toHaveBeenCalledTimes(1);
    vi.unstubAllGlobals();
  });
});
