// GraphiQL in a real browser (Debian's chromium, driven by playwright-core) with every request to
// another origin refused, as on a laptop with no internet: the page loads, runs a query for a store
// named in the headers tab, and opens the docs explorer; a screenshot is kept.
// Then a subscription from the page over /graphql/ws hears an order placed meanwhile.
//   MULTISTORE_URL=http://127.0.0.1:8000 node --test graphiql.browser.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.MULTISTORE_URL ?? 'http://127.0.0.1:8000';
const domain = `graphiql-${Date.now().toString(36)}.example.com`;
const screenshot = process.env.SCREENSHOT ?? '../../target/graphiql.png';

/** The data of one operation that must succeed. */
async function call(query, variables, headers = { 'x-tenant-domain': domain }) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

test('GraphiQL works offline: a query with a tenant header, the docs explorer, a subscription', async () => {
  const owner = (await call(
    'mutation($i: RegisterVendorInput!) { registerVendor(input: $i) { accessToken } }',
    { i: { storeName: 'Corner', domain, username: 'owner', email: `o@${domain}`, password: 'password123' } },
    {},
  )).registerVendor.accessToken;
  const product = (await call(
    'mutation { createProduct(input: { name: "Kite", price: "9.00", stock: 5 }) { id } }',
    {},
    { 'x-tenant-domain': domain, authorization: `Bearer ${owner}` },
  )).createProduct.id;
  const customer = (await call(
    'mutation { register(input: { username: "kim", email: "kim@x.org", password: "password123" }) { accessToken } }',
  )).register.accessToken;

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const foreign = [];
    // A browser context with no internet: any request to another origin is refused (and noted).
    const offline = async () => {
      const context = await browser.newContext();
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.origin === new URL(base).origin) return route.continue();
        foreign.push(url.href);
        return route.abort();
      });
      return context;
    };
    const page = await (await offline()).newPage();
    const problems = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    const query = '{ vendor { storeName domain } }';
    const headers = JSON.stringify({ 'X-Tenant-Domain': domain });
    const fragment = new URLSearchParams({ query, headers }).toString();
    const response = await page.goto(`${base}/graphql#${fragment}`, { waitUntil: 'load' });
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /frame-ancestors 'none'/);

    await page.locator('.graphiql-execute-button').click({ timeout: 15000 });
    const result = page.locator('.result-window');
    await result.getByText(domain).first().waitFor({ timeout: 15000 });
    assert.match(await result.innerText(), /storeName/);

    await page.getByLabel('Show Documentation Explorer').click();
    await page.locator('.graphiql-doc-explorer').getByText('Query').first().waitFor({ timeout: 15000 });

    mkdirSync(new URL('.', new URL(screenshot, import.meta.url)), { recursive: true });
    await page.screenshot({ path: new URL(screenshot, import.meta.url).pathname, fullPage: true });

    // A subscription from the page, over /graphql/ws with the headers tab as its connection_init.
    const listen = new URLSearchParams({
      query: 'subscription { orderPlaced { id total } }',
      headers: JSON.stringify({ 'X-Tenant-Domain': domain, Authorization: `Bearer ${owner}` }),
    }).toString();
    // A page of its own (GraphiQL keeps its tabs in the page's storage).
    const listening = await (await offline()).newPage();
    listening.on('pageerror', (error) => problems.push(error.message));
    await listening.goto(`${base}/graphql#${listen}`, { waitUntil: 'load' });
    await listening.locator('.graphiql-execute-button').click({ timeout: 15000 });
    await listening.waitForTimeout(1000);
    const placed = (await call(
      'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }',
      { i: { items: [{ productId: product, quantity: 1 }], address: '1 Kite Hill' } },
      { 'x-tenant-domain': domain, authorization: `Bearer ${customer}` },
    )).placeOrder.id;
    try {
      await listening.locator('.result-window').getByText(`"${placed}"`).first().waitFor({ timeout: 15000 });
    } finally {
      await listening.screenshot({ path: new URL(screenshot.replace('.png', '-subscription.png'), import.meta.url).pathname });
    }
    assert.deepEqual(foreign, [], 'the page asked for another origin');
    assert.deepEqual(problems, [], 'the page logged errors');
  } finally {
    await browser.close();
  }
});
