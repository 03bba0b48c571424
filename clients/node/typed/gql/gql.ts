/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query ProductsPage($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      nodes { id name price stock }\n      pageInfo { hasNextPage endCursor }\n      totalCount\n    }\n  }\n": typeof types.ProductsPageDocument,
    "\n  mutation PlaceOrder($input: PlaceOrderInput!) {\n    placeOrder(input: $input) { id status total createdAt items { productName quantity lineTotal } }\n  }\n": typeof types.PlaceOrderDocument,
    "\n  subscription OrderUpdated($id: ID) { orderUpdated(id: $id) { id status } }\n": typeof types.OrderUpdatedDocument,
};
const documents: Documents = {
    "\n  query ProductsPage($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      nodes { id name price stock }\n      pageInfo { hasNextPage endCursor }\n      totalCount\n    }\n  }\n": types.ProductsPageDocument,
    "\n  mutation PlaceOrder($input: PlaceOrderInput!) {\n    placeOrder(input: $input) { id status total createdAt items { productName quantity lineTotal } }\n  }\n": types.PlaceOrderDocument,
    "\n  subscription OrderUpdated($id: ID) { orderUpdated(id: $id) { id status } }\n": types.OrderUpdatedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProductsPage($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      nodes { id name price stock }\n      pageInfo { hasNextPage endCursor }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query ProductsPage($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      nodes { id name price stock }\n      pageInfo { hasNextPage endCursor }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PlaceOrder($input: PlaceOrderInput!) {\n    placeOrder(input: $input) { id status total createdAt items { productName quantity lineTotal } }\n  }\n"): (typeof documents)["\n  mutation PlaceOrder($input: PlaceOrderInput!) {\n    placeOrder(input: $input) { id status total createdAt items { productName quantity lineTotal } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OrderUpdated($id: ID) { orderUpdated(id: $id) { id status } }\n"): (typeof documents)["\n  subscription OrderUpdated($id: ID) { orderUpdated(id: $id) { id status } }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;