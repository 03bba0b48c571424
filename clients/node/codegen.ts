// GraphQL Code Generator: typed documents for the storefront's operations, from the committed schema.
//   npx graphql-codegen   (writes typed/gql/), then npx tsc -p typed (type-checks the storefront)
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['typed/storefront.ts'],
  ignoreNoDocuments: false,
  generates: {
    'typed/gql/': {
      preset: 'client',
      config: {
        // Money is exact text ("49.99"); instants are RFC 3339 text. Without these, types say `unknown`.
        scalars: { Decimal: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
