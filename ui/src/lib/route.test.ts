import { describe, expect, it } from 'vitest';
import { normalizeCode, parseRoute, routePath } from './route';

describe('normalizeCode', () => {
  it('upper-cases and drops spaces and dashes', () => {
    expect(normalizeCode(' ab-cd ')).toBe('ABCD');
    expect(normalizeCode('x7 k2')).toBe('X7K2');
  });

  it('refuses what cannot be a code', () => {
    expect(normalizeCode('ab')).toBeNull();
    expect(normalizeCode('A'.repeat(13))).toBeNull();
    expect(normalizeCode('AB!D')).toBeNull();
    expect(normalizeCode('')).toBeNull();
  });
});

describe('parseRoute and routePath', () => {
  it('reads party pages, player and host', () => {
    expect(parseRoute('/party/abcd')).toEqual({ kind: 'party', code: 'ABCD', host: false });
    expect(parseRoute('/party/ABCD/host/')).toEqual({ kind: 'party', code: 'ABCD', host: true });
  });

  it('reads a place page by its id', () => {
    expect(parseRoute('/place/12')).toEqual({ kind: 'place', id: 12 });
    expect(parseRoute('/place/12/')).toEqual({ kind: 'place', id: 12 });
  });

  it('reads the console and the inspector', () => {
    expect(parseRoute('/console')).toEqual({ kind: 'console' });
    expect(parseRoute('/inspector/')).toEqual({ kind: 'inspector' });
  });

  it('shows the chat for anything else', () => {
    for (const path of ['/console/x', '/Console', '/inspector/1', '/', '/party', '/party/AB', '/party/ABCD/other', '/party/ABCD/host/x', '/rooms/1', '/party/%E0%A4%A', '/place', '/place/0', '/place/x', '/place/1/2', '/place/-3']) {
      expect(parseRoute(path)).toEqual({ kind: 'chat' });
    }
  });

  it('turns routes back into the paths they came from', () => {
    expect(routePath({ kind: 'chat' })).toBe('/');
    for (const path of ['/party/ABCD', '/party/X7K2/host', '/place/7', '/console', '/inspector']) expect(routePath(parseRoute(path))).toBe(path);
  });
});
