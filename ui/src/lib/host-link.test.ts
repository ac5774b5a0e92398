import { describe, expect, it } from 'vitest';
import { hostLinkError, readHostToken, withoutHostParam } from './host-link';

describe('host links', () => {
  it('read the token from the query', () => {
    expect(readHostToken('?host=abc123')).toEqual({ token: 'abc123' });
    expect(readHostToken('?x=1&host=t%2B1')).toEqual({ token: 't+1' });
    expect(readHostToken('?host=')).toBeNull();
    expect(readHostToken('')).toBeNull();
  });

  it('drop only the host parameter from the address', () => {
    expect(withoutHostParam('http://h:1/?host=abc')).toBe('/');
    expect(withoutHostParam('http://h:1/party/ABCD?x=1&host=abc#top')).toBe('/party/ABCD?x=1#top');
  });

  it('explain a refused token', () => {
    expect(hostLinkError('forbidden', 'Forbidden')).toMatch(/already used/);
    expect(hostLinkError('unavailable', 'The hub cannot be reached.')).toBe('The host link did not work: The hub cannot be reached.');
  });
});
