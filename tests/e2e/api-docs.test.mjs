// The hub's API descriptions, read by the tools client authors use: the OpenAPI document validates
// as OpenAPI 3.1 with swagger-parser, the AsyncAPI one parses with the AsyncAPI parser with no error
// or warning, and each lists what a real hub serves.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser } from '@asyncapi/parser';
import { startHub } from './hub.mjs';

let hub;

before(async () => {
  hub = await startHub();
});

after(async () => {
  await hub?.stop();
});

async function fetchJson(path) {
  const response = await fetch(`${hub.url}${path}`);
  assert.equal(response.status, 200, path);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path);
  return response.json();
}

test('the OpenAPI document is valid OpenAPI 3.1 and lists the REST routes', { timeout: 60_000 }, async () => {
  const doc = await fetchJson('/api/openapi.json');
  // validate() dereferences, so give it a copy and keep the original for the checks below.
  const api = await SwaggerParser.validate(structuredClone(doc));
  assert.equal(api.openapi, '3.1.0');
  for (const route of ['/api/join', '/api/rooms', '/api/parties/{code}', '/api/admin/users/{id}/kick']) {
    assert.ok(doc.paths[route], `${route} is described`);
  }
  assert.equal(doc.paths['/api/join'].post.requestBody.content['application/json'].schema.$ref,
    '#/components/schemas/JoinRequest');
});

test('the AsyncAPI document parses cleanly and lists every socket and frame', { timeout: 60_000 }, async () => {
  const doc = await fetchJson('/api/asyncapi.json');
  const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
  // Severity 0 is an error, 1 a warning; 2 and 3 are hints (such as a newer AsyncAPI version).
  const serious = diagnostics.filter((d) => d.severity <= 1);
  assert.deepEqual(serious.map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`), []);
  assert.ok(document, 'a parsed document');
  const addresses = document.channels().all().map((c) => c.address()).sort();
  assert.deepEqual(addresses, ['/notifications/ws', '/party/{code}/ws', '/users/online/ws', '/ws',
    '/ws/rooms/{id}', '/ws', '/qf/notifications/ws', '/qf/users/online/ws', '/qf/party/{sessionId}/ws',
    '/websocket/connect', '/ws/dms/{thread_id}', '/ws/user/{user_id}', '/ws/places/{place_id}/chat',
    '/ws/endpoint'].sort());
  const names = new Set(document.messages().all().map((m) => m.name()));
  for (const frame of ['subscribe', 'send_message', 'message', 'presence_diff', 'phase_transition', 'error']) {
    assert.ok(names.has(frame), `frame ${frame} is described`);
  }
  for (const message of document.messages().all()) {
    assert.ok((message.summary() ?? '').length > 10, `frame ${message.name()} has a summary`);
  }
});
