import { describe, expect, it } from 'vitest';
import { admittedFor, placePath, placeQrUrl, readPlaceKey } from './places';
import type { PlaceVisit } from './protocol';

const visit = (admitted_until?: number): PlaceVisit => ({
  place: { id: 3, name: 'Table 3', created_at: 0, url: 'http://hub/place/3', channel: 'room:_place-3' },
  checked_in_at: admitted_until === undefined ? undefined : admitted_until - 12 * 3_600_000,
  admitted_until,
  window_hours: 12,
});

describe('places', () => {
  it('reads the key of a QR code link and nothing else', () => {
    expect(readPlaceKey('?key=0a1b2c3d4e5f60718293a4b5')).toBe('0a1b2c3d4e5f60718293a4b5');
    expect(readPlaceKey('')).toBeNull();
    expect(readPlaceKey('?key=')).toBeNull();
    expect(readPlaceKey('?key=<script>')).toBeNull();
  });

  it('builds the page and QR paths', () => {
    expect(placePath(3)).toBe('/place/3');
    expect(placeQrUrl(3)).toBe('/api/admin/places/3/qr.svg');
  });

  it('says how long a check-in still admits, and nothing once expired', () => {
    expect(admittedFor(visit(10 * 60_000), 0)).toBe('10 min');
    expect(admittedFor(visit(150 * 60_000), 0)).toBe('2 h 30 min');
    expect(admittedFor(visit(1000), 1000)).toBeNull();
    expect(admittedFor(visit(), 0)).toBeNull();
  });
});
