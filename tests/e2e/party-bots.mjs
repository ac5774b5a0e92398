// Test helper: extra party players without a browser each: users joined over REST, their sockets opened inside one page, each taking a seat, readying up and answering every question after a short, varied delay.

/** Joins `name` as a guest of `hub` over REST; returns its socket token. */
async function guestToken(hub, name) {
  const joined = await fetch(`${hub.url}/api/join`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ display_name: name }),
  });
  if (!joined.ok) throw new Error(`joining as ${name}: ${joined.status} ${await joined.text()}`);
  const { session } = await joined.json();
  const res = await fetch(`${hub.url}/api/auth/ws-token`, { headers: { Authorization: `Bearer ${session}` } });
  if (!res.ok) throw new Error(`ws token for ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

/**
 * Seats `names` in party `code` as players driven by sockets in `page` (a page of the hub's origin):
 * each readies up and answers each question (a bot's pick depends on its index, so answers differ).
 * Resolves once every bot's `party_join` was acknowledged.
 */
export async function addBots(page, hub, code, names) {
  const tokens = [];
  for (const name of names) tokens.push({ name, token: await guestToken(hub, name) });
  const wsBase = hub.url.replace(/^http/, 'ws');
  await page.evaluate(
    async ({ tokens, wsBase, code }) => {
      window.partyBots ??= [];
      const opened = tokens.map(
        ({ name, token }, i) =>
          new Promise((resolve, reject) => {
            const index = window.partyBots.length + i;
            const ws = new WebSocket(`${wsBase}/ws?token=${encodeURIComponent(token)}`);
            let n = 0;
            const send = (frame) => ws.send(JSON.stringify({ ...frame, ref: `bot${index}-${n++}` }));
            const answered = new Set();
            const answer = (clock, question) => {
              if (!question || clock.phase !== 'question' || answered.has(clock.round)) return;
              answered.add(clock.round);
              const choices = question.choices.length;
              let a;
              if (question.kind === 'number') {
                const base = /year/i.test(question.prompt) ? 1969 : /keys/i.test(question.prompt) ? 88 : 50;
                a = { kind: 'number', value: base + [1, -3, 7, 0, -12, 25, 4, -1, 40, 2][index % 10] };
              } else if (question.kind === 'multi') {
                a = { kind: 'choices', indices: [[0, 2], [0], [1, 2], [0, 2], [2, 3]][index % 5].filter((x) => x < choices) };
              } else {
                a = { kind: 'choice', index: [1, 0, 1, 2, 1, 3, 0, 1][index % 8] % choices };
              }
              setTimeout(() => send({ type: 'party_answer', code, round: clock.round, answer: a }), 300 + ((index * 397) % 2200));
            };
            ws.onmessage = (ev) => {
              const frame = JSON.parse(ev.data);
              if (frame.type === 'connection_established') {
                send({ type: 'party_join', code });
                setTimeout(() => send({ type: 'party_ready', code, ready: true }), 150 + index * 120);
              } else if (frame.type === 'ack' && frame.ref === `bot${index}-0`) {
                resolve();
              } else if (frame.type === 'error' && frame.ref === `bot${index}-0`) {
                reject(new Error(`${name} could not join: ${frame.code}`));
              } else if (frame.type === 'phase_transition' && frame.code === code) {
                answer(frame.clock, frame.question);
              } else if (frame.type === 'session_update' && frame.party.code === code) {
                answer(frame.party.clock, frame.party.question);
              }
            };
            ws.onerror = () => reject(new Error(`${name}'s socket failed`));
            window.partyBots.push({ name, ws });
          }),
      );
      await Promise.all(opened);
    },
    { tokens, wsBase, code },
  );
}
