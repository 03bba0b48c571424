// The GraphQL-over-HTTP audit of `graphql-http` (its `auditServer`) against a running server: fails on
// any MUST that fails, and on any SHOULD that fails unless it is listed in KNOWN with the reason (the
// README repeats them).
//   MULTISTORE_URL=http://127.0.0.1:8000 node clients/node/audit.mjs

import { auditServer } from 'graphql-http';

const base = process.env.MULTISTORE_URL ?? 'http://127.0.0.1:8000';

// SHOULDs this service does not follow, each with its reason.
const KNOWN = {};

const results = await auditServer({ url: `${base}/graphql` });
let failed = 0;
for (const result of results) {
  const level = result.name.split(' ')[0];
  if (result.status === 'ok') {
    console.log(`ok      ${result.name}`);
    continue;
  }
  const known = KNOWN[result.id];
  const blocking = result.status === 'error' || (result.status === 'warn' && !known);
  if (blocking) failed++;
  const reason = known ? `known: ${known}` : result.reason;
  console.log(`${blocking ? 'FAIL' : 'note'}    ${result.name} (${level}, ${result.id}): ${reason}`);
}
const ok = results.filter((result) => result.status === 'ok').length;
console.log(`\n${ok} of ${results.length} audits ok; ${failed} failing`);
process.exit(failed === 0 ? 0 : 1);
