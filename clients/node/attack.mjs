// A scripted attack run: starts a release build of the server on a fresh SQLite file (with the default
// soft limit of 1,024 open files, as a fresh machine gives it), then replays, class by class, what a
// hostile anonymous client (or a customer) can send, while a normal storefront client lists products
// beside it. Per class it prints the CPU seconds the server spent, its peak RSS and the normal client's
// p99 latency and failures. Bounded in time: each class runs for SECONDS (default 6), every request has
// a timeout, and the whole run stops by itself. Only loopback is targeted.
//
//   cargo build --release && node clients/node/attack.mjs target/release/multistore [SECONDS]

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';

const binary = process.argv[2];
const seconds = Number(process.argv[3] ?? 6);
if (!binary) {
  console.error('usage: node attack.mjs PATH_TO_MULTISTORE [SECONDS_PER_CLASS]');
  process.exit(2);
}

const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'multistore-attack-'));
const server = spawn('sh', ['-c', `ulimit -Sn 1024 && exec "${binary}"`], {
  env: {
    ...process.env,
    DATABASE_URL: join(dir, 'attack.db'),
    MULTISTORE_BIND: `127.0.0.1:${port}`,
    MULTISTORE_JWT_SECRET: 'attack-secret-attack-secret-attack-secret',
    MULTISTORE_BCRYPT_COST: '10',
    MULTISTORE_LOG: 'error',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const hardStop = setTimeout(() => {
  console.error('the run took too long; stopping');
  server.kill('SIGKILL');
  process.exit(1);
}, (seconds * 10 + 180) * 1000);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function gql(query, { variables = {}, token, tenant = 'shop.example.com', timeout = 10000, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (tenant) headers['x-tenant-domain'] = tenant;
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers,
    body: body ?? JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await response.text();
  return { status: response.status, bytes: text.length, json: () => JSON.parse(text) };
}

// What the server process has used: CPU seconds (user + system) and its peak RSS since the last reset.
function cpuSeconds() {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
function peakRssMb() {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}
function resetPeak() {
  try {
    writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
  } catch {
    // not permitted: the peak is then the process's whole life
  }
}

async function setUp() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {}
    await sleep(50);
  }
  const vendor = await gql(
    `mutation { registerVendor(input: { storeName: "Shop", domain: "shop.example.com", username: "owner",
      email: "o@shop.example.com", password: "password123" }) { accessToken } }`,
    { tenant: null },
  );
  const owner = vendor.json().data.registerVendor.accessToken;
  const ids = [];
  for (let i = 0; i < 100; i++) {
    const made = await gql(
      `mutation($n: String!, $d: String) { createProduct(input: { name: $n, description: $d, price: "1.00", stock: 1000000 }) { id } }`,
      { token: owner, variables: { n: `${i} ${'n'.repeat(250)}`, d: 'd'.repeat(10000) } },
    );
    ids.push(made.json().data.createProduct.id);
  }
  const signup = await gql(
    `mutation { register(input: { username: "buyer", email: "b@x.org", password: "password123" }) { accessToken } }`,
  );
  const customer = signup.json().data.register.accessToken;
  const items = ids.map((productId) => ({ productId, quantity: 1 }));
  for (let i = 0; i < 30; i++) {
    await gql('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', {
      token: customer,
      variables: { i: { items, address: '1 Road' } },
    });
  }
  return { owner, customer };
}

// One storefront request on a connection of its own, as a new visitor makes it; resolves to the status.
function visit(timeout) {
  const body = JSON.stringify({ query: '{ products(first: 20) { nodes { id name price } } }' });
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${base}/graphql`,
      {
        method: 'POST',
        agent: false,
        timeout,
        headers: { 'content-type': 'application/json', 'x-tenant-domain': 'shop.example.com', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(body);
  });
}

// The normal client: a storefront listing products, one new visitor after another.
function normalClient() {
  const latencies = [];
  let failures = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      try {
        if ((await visit(5000)) !== 200) failures++;
      } catch {
        failures++;
      }
      latencies.push(performance.now() - started);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      latencies.sort((a, b) => a - b);
      const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? NaN;
      return { requests: latencies.length, failures, p99 };
    },
  };
}

// Runs `attack` (which gets a deadline and returns a short description of what it achieved) for the
// class's time, with the normal client beside it.
async function runClass(name, attack) {
  await sleep(500);
  resetPeak();
  const cpuBefore = cpuSeconds();
  const normal = normalClient();
  const deadline = Date.now() + seconds * 1000;
  let outcome;
  try {
    outcome = await attack(deadline);
  } catch (err) {
    outcome = `attack failed: ${err.message}`;
  }
  const client = await normal.stop();
  // Work the server goes on doing after its clients gave up is part of the class's cost: wait until
  // it is idle again (at most 60 s).
  for (let settled = Date.now() + 60000; Date.now() < settled; ) {
    const before = cpuSeconds();
    await sleep(500);
    if (cpuSeconds() - before < 0.03) break;
  }
  const row = {
    class: name,
    cpuSeconds: Number((cpuSeconds() - cpuBefore).toFixed(2)),
    peakRssMb: Number(peakRssMb().toFixed(1)),
    normalP99Ms: Number(client.p99.toFixed(1)),
    normalFailures: client.failures,
    normalRequests: client.requests,
    outcome,
  };
  console.log(JSON.stringify(row));
  return row;
}

// Repeats `one` with `concurrency` workers until the deadline; counts answers by what `one` returns.
async function repeat(deadline, concurrency, one) {
  const counts = {};
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        let what;
        try {
          what = await one();
        } catch (err) {
          what = err.name === 'TimeoutError' ? 'timeout' : 'error';
        }
        counts[what] = (counts[what] ?? 0) + 1;
      }
    }),
  );
  return JSON.stringify(counts);
}

const code = (answer) => {
  try {
    const body = answer.json();
    const first = Array.isArray(body) ? body[0] : body;
    return first.errors?.[0]?.extensions?.code ?? `ok ${answer.bytes} bytes`;
  } catch {
    return `http ${answer.status}`;
  }
};

function fragmentBomb(levels) {
  let query = 'query { ...F0 }\n';
  for (let i = 0; i < levels; i++) query += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
  return query + `fragment F${levels} on Query { vendor { id } }\n`;
}

async function main() {
  const { owner, customer } = await setUp();
  const rows = [];
  rows.push(await runClass('fragments (1 KB, 22 levels)', (deadline) =>
    repeat(deadline, 2, async () => code(await gql(fragmentBomb(22), { timeout: 5000 })))));

  rows.push(await runClass('parse cost (250 KB of one-letter fields)', (deadline) =>
    repeat(deadline, 2, async () => code(await gql(`{ ${'a '.repeat(120000)} }`, { timeout: 10000 })))));

  let junk = 0;
  rows.push(await runClass('parse cache (batches of 10 distinct 15 KB documents)', (deadline) =>
    repeat(deadline, 4, async () => {
      const batch = Array.from({ length: 10 }, () => ({ query: `{ vendor { id } } # ${junk++} ${'x'.repeat(15 * 1024)}` }));
      return code(await gql(null, { body: JSON.stringify(batch) }));
    })));

  rows.push(await runClass('websocket (3 MB message; 2,000 subscriptions on one socket)', async () => {
    const open = () => new Promise((resolve, reject) => {
      const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql/ws`, 'graphql-transport-ws');
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${owner}` } })));
      socket.on('message', (data) => {
        if (JSON.parse(data).type === 'connection_ack') resolve(socket);
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error('no ack')), 5000);
    });
    const big = await open();
    const closed = new Promise((resolve) => big.on('close', (code) => resolve(code)));
    big.send(JSON.stringify({ id: 'big', type: 'subscribe', payload: { query: `{ __typename } # ${'x'.repeat(3 * 1024 * 1024)}` } }));
    const bigOutcome = await Promise.race([closed, sleep(3000).then(() => 'still open')]);
    big.terminate();
    const many = await open();
    let refusedCount = 0;
    many.on('message', (data) => {
      const message = JSON.parse(data);
      if (message.type === 'error' || message.payload?.errors) refusedCount++;
    });
    for (let i = 0; i < 2000; i++) {
      many.send(JSON.stringify({ id: `s${i}`, type: 'subscribe', payload: { query: 'subscription { orderUpdated { id status } }' } }));
    }
    await sleep(1500);
    // One event fans out to every subscription of the socket.
    const order = await gql('{ orders(first: 1) { nodes { id } } }', { token: owner });
    const id = order.json().data.orders.nodes[0].id;
    await gql(`mutation { updateOrderStatus(id: "${id}", status: PROCESSING) { id } }`, { token: owner });
    await sleep(1500);
    many.terminate();
    return `3 MB message: ${bigOutcome}; subscriptions refused: ${refusedCount} of 2000`;
  }));

  const lines = 'items { productName product { name description } }';
  const aliased = Array.from({ length: 8 }, (_, i) => `o${i}: myOrders(first: 100) { nodes { ${lines} } }`).join(' ');
  rows.push(await runClass('lists (8 aliased pages of 100-line orders, as a customer)', (deadline) =>
    repeat(deadline, 2, async () => code(await gql(`{ ${aliased} }`, { token: customer, timeout: 10000 })))));

  let signup = 0;
  // The largest answer the cost limit lets through: every product's longest texts, names aliased.
  const names = Array.from({ length: 23 }, (_, i) => `n${i}: name`).join(' ');
  rows.push(await runClass('largest allowed answer (100 products, 10,000-character descriptions, 23 names each)', async () => {
    const answer = await gql(`{ products(first: 100) { nodes { description ${names} } } }`, { timeout: 20000 });
    return `${code(answer)}`;
  }));

  rows.push(await runClass('password hashing (60 aliased register fields)', (deadline) =>
    repeat(deadline, 1, async () => {
      const fields = Array.from({ length: 60 }, () => {
        const n = signup++;
        return `r${n}: register(input: { username: "user${n}", email: "u${n}@x.org", password: "password123" }) { accessToken }`;
      }).join(' ');
      return code(await gql(`mutation { ${fields} }`, { timeout: 20000 }));
    })));

  // Held past the 10 s deadline for a request head.
  rows.push(await runClass('slow clients (1,200 half-sent request heads, held 12 s)', async () => {
    const deadline = Date.now() + 12000;
    const sockets = [];
    let refused = 0;
    for (let i = 0; i < 1200; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.on('close', () => refused++);
      socket.write('POST /graphql HTTP/1.1\r\nHost: shop\r\n');
      sockets.push(socket);
      if (i % 100 === 99) await sleep(20);
    }
    await sleep(Math.max(0, deadline - Date.now()));
    const closedByServer = refused;
    for (const socket of sockets) socket.destroy();
    return `closed by the server within the class: ${closedByServer} of 1200`;
  }));

  // A customer with a long history asks for it a hundred times over one socket and never reads: the
  // replays fill the socket's buffers and then wait, holding no database connection.
  const address = 'A'.repeat(500);
  const productId = (await gql('{ products(first: 1) { nodes { id } } }')).json().data.products.nodes[0].id;
  for (let i = 0; i < 250; i++) {
    const placed = await gql('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', {
      token: customer,
      variables: { i: { items: [{ productId, quantity: 1 }], address } },
    });
    await gql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { token: customer, variables: { id: placed.json().data.placeOrder.id } });
  }
  const mine = await gql('{ myOrders(first: 100) { nodes { events { id } } } }', { token: customer });
  const firstEvent = Math.min(...mine.json().data.myOrders.nodes.flatMap((order) => order.events.map((event) => Number(event.id))));
  rows.push(await runClass('unread socket (100 replays of 500+ events, never read)', async (deadline) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql/ws`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${customer}` } })));
      socket.on('message', (data) => {
        if (JSON.parse(data).type === 'connection_ack') resolve();
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error('no ack')), 5000);
    });
    const query = 'subscription($after: ID) { orderEvents(after: $after) { id kind order { id address status } } }';
    for (let i = 0; i < 100; i++) {
      socket.send(JSON.stringify({ id: `r${i}`, type: 'subscribe', payload: { query, variables: { after: String(firstEvent) } } }));
    }
    // Read nothing more from here on.
    socket._socket.pause();
    const closed = new Promise((resolve) => socket.on('close', () => resolve('dropped by the server')));
    const outcome = await Promise.race([closed, sleep(Math.max(0, deadline - Date.now())).then(() => 'still open')]);
    socket.terminate();
    return `socket: ${outcome}`;
  }));

  rows.push(await runClass('metrics (200 operations named with 100 KB of junk, then a scrape)', async () => {
    const name = `N${'x'.repeat(100 * 1024)}`;
    for (let i = 0; i < 200; i++) {
      await gql(null, { body: JSON.stringify({ query: `query ${name}${i} { vendor { id } }`, operationName: `${name}${i}` }) });
    }
    const started = performance.now();
    const scrape = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(20000) })).text();
    return `scrape: ${(scrape.length / 1e6).toFixed(2)} MB in ${(performance.now() - started).toFixed(0)} ms`;
  }));

  rows.push(await runClass('request ids (1,000 requests with an 8 KB X-Request-Id)', async () => {
    let echoed = 0;
    for (let i = 0; i < 1000; i++) {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant-domain': 'shop.example.com', 'x-request-id': `${i}${'r'.repeat(8192)}` },
        body: JSON.stringify({ query: '{ vendor { id } }' }),
      });
      await response.text();
      if ((response.headers.get('x-request-id') ?? '').length > 128) echoed++;
    }
    return `echoed at full length: ${echoed} of 1000`;
  }));

  console.log('\n| class | server CPU s | peak RSS MB | normal p99 ms | normal failures | outcome |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(`| ${row.class} | ${row.cpuSeconds} | ${row.peakRssMb} | ${row.normalP99Ms} | ${row.normalFailures}/${row.normalRequests} | ${row.outcome} |`);
  }
}

try {
  await main();
} finally {
  clearTimeout(hardStop);
  server.kill('SIGKILL');
}
process.exit(0);
