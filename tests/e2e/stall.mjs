// Test helper: a TCP relay in front of the hub whose traffic can be stalled (held, not closed), like a phone whose Wi-Fi went silent: neither end sees a close, nothing gets through.
import net from 'node:net';

/**
 * Starts a relay on a free loopback port that forwards to `hub.port`. `stall()` stops forwarding
 * in both directions (bytes wait in the relay), `resume()` lets them through again, `cut()` closes
 * every connection. Pages that should stall open `relay.url` instead of `hub.url`.
 */
export async function startRelay(hub) {
  const pairs = new Set();
  let stalled = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(hub.port, '127.0.0.1');
    const pair = { client, upstream, held: [] };
    pairs.add(pair);
    const forward = (from, to) => {
      from.on('data', (chunk) => {
        if (stalled) pair.held.push([to, chunk]);
        else to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      // A stalled network carries no close either: the other end learns of it once traffic flows again.
      if (stalled) {
        pair.closing = true;
        return;
      }
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    pair.close = close;
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const pair of [...pairs]) {
        for (const [to, chunk] of pair.held.splice(0)) if (!to.destroyed) to.write(chunk);
        if (pair.closing) pair.close();
      }
    },
    cut() {
      stalled = false;
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
    },
    async close() {
      this.cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
