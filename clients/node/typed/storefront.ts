// The storefront's operations, typed by GraphQL Code Generator (client preset) from schema.graphql and
// used with Apollo Client 4. `tsc --strict` checks that every field read exists with the right type.
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { graphql } from './gql';

export const ProductsPage = graphql(`
  query ProductsPage($first: Int, $after: String) {
    products(first: $first, after: $after) {
      nodes { id name price stock }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
`);

export const PlaceOrder = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) { id status total createdAt items { productName quantity lineTotal } }
  }
`);

export const OrderUpdated = graphql(`
  subscription OrderUpdated($id: ID) { orderUpdated(id: $id) { id status } }
`);

/** The total of the first page's prices in cents, and the id of an order for the first product. */
export async function browseAndOrder(uri: string, domain: string, token: string): Promise<[number, string]> {
  const client = new ApolloClient({
    link: new HttpLink({ uri, headers: { 'X-Tenant-Domain': domain, Authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache(),
  });
  const page = await client.query({ query: ProductsPage, variables: { first: 20 } });
  const products = page.data?.products.nodes ?? [];
  // `price` is a Decimal: a string, so it is parsed, never added as a number.
  const cents = products.reduce((sum, product) => sum + Math.round(Number.parseFloat(product.price) * 100), 0);
  const first = products[0];
  if (!first) throw new Error('the store sells nothing');
  const placed = await client.mutate({
    mutation: PlaceOrder,
    variables: { input: { items: [{ productId: first.id, quantity: 1 }], address: '1 Harbour Road' } },
  });
  const order = placed.data?.placeOrder;
  if (!order) throw new Error('no order');
  const status: 'PENDING' | 'PROCESSING' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED' = order.status;
  console.log(status, order.createdAt.slice(0, 10), order.items.map((item) => item.lineTotal));
  return [cents, order.id];
}
