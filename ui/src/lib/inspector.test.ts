import { describe, expect, it } from 'vitest';
import { CLIENT_FRAME_TYPES, FrameLog, checkFrame, frameChannel, template, templateText } from './inspector';
import protocolSource from './protocol.ts?raw';

/** The `type` of every variant of the ClientFrame union, read from the generated protocol itself. */
function protocolClientTypes(): string[] {
  const start = protocolSource.indexOf('export type ClientFrame =');
  if (start < 0) throw new Error('no ClientFrame in protocol.ts');
  const end = protocolSource.indexOf('\nexport ', start + 1);
  const union = protocolSource.slice(start, end < 0 ? undefined : end);
  return [...union.matchAll(/\{ "type": "([a-z_]+)"/g)].map((m) => m[1]);
}

describe('templates', () => {
  it('cover every client frame type of the protocol, and nothing else', () => {
    const fromProtocol = protocolClientTypes();
    expect(fromProtocol.length).toBeGreaterThan(10);
    expect([...CLIENT_FRAME_TYPES].sort()).toEqual([...new Set(fromProtocol)].sort());
  });

  it('are each a frame of their own type that checks out', () => {
    for (const type of CLIENT_FRAME_TYPES) {
      const checked = checkFrame(templateText(type));
      expect(checked).toMatchObject({ ok: true, known: true });
      if (checked.ok) expect(checked.frame.type).toBe(type);
    }
  });

  it('take the channel on screen and fresh ids, without changing the table', () => {
    let n = 0;
    const frame = template('send_message', { channel: 'room:games', newId: () => `id${++n}` });
    expect(frame).toMatchObject({ channel: 'room:games', ref: 'inspector:id1', client_message_id: 'id2' });
    expect(template('send_message')).toMatchObject({ channel: 'room:lobby', ref: 'i1', client_message_id: '' });
    expect(template('ping', { channel: 'room:games' })).toEqual({ type: 'ping', ref: 'i1' });
  });
});

describe('checkFrame', () => {
  it('says what is wrong', () => {
    expect(checkFrame('{"type":')).toMatchObject({ ok: false });
    expect((checkFrame('{"type":') as { error: string }).error).toMatch(/^Not JSON/);
    expect(checkFrame('[1]')).toEqual({ ok: false, error: 'A frame is a JSON object.' });
    expect(checkFrame('{"body":"x"}')).toEqual({ ok: false, error: 'A frame needs a string "type".' });
  });

  it('lets an unknown type through, marked as such, compacted', () => {
    expect(checkFrame('{ "type": "nope" }')).toEqual({ ok: true, frame: { type: 'nope' }, text: '{"type":"nope"}', known: false });
  });
});

describe('FrameLog', () => {
  it('records direction, type, channel and UTF-8 size', () => {
    const log = new FrameLog();
    const text = '{"type":"message","channel":"room:lobby","body":"é"}';
    log.record('in', text, 5);
    log.record('out', 'not json', 6);
    expect(log.list()).toMatchObject([
      { seq: 1, at: 5, dir: 'in', type: 'message', channel: 'room:lobby', bytes: text.length + 1 },
      { seq: 2, dir: 'out', type: '?', channel: null, bytes: 8 },
    ]);
  });

  it('finds the channel of room updates and party frames', () => {
    expect(frameChannel({ type: 'room_update', room: { channel: 'room:a' } })).toBe('room:a');
    expect(frameChannel({ type: 'player_ready', code: 'ABCD' })).toBe('party:ABCD');
    expect(frameChannel({ type: 'session_update', party: { code: 'WXYZ' } })).toBe('party:WXYZ');
    expect(frameChannel({ type: 'pong' })).toBeNull();
  });

  it('filters by channel, type and direction', () => {
    const log = new FrameLog();
    log.record('in', '{"type":"message","channel":"room:a"}');
    log.record('in', '{"type":"message","channel":"room:b"}');
    log.record('out', '{"type":"ping"}');
    expect(log.list({ channel: 'room:b', type: '', dir: '' })).toHaveLength(1);
    expect(log.list({ channel: '-', type: '', dir: '' }).map((e) => e.type)).toEqual(['ping']);
    expect(log.list({ channel: '', type: 'message', dir: 'in' })).toHaveLength(2);
    expect(log.list({ channel: '', type: '', dir: 'out' })).toHaveLength(1);
    expect(log.facets()).toEqual({ channels: ['room:a', 'room:b'], types: ['message', 'ping'] });
  });

  it('holds frames while paused and keeps only the newest', () => {
    const log = new FrameLog(3);
    log.record('in', '{"type":"a"}');
    log.setPaused(true);
    log.record('in', '{"type":"b"}');
    log.record('in', '{"type":"c"}');
    log.record('in', '{"type":"d"}');
    expect(log.list().map((e) => e.type)).toEqual(['a']);
    expect(log.waiting).toBe(3);
    log.setPaused(false);
    expect(log.list().map((e) => e.type)).toEqual(['b', 'c', 'd']);
    log.clear();
    expect(log.list()).toEqual([]);
  });
});
