// A storefront written with Apollo Client 4 as its docs show it: HttpLink for queries and mutations,
// GraphQLWsLink (graphql-ws) for subscriptions, an InMemoryCache whose product list pages with
// relayStylePagination, and an ErrorLink that tells the contract's codes apart. Apollo Client 4 asks
// for application/graphql-response+json, so a 401, 403 or 404 still carries its GraphQL errors.
// Run against a real server: MULTISTORE_URL=http://127.0.0.1:8000 npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { relayStylePagination } from '@apollo/client/utilities';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';

const base = process.env.MULTISTORE_URL ?? 'http://127.0.0.1:8000';
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const domain = `apollo-${run}.example.com`;

/** An Apollo client for `tenant` (none: the platform), signed in with `token`; `codes` collects the
 * `extensions.code` of every GraphQL error its ErrorLink sees. */
function apollo({ token, tenant = domain } = {}) {
  const headers = {
    ...(tenant ? { 'X-Tenant-Domain': tenant } : {}),
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  };
  const codes = [];
  const errors = new ErrorLink(({ error }) => {
    if (CombinedGraphQLErrors.is(error)) {
      codes.push(...error.errors.map((e) => e.extensions?.code));
    } else {
      codes.push(`network: ${error.message}`);
    }
  });
  const ws = createWsClient({
    url: `${base.replace(/^http/, 'ws')}/graphql/ws`,
    webSocketImpl: WebSocket,
    connectionParams: headers,
  });
  const http = new HttpLink({ uri: `${base}/graphql`, headers });
  const link = ApolloLink.from([
    errors,
    ApolloLink.split((operation) => operation.operationType === 'subscription', new GraphQLWsLink(ws), http),
  ]);
  const cache = new InMemoryCache({
    typePolicies: { Query: { fields: { products: relayStylePagination(['search', 'sortKey', 'reverse', 'filter']) } } },
  });
  const client = new ApolloClient({ link, cache });
  return { client, codes, close: () => { client.stop(); ws.dispose(); } };
}

const PAGE = gql`
  query Page($first: Int, $after: String) {
    products(first: $first, after: $after) {
      edges { cursor node { id name price } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

test('Apollo Client 4: sign up, page, order, follow it, and tell error codes apart', async () => {
  const platform = apollo({ tenant: null });
  const opened = await platform.client.mutate({
    mutation: gql`mutation Open($input: RegisterVendorInput!) { registerVendor(input: $input) { accessToken } }`,
    variables: { input: { storeName: 'Apollo Store', domain, username: 'owner', email: `owner@${domain}`, password: 'password123' } },
  });
  const ownerToken = opened.data.registerVendor.accessToken;
  const owner = apollo({ token: ownerToken });
  for (const name of ['Anchor', 'Bell', 'Compass']) {
    await owner.client.mutate({
      mutation: gql`mutation Add($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      variables: { input: { name, price: '3.00', stock: 10 } },
    });
  }

  const visitor = apollo();
  const signedUp = await visitor.client.mutate({
    mutation: gql`mutation SignUp($input: RegisterInput!) { register(input: $input) { accessToken } }`,
    variables: { input: { username: 'dora', email: 'dora@mail.example.org', password: 'password123' } },
  });
  const customer = apollo({ token: signedUp.data.register.accessToken });

  // Two pages merged by relayStylePagination into one list in the cache.
  const first = await customer.client.query({ query: PAGE, variables: { first: 2 } });
  assert.equal(first.data.products.edges.length, 2);
  assert.equal(first.data.products.pageInfo.hasNextPage, true);
  const watched = customer.client.watchQuery({ query: PAGE, variables: { first: 2 } });
  await watched.fetchMore({ variables: { after: first.data.products.pageInfo.endCursor } });
  const merged = customer.client.readQuery({ query: PAGE, variables: { first: 2 } });
  assert.deepEqual(merged.products.edges.map((e) => e.node.name), ['Anchor', 'Bell', 'Compass']);

  // The owner follows the store's order events over GraphQLWsLink, from a first order's placing on
  // (`after` replays what came since, so however late the subscription is taken, nothing is missed).
  const BUY = gql`mutation Buy($input: PlaceOrderInput!) { placeOrder(input: $input) { id total events { id } } }`;
  const buy = () => customer.client.mutate({
    mutation: BUY,
    variables: { input: { items: [{ productId: merged.products.edges[0].node.id, quantity: 2 }], address: '1 Harbour Road' } },
  });
  const firstOrder = await buy();
  const heard = new Promise((resolve, reject) => {
    const subscription = owner.client
      .subscribe({
        query: gql`subscription Log($after: ID) { orderEvents(after: $after) { id kind order { id total } } }`,
        variables: { after: firstOrder.data.placeOrder.events[0].id },
      })
      .subscribe({
        next: (result) => { subscription.unsubscribe(); resolve(result.data.orderEvents); },
        error: reject,
      });
  });
  const placed = await buy();
  assert.equal(placed.data.placeOrder.total, '6.00');
  const event = await heard;
  assert.equal(event.kind, 'PLACED');
  assert.equal(event.order.id, placed.data.placeOrder.id);

  // The error link reads the contract's code from 401, 403 and 404 answers alike.
  const expired = apollo({ token: 'not-a-token' });
  await assert.rejects(expired.client.query({ query: PAGE, variables: { first: 1 } }));
  await platform.client.mutate({
    mutation: gql`mutation Open($input: RegisterVendorInput!) { registerVendor(input: $input) { accessToken } }`,
    variables: { input: { storeName: 'Other', domain: `other-${domain}`, username: 'owner', email: `o@other-${domain}`, password: 'password123' } },
  });
  const foreign = apollo({ token: ownerToken, tenant: `other-${domain}` });
  await assert.rejects(foreign.client.query({ query: PAGE, variables: { first: 1 } }));
  const nowhere = apollo({ tenant: `nowhere-${domain}` });
  await assert.rejects(nowhere.client.query({ query: PAGE, variables: { first: 1 } }));
  assert.deepEqual(expired.codes, ['UNAUTHENTICATED']);
  assert.deepEqual(foreign.codes, ['FORBIDDEN']);
  assert.deepEqual(nowhere.codes, ['TENANT_NOT_FOUND']);

  for (const one of [platform, owner, visitor, customer, expired, foreign, nowhere]) one.close();
});
