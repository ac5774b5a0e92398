import { describe, expect, it } from 'vitest';
import { linkify, safeHref } from './linkify';

const links = (text: string) => linkify(text).filter((s) => s.kind === 'link');

describe('linkify', () => {
  it('turns http and https addresses into links and keeps the rest as text', () => {
    const segs = linkify('see https://example.com/a?b=1#c and http://10.0.0.2:8080/x');
    expect(segs).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'http://10.0.0.2:8080/x', href: 'http://10.0.0.2:8080/x' },
    ]);
    expect(segs.map((s) => s.text).join('')).toBe('see https://example.com/a?b=1#c and http://10.0.0.2:8080/x');
  });

  it('never links other schemes', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'vbscript:msgbox', 'ftp://host/x', 'mailto:a@b.c']) {
      expect(links(text)).toEqual([]);
      expect(linkify(text).map((s) => s.text).join('')).toBe(text);
    }
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('https://')).toBeNull();
  });

  it('leaves sentence punctuation and an unmatched closing bracket outside the link', () => {
    expect(links('go to https://example.com/x.')[0].text).toBe('https://example.com/x');
    expect(links('(see https://example.com/y)')[0].text).toBe('https://example.com/y');
    expect(links('wiki https://en.wikipedia.org/wiki/Foo_(bar), ok')[0].text).toBe('https://en.wikipedia.org/wiki/Foo_(bar)');
  });

  it('links www. addresses over https and ignores www inside words', () => {
    expect(links('try www.example.org!')[0]).toEqual({ kind: 'link', text: 'www.example.org', href: 'https://www.example.org/' });
    expect(links('awww.cute')).toEqual([]);
  });

  it('keeps markup as text', () => {
    const segs = linkify('<img src=x onerror=alert(1)> https://a.example/<script>');
    expect(segs[0]).toEqual({ kind: 'text', text: '<img src=x onerror=alert(1)> ' });
    expect(segs[1]).toMatchObject({ kind: 'link', text: 'https://a.example/' });
  });
});
