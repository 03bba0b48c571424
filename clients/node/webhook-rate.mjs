// How fast webhooks are delivered: a receiver on loopback (answers 200 to everything) is registered
// for ORDER_PLACED; customers place N orders of random products (of 50), 16 at a time; prints the order rate, the delivery rate
// and the time from an order's answer to its delivery. The server must run with
// MULTISTORE_WEBHOOK_ALLOW_PRIVATE=true (the receiver is on loopback).
//   MULTISTORE_URL=http://127.0.0.1:8000 node webhook-rate.mjs [orders]
import http from 'node:http';

const base = process.env.MULTISTORE_URL ?? 'http://127.0.0.1:8000';
const orders = Number(process.argv[2] ?? 2000);
const concurrency = 16;
const domain = `hooks-${Date.now().toString(36)}.example.com`;

const delivered = new Map(); // order id -> time of first delivery
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const id = JSON.parse(body).data.order.id;
    if (!delivered.has(id)) delivered.set(id, performance.now());
    res.writeHead(200).end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hook = `http://127.0.0.1:${receiver.address().port}/hook`;

async function gql(query, variables, token) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json', 'X-Tenant-Domain': domain,
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const owner = (await (await fetch(`${base}/graphql`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    query: 'mutation($i: RegisterVendorInput!) { registerVendor(input: $i) { accessToken } }',
    variables: { i: { storeName: 'Hooks', domain, username: 'owner', email: `owner@${domain}`, password: 'password123' } },
  }),
})).json()).data.registerVendor.accessToken;
await gql('mutation($u: String!) { createWebhook(input: { url: $u, events: [ORDER_PLACED] }) { secret } }', { u: hook }, owner);
// Many products, so orders do not queue on one product's stock.
const products = await Promise.all(Array.from({ length: 50 }, async () =>
  (await gql('mutation { createProduct(input: { name: "Watch", price: "1.00", stock: 1000000 }) { id } }', {}, owner)).createProduct.id));
const customers = await Promise.all(Array.from({ length: concurrency }, async (_, n) =>
  (await gql('mutation($i: RegisterInput!) { register(input: $i) { accessToken } }',
    { i: { username: `buyer${n}`, email: `buyer${n}@mail.example.org`, password: 'password123' } })).register.accessToken));

const answered = new Map(); // order id -> time its placeOrder was answered
const start = performance.now();
let next = 0;
await Promise.all(customers.map(async (token) => {
  while (next < orders) {
    next += 1;
    const placed = await gql('mutation($p: ID!) { placeOrder(input: { items: [{ productId: $p, quantity: 1 }], address: "1 Main Street" }) { id } }', { p: products[Math.floor(Math.random() * products.length)] }, token);
    answered.set(placed.placeOrder.id, performance.now());
  }
}));
const placedIn = performance.now() - start;
while (delivered.size < answered.size) await new Promise((resolve) => setTimeout(resolve, 5));
const deliveredIn = Math.max(...delivered.values()) - start;
const waits = [...answered].map(([id, at]) => delivered.get(id) - at).sort((a, b) => a - b);
const pct = (p) => waits[Math.min(waits.length - 1, Math.floor(waits.length * p))].toFixed(1);
console.log(`orders placed: ${answered.size} in ${(placedIn / 1000).toFixed(2)} s (${(answered.size / placedIn * 1000).toFixed(0)}/s)`);
console.log(`delivered: ${delivered.size} in ${(deliveredIn / 1000).toFixed(2)} s (${(delivered.size / deliveredIn * 1000).toFixed(0)}/s)`);
console.log(`order answered -> delivered: p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, p99 ${pct(0.99)} ms`);
receiver.close();
