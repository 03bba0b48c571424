// A storefront and a back office written the way their authors would: @urql/core over HTTP (with its
// defaults: queries as GET, mutations as POST) and graphql-ws for subscriptions, through urql's
// subscriptionExchange. Run against a real server: MULTISTORE_URL=http://127.0.0.1:8000 npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, fetchExchange, gql, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';

const base = process.env.MULTISTORE_URL ?? 'http://127.0.0.1:8000';
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const domain = `node-${run}.example.com`;

/**
 * An urql client for the store (or, with `tenant` false, for the platform: opening a store), signed in
 * with `token` if one is given, with subscriptions over graphql-ws.
 */
function storeClient(token, tenant = true) {
  const headers = {
    ...(tenant ? { 'X-Tenant-Domain': domain } : {}),
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  };
  const ws = createWsClient({
    url: `${base.replace(/^http/, 'ws')}/graphql/ws`,
    webSocketImpl: WebSocket,
    connectionParams: headers,
  });
  const client = new Client({
    url: `${base}/graphql`,
    fetchOptions: { headers },
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
    ],
  });
  return { client, close: () => ws.dispose() };
}

/** The data of an operation that must succeed. */
function ok(result) {
  assert.equal(result.error, undefined, result.error?.message);
  return result.data;
}

const AUTH = gql`
  fragment Auth on AuthPayload { accessToken user { id username role } }
`;

test('a customer browses, orders and hears the order move along', async () => {
  const platform = storeClient(undefined, false);
  const owner = ok(await platform.client.mutation(gql`
    mutation Open($input: RegisterVendorInput!) { registerVendor(input: $input) { ...Auth } } ${AUTH}`, {
    input: {
      storeName: 'Node Store', domain, contactEmail: `contact@${domain}`,
      username: 'owner', email: `owner@${domain}`, password: 'password123',
    },
  }).toPromise()).registerVendor;
  assert.equal(owner.user.role, 'OWNER');
  const back = storeClient(owner.accessToken);
  const anonymous = storeClient();
  for (const [name, price, stock] of [['Teapot', '24.50', 5], ['Cup', '6.00', 20]]) {
    ok(await back.client.mutation(gql`
      mutation Add($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
    { input: { name, price, stock } }).toPromise());
  }

  ok(await anonymous.client.mutation(gql`
    mutation SignUp($input: RegisterInput!) { register(input: $input) { ...Auth } } ${AUTH}`, {
    input: { username: 'carol', email: 'carol@mail.example.org', password: 'password123' },
  }).toPromise());
  const login = ok(await anonymous.client.mutation(gql`
    mutation SignIn($input: LoginInput!) { login(input: $input) { ...Auth } } ${AUTH}`, {
    input: { username: 'carol', password: 'password123' },
  }).toPromise()).login;
  assert.equal(login.user.role, 'CUSTOMER');
  const customer = storeClient(login.accessToken);

  const page = ok(await customer.client.query(gql`
    query Browse($first: Int, $search: String) {
      products(first: $first, search: $search) { totalCount nodes { id name price stock } }
    }`, { first: 10 }).toPromise()).products;
  assert.equal(page.totalCount, 2);
  const teapot = page.nodes.find((product) => product.name === 'Teapot');
  assert.deepEqual({ price: teapot.price, stock: teapot.stock }, { price: '24.50', stock: 5 });

  const placed = ok(await customer.client.mutation(gql`
    mutation Buy($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total events { id } } }`, {
    input: { items: [{ productId: teapot.id, quantity: 2 }], address: '1 Main Street' },
  }).toPromise()).placeOrder;
  assert.deepEqual({ status: placed.status, total: placed.total }, { status: 'PENDING', total: '49.00' });

  // The customer follows the order from its placing on (`after` the PLACED event: the log replays what
  // came since, so however late the subscription is taken, nothing is missed); the owner moves it along.
  const heard = [];
  const arrived = new Promise((resolve, reject) => {
    const { unsubscribe } = customer.client.subscription(gql`
      subscription Follow($after: ID) { orderEvents(after: $after) { order { id } status } }`,
    { after: placed.events[0].id })
      .subscribe((result) => {
        if (result.error) return reject(result.error);
        const event = result.data.orderEvents;
        heard.push({ id: event.order.id, status: event.status });
        if (heard.length === 2) { unsubscribe(); resolve(); }
      });
  });
  for (const status of ['PROCESSING', 'SHIPPED']) {
    ok(await back.client.mutation(gql`
      mutation Move($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { id } }`,
    { id: placed.id, status }).toPromise());
  }
  let timer;
  await Promise.race([
    arrived,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`heard only ${JSON.stringify(heard)}`)), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.deepEqual(heard, [{ id: placed.id, status: 'PROCESSING' }, { id: placed.id, status: 'SHIPPED' }]);

  // The customer may not subscribe to the store's new orders: the error carries the contract's code.
  const refused = await new Promise((resolve) => {
    customer.client.subscription(gql`subscription { orderPlaced { id } }`).subscribe((result) => resolve(result));
  });
  assert.equal(refused.error?.graphQLErrors[0]?.extensions?.code, 'FORBIDDEN');

  for (const side of [platform, anonymous, back, customer]) side.close();
});
