// How long a subscriber waits for an order event: the owner reassigns an order over HTTP on one instance
// (MULTISTORE_URL) while a subscriber listens on another (SUBSCRIBER_URL, the same one by default);
// prints the mutation's own latency and the time from sending it to hearing the event.
//   MULTISTORE_URL=http://127.0.0.1:8001 SUBSCRIBER_URL=http://127.0.0.1:8002 node latency.mjs [rounds]
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const base = process.env.MULTISTORE_URL ?? 'http://127.0.0.1:8000';
const listenerBase = process.env.SUBSCRIBER_URL ?? base;
const rounds = Number(process.argv[2] ?? 500);
const domain = `latency-${Date.now().toString(36)}.example.com`;

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

const owner = (await fetch(`${base}/graphql`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    query: 'mutation($i: RegisterVendorInput!) { registerVendor(input: $i) { accessToken } }',
    variables: { i: { storeName: 'Latency', domain, username: 'owner', email: `o@${domain}`, password: 'password123' } },
  }),
}).then((r) => r.json())).data.registerVendor.accessToken;
const staff = [];
for (const name of ['staff1', 'staff2']) {
  staff.push((await gql('mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }',
    { i: { username: name, email: `${name}@${domain}`, password: 'password123' } }, owner)).createStaff.id);
}
const product = (await gql('mutation { createProduct(input: { name: "P", price: "1.00", stock: 100 }) { id } }', {}, owner)).createProduct.id;
const customer = (await gql('mutation($i: RegisterInput!) { register(input: $i) { accessToken } }',
  { i: { username: 'customer', email: `c@${domain}`, password: 'password123' } })).register.accessToken;
const order = (await gql('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }',
  { i: { items: [{ productId: product, quantity: 1 }], address: 'x' } }, customer)).placeOrder.id;

const ws = createClient({
  url: `${listenerBase.replace(/^http/, 'ws')}/graphql/ws`, webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${owner}`, 'X-Tenant-Domain': domain },
});
let waiting = null;
ws.subscribe({ query: 'subscription($id: ID) { orderUpdated(id: $id) { id assignedStaff { id } } }', variables: { id: order } }, {
  next: () => waiting?.(), error: (e) => { console.error(e); process.exit(1); }, complete: () => {},
});
await new Promise((resolve) => setTimeout(resolve, 500));

const mutationMs = [];
const eventMs = [];
for (let i = 0; i < rounds; i++) {
  const heard = new Promise((resolve) => { waiting = resolve; });
  const start = performance.now();
  await gql('mutation($o: ID!, $s: ID!) { assignStaff(orderId: $o, staffId: $s) { id } }', { o: order, s: staff[i % 2] }, owner);
  mutationMs.push(performance.now() - start);
  await heard;
  eventMs.push(performance.now() - start);
}
const pct = (values, p) => values.slice().sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))].toFixed(2);
for (const [name, values] of [['mutation answered', mutationMs], ['event heard', eventMs]]) {
  console.log(`${name}: p50 ${pct(values, 0.5)} ms, p90 ${pct(values, 0.9)} ms, p99 ${pct(values, 0.99)} ms (${values.length} rounds)`);
}
await ws.dispose();
