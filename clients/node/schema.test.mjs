// Codegen from the live URL: graphql-js's standard introspection query with every option on, answered by
// the server, builds the same schema as the committed schema.graphql.
// Run against a real server: MULTISTORE_URL=http://127.0.0.1:8000 npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildClientSchema, buildSchema, getIntrospectionQuery, lexicographicSortSchema, printSchema } from 'graphql';

const base = process.env.MULTISTORE_URL ?? 'http://127.0.0.1:8000';

test('the schema introspected from the live URL is the committed schema.graphql', async () => {
  const query = getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
    oneOf: true,
  });
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  // async-graphql answers the schema's description with the specification's text about schemas in
  // general; the committed SDL has none.
  body.data.__schema.description = null;
  const live = printSchema(lexicographicSortSchema(buildClientSchema(body.data)));
  const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
  assert.equal(live, printSchema(lexicographicSortSchema(buildSchema(committed))));
});
