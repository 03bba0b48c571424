/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  DateTime: { input: string; output: string; }
  Decimal: { input: string; output: string; }
};

/** A platform admin signed in. */
export type AdminAuthPayload = {
  __typename?: 'AdminAuthPayload';
  /** Send as `Authorization: Bearer <accessToken>`; valid for 15 minutes by default. */
  accessToken: Scalars['String']['output'];
};

export type AuthPayload = {
  __typename?: 'AuthPayload';
  /** Send as `Authorization: Bearer <accessToken>`; valid for 15 minutes by default. */
  accessToken: Scalars['String']['output'];
  /** Trade for a new pair with `refreshToken`; valid for 7 days by default, once. */
  refreshToken: Scalars['String']['output'];
  user: User;
  vendor: Vendor;
};

export type CreateProductInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  /** `"49.99"` or `49.99`: 0 to 1,000,000,000.00, at most 2 decimals. */
  price: Scalars['Decimal']['input'];
  /** 0 to 1,000,000,000. */
  stock: Scalars['Int']['input'];
};

export type CreateStaffInput = {
  email: Scalars['String']['input'];
  firstName?: InputMaybe<Scalars['String']['input']>;
  lastName?: InputMaybe<Scalars['String']['input']>;
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

export type CreateWebhookInput = {
  events: Array<WebhookEvent>;
  /** `https`, to a public host. */
  url: Scalars['String']['input'];
};

/** A new endpoint and its signing secret, which is shown only here. */
export type CreatedWebhook = {
  __typename?: 'CreatedWebhook';
  /** Verify each delivery's `X-Multistore-Signature` with it. */
  secret: Scalars['String']['output'];
  webhook: Webhook;
};

export type LoginInput = {
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Adds a domain to the owner's store (at most 20): requests to it, by `X-Tenant-Domain` or as
   * their `Host`, are the store's. `CONFLICT` when another store has it; one the store has already
   * changes nothing.
   */
  addStoreDomain: Vendor;
  /**
   * Signs a platform admin in (no store: `X-Tenant-Domain` is not needed). The token's role is
   * `platform_admin`; it lets its bearer list, suspend and reactivate stores, and nothing else.
   */
  adminLogin: AdminAuthPayload;
  /** Assigns an order to a staff member of the store. */
  assignStaff: Order;
  /**
   * Cancels an order and puts its units back in stock: a customer their own while PENDING, the owner
   * any while PENDING or PROCESSING.
   */
  cancelOrder: Order;
  /** Changes the signed-in user's password; every refresh token of theirs stops working. */
  changePassword: Scalars['Boolean']['output'];
  createProduct: Product;
  /** Adds a staff member to the owner's store. */
  createStaff: User;
  /** Registers an endpoint for some events; the answer holds its signing secret, shown only once. */
  createWebhook: CreatedWebhook;
  /**
   * Deactivates a staff member of the store: they can no longer sign in, and their tokens stop
   * working at once.
   */
  deactivateStaff: User;
  /** Takes the product out of the catalog; orders that hold it keep their lines. */
  deleteProduct: Scalars['Boolean']['output'];
  /** Deletes an endpoint; nothing more is sent to it. */
  deleteWebhook: Scalars['Boolean']['output'];
  /** Signs in to the store named by `X-Tenant-Domain`. */
  login: AuthPayload;
  /** Ends the sign-in the refresh token belongs to; `false` when it names no live sign-in. */
  logout: Scalars['Boolean']['output'];
  /** Places an order: all of it or, on any error, nothing. */
  placeOrder: Order;
  /**
   * Reactivates a suspended store: everything works again as it did, with no new sign-in.
   * Platform admins only.
   */
  reactivateStore: Vendor;
  /** Sends a delivery again (a delivered or failed one is due now; retries go on for a day). */
  redeliverWebhook: WebhookDelivery;
  /**
   * Trades a refresh token for a new pair; the old one stops working. Presenting a refresh token that
   * was already traded revokes every token of its sign-in.
   */
  refreshToken: AuthPayload;
  /** Signs up a customer of the store named by `X-Tenant-Domain`, and signs them in. */
  register: AuthPayload;
  /** Opens a store and its owner's account; needs no tenant. Signs the owner in. */
  registerVendor: AuthPayload;
  /** Removes one of the store's domains; never the primary one. */
  removeStoreDomain: Vendor;
  /**
   * Makes one of the store's domains its primary one: `Vendor.domain`, and the store's domain in the
   * tokens issued from now on (tokens issued before keep working).
   */
  setPrimaryDomain: Vendor;
  /**
   * Suspends a store: from now on it answers `STORE_SUSPENDED` to everyone but a platform admin, on
   * every channel and every instance, and its open WebSockets close. Logged with who and why.
   * Platform admins only.
   */
  suspendStore: Vendor;
  /**
   * Moves an order along PENDING -> PROCESSING -> SHIPPED -> DELIVERED, or to CANCELLED from PENDING
   * or PROCESSING (which puts its units back in stock).
   */
  updateOrderStatus: Order;
  /** Changes the fields given; `NOT_FOUND` when the store has no such product. */
  updateProduct: Product;
  /**
   * Changes the owner's store: its name and contact email (its domains: `addStoreDomain` and the
   * others).
   */
  updateVendor: Vendor;
};


export type MutationAddStoreDomainArgs = {
  domain: Scalars['String']['input'];
};


export type MutationAdminLoginArgs = {
  input: LoginInput;
};


export type MutationAssignStaffArgs = {
  orderId: Scalars['ID']['input'];
  staffId: Scalars['ID']['input'];
};


export type MutationCancelOrderArgs = {
  id: Scalars['ID']['input'];
};


export type MutationChangePasswordArgs = {
  currentPassword: Scalars['String']['input'];
  newPassword: Scalars['String']['input'];
};


export type MutationCreateProductArgs = {
  input: CreateProductInput;
};


export type MutationCreateStaffArgs = {
  input: CreateStaffInput;
};


export type MutationCreateWebhookArgs = {
  input: CreateWebhookInput;
};


export type MutationDeactivateStaffArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteProductArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteWebhookArgs = {
  id: Scalars['ID']['input'];
};


export type MutationLoginArgs = {
  input: LoginInput;
};


export type MutationLogoutArgs = {
  refreshToken: Scalars['String']['input'];
};


export type MutationPlaceOrderArgs = {
  input: PlaceOrderInput;
};


export type MutationReactivateStoreArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRedeliverWebhookArgs = {
  deliveryId: Scalars['ID']['input'];
};


export type MutationRefreshTokenArgs = {
  refreshToken: Scalars['String']['input'];
};


export type MutationRegisterArgs = {
  input: RegisterInput;
};


export type MutationRegisterVendorArgs = {
  input: RegisterVendorInput;
};


export type MutationRemoveStoreDomainArgs = {
  domain: Scalars['String']['input'];
};


export type MutationSetPrimaryDomainArgs = {
  domain: Scalars['String']['input'];
};


export type MutationSuspendStoreArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


export type MutationUpdateOrderStatusArgs = {
  id: Scalars['ID']['input'];
  status: OrderStatus;
};


export type MutationUpdateProductArgs = {
  id: Scalars['ID']['input'];
  input: UpdateProductInput;
};


export type MutationUpdateVendorArgs = {
  input: UpdateVendorInput;
};

export type Order = {
  __typename?: 'Order';
  address: Scalars['String']['output'];
  assignedStaff?: Maybe<User>;
  createdAt: Scalars['DateTime']['output'];
  customer: User;
  /** The order's timeline, oldest first: every change, with who made it and the status after it. */
  events: Array<OrderEvent>;
  id: Scalars['ID']['output'];
  items: Array<OrderItem>;
  status: OrderStatus;
  /** The sum of the lines, priced when the order was placed. */
  total: Scalars['Decimal']['output'];
  updatedAt: Scalars['DateTime']['output'];
};

export type OrderConnection = {
  __typename?: 'OrderConnection';
  /** A list of edges. */
  edges: Array<OrderEdge>;
  /** A list of nodes. */
  nodes: Array<Order>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
  /** How many orders the listing holds across all its pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge in a connection. */
export type OrderEdge = {
  __typename?: 'OrderEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: Order;
};

/**
 * One event of an order's timeline: written in the transaction of the change, so it exists exactly
 * when the change committed.
 */
export type OrderEvent = {
  __typename?: 'OrderEvent';
  /** Who made the change; null for none. */
  actor?: Maybe<User>;
  /** The order's assigned staff after the event. */
  assignedStaff?: Maybe<User>;
  /** When the change committed. */
  at: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  kind: OrderEventKind;
  order: Order;
  /** The order's status after the event. */
  status: OrderStatus;
};

/** What happened to an order. */
export type OrderEventKind =
  | 'ASSIGNED'
  | 'CANCELLED'
  | 'PLACED'
  | 'STATUS_CHANGED';

export type OrderItem = {
  __typename?: 'OrderItem';
  lineTotal: Scalars['Decimal']['output'];
  /** The product as it is now; null once it has left the catalog. */
  product?: Maybe<Product>;
  productId: Scalars['ID']['output'];
  productName: Scalars['String']['output'];
  quantity: Scalars['Int']['output'];
  unitPrice: Scalars['Decimal']['output'];
};

export type OrderLineInput = {
  productId: Scalars['ID']['input'];
  /** 1 to 10,000. */
  quantity: Scalars['Int']['input'];
};

/**
 * Where an order stands: PENDING -> PROCESSING -> SHIPPED -> DELIVERED, or CANCELLED from PENDING or
 * PROCESSING.
 */
export type OrderStatus =
  | 'CANCELLED'
  | 'DELIVERED'
  | 'PENDING'
  | 'PROCESSING'
  | 'SHIPPED';

/** Information about pagination in a connection */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** When paginating forwards, the cursor to continue. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** When paginating forwards, are there more items? */
  hasNextPage: Scalars['Boolean']['output'];
  /** When paginating backwards, are there more items? */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** When paginating backwards, the cursor to continue. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type PlaceOrderInput = {
  address: Scalars['String']['input'];
  /** Sending the same key again returns the first order instead of placing another. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** 1 to 100 lines; lines of the same product are merged. */
  items: Array<OrderLineInput>;
};

export type Product = {
  __typename?: 'Product';
  createdAt: Scalars['DateTime']['output'];
  description: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  price: Scalars['Decimal']['output'];
  stock: Scalars['Int']['output'];
  updatedAt: Scalars['DateTime']['output'];
};

export type ProductConnection = {
  __typename?: 'ProductConnection';
  /** A list of edges. */
  edges: Array<ProductEdge>;
  /** A list of nodes. */
  nodes: Array<Product>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
  /** How many products the listing holds across all its pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge in a connection. */
export type ProductEdge = {
  __typename?: 'ProductEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: Product;
};

/** Which products `products` lists; every field given must hold. */
export type ProductFilter = {
  /** True: in stock only; false: sold out only. */
  inStock?: InputMaybe<Scalars['Boolean']['input']>;
  maxPrice?: InputMaybe<Scalars['Decimal']['input']>;
  minPrice?: InputMaybe<Scalars['Decimal']['input']>;
};

/** What `products` is ordered by; ties go by id. */
export type ProductSortKey =
  | 'CREATED_AT'
  | 'ID'
  | 'NAME'
  | 'PRICE'
  /** The best matches of `search` first; needs `search`. */
  | 'RELEVANCE'
  | 'UPDATED_AT';

export type Query = {
  __typename?: 'Query';
  /** The store's customers, by id. */
  customers: UserConnection;
  /** The signed-in user. */
  me: User;
  /** The signed-in customer's orders, newest first. */
  myOrders: OrderConnection;
  /** An order the caller may see; null otherwise. */
  order?: Maybe<Order>;
  /** The store's orders, newest first: all of them for the owner, the assigned ones for staff. */
  orders: OrderConnection;
  /** A product of the store; null when the store has no such product. */
  product?: Maybe<Product>;
  /**
   * The store's products, in the order of `sortKey` (ties by id), `reverse`d when asked, paged
   * forward (`first`, `after`) or backward (`last`, `before`). With `search`, every word must be a
   * word of the name or description (the last may be the start of one), without case or accents;
   * `filter` keeps a price range and (un)available products.
   */
  products: ProductConnection;
  /** The store's staff, active or not, by id. */
  staff: UserConnection;
  /**
   * Every store of the platform by id, each with its status and domains; `search` keeps those whose
   * name or one of whose domains contains it (case-insensitive). Platform admins only.
   */
  stores: VendorConnection;
  /** The store named by `X-Tenant-Domain` or by the token. Public: a storefront shows its name. */
  vendor: Vendor;
  /** An endpoint's deliveries, newest first. */
  webhookDeliveries: WebhookDeliveryConnection;
  /** The store's endpoints, oldest first. */
  webhooks: Array<Webhook>;
};


export type QueryCustomersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryMyOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<OrderStatus>;
};


export type QueryOrderArgs = {
  id: Scalars['ID']['input'];
};


export type QueryOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<OrderStatus>;
};


export type QueryProductArgs = {
  id: Scalars['ID']['input'];
};


export type QueryProductsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ProductFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  reverse?: InputMaybe<Scalars['Boolean']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
  sortKey?: InputMaybe<ProductSortKey>;
};


export type QueryStaffArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryStoresArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
};


export type QueryWebhookDeliveriesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  webhookId: Scalars['ID']['input'];
};

export type RegisterInput = {
  email: Scalars['String']['input'];
  firstName?: InputMaybe<Scalars['String']['input']>;
  lastName?: InputMaybe<Scalars['String']['input']>;
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

export type RegisterVendorInput = {
  contactEmail?: InputMaybe<Scalars['String']['input']>;
  /** The hostname that names the store in `X-Tenant-Domain`, e.g. `shop.example.com`. */
  domain: Scalars['String']['input'];
  email: Scalars['String']['input'];
  firstName?: InputMaybe<Scalars['String']['input']>;
  lastName?: InputMaybe<Scalars['String']['input']>;
  password: Scalars['String']['input'];
  storeName: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

/**
 * What a user may do in their store: the owner runs it, staff manage products and the orders assigned
 * to them, customers order and follow their own orders.
 */
export type Role =
  | 'CUSTOMER'
  | 'OWNER'
  | 'STAFF';

/** One of a store's domains: each names the store in `X-Tenant-Domain` or as the `Host` it is served on. */
export type StoreDomain = {
  __typename?: 'StoreDomain';
  domain: Scalars['String']['output'];
  /** The one `Vendor.domain` shows and new tokens carry. */
  primary: Scalars['Boolean']['output'];
};

/** Whether a store runs. */
export type StoreStatus =
  | 'ACTIVE'
  /** Suspended by the platform: the store answers `STORE_SUSPENDED` to everyone but a platform admin. */
  | 'SUSPENDED';

export type Subscription = {
  __typename?: 'Subscription';
  /**
   * Every event of the orders the caller may see, in commit order, from now on; with `after` (the
   * id of an event of the store, as a previous subscription heard it), first every later event,
   * then live: a client that reconnects resumes with no gap and no repeat.
   */
  orderEvents: OrderEvent;
  /**
   * Orders placed in the store from now on: every one for the owner; staff hear the ones they may
   * see (orders are assigned after they are placed, so staff follow theirs with `orderUpdated`).
   */
  orderPlaced: Order;
  /**
   * Changes to the orders the caller may see (status, assignment, cancellation), from now on; with
   * `id`, to that order only (`NOT_FOUND` when the caller may not see it). Each is the order as the
   * change left it.
   */
  orderUpdated: Order;
};


export type SubscriptionOrderEventsArgs = {
  after?: InputMaybe<Scalars['ID']['input']>;
};


export type SubscriptionOrderUpdatedArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};

/** Only the fields given change. */
export type UpdateProductInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  price?: InputMaybe<Scalars['Decimal']['input']>;
  stock?: InputMaybe<Scalars['Int']['input']>;
};

/** Only the fields given change; `contactEmail: null` removes the contact email. */
export type UpdateVendorInput = {
  contactEmail?: InputMaybe<Scalars['String']['input']>;
  storeName?: InputMaybe<Scalars['String']['input']>;
};

/**
 * A person of a store. The password hash never leaves the server. A customer reads only the first
 * name of anyone but themselves.
 */
export type User = {
  __typename?: 'User';
  createdAt: Scalars['DateTime']['output'];
  /** The e-mail address (empty to a customer, unless it is their own). */
  email: Scalars['String']['output'];
  firstName: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** False once the owner has deactivated the account. */
  isActive: Scalars['Boolean']['output'];
  /** The last name (empty to a customer, unless it is their own). */
  lastName: Scalars['String']['output'];
  role: Role;
  /** The sign-in name (empty to a customer, unless it is their own). */
  username: Scalars['String']['output'];
};

export type UserConnection = {
  __typename?: 'UserConnection';
  /** A list of edges. */
  edges: Array<UserEdge>;
  /** A list of nodes. */
  nodes: Array<User>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
  /** How many people the listing holds across all its pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge in a connection. */
export type UserEdge = {
  __typename?: 'UserEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: User;
};

/** A store hosted on the platform. */
export type Vendor = {
  __typename?: 'Vendor';
  contactEmail?: Maybe<Scalars['String']['output']>;
  createdAt: Scalars['DateTime']['output'];
  /** The store's primary domain. */
  domain: Scalars['String']['output'];
  /** Every domain of the store, the primary one first, then by name. */
  domains: Array<StoreDomain>;
  id: Scalars['ID']['output'];
  /** Whether the store runs, or is suspended by the platform. */
  status: StoreStatus;
  storeName: Scalars['String']['output'];
};

export type VendorConnection = {
  __typename?: 'VendorConnection';
  /** A list of edges. */
  edges: Array<VendorEdge>;
  /** A list of nodes. */
  nodes: Array<Vendor>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
  /** How many stores the listing holds across all its pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge in a connection. */
export type VendorEdge = {
  __typename?: 'VendorEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: Vendor;
};

/** An endpoint of the store's. */
export type Webhook = {
  __typename?: 'Webhook';
  createdAt: Scalars['DateTime']['output'];
  events: Array<WebhookEvent>;
  id: Scalars['ID']['output'];
  url: Scalars['String']['output'];
};

/** One event's delivery to one endpoint. */
export type WebhookDelivery = {
  __typename?: 'WebhookDelivery';
  /** Attempts made (or under way). */
  attempts: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  eventId: Scalars['ID']['output'];
  id: Scalars['ID']['output'];
  /** The HTTP status of the last answer; null when none came (no connection, a timeout). */
  lastStatusCode?: Maybe<Scalars['Int']['output']>;
  /** When it is tried next (pending only). */
  nextAttemptAt?: Maybe<Scalars['DateTime']['output']>;
  status: WebhookDeliveryStatus;
};

export type WebhookDeliveryConnection = {
  __typename?: 'WebhookDeliveryConnection';
  /** A list of edges. */
  edges: Array<WebhookDeliveryEdge>;
  /** A list of nodes. */
  nodes: Array<WebhookDelivery>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
  /** How many deliveries the endpoint has across all pages. */
  totalCount: Scalars['Int']['output'];
};

/** An edge in a connection. */
export type WebhookDeliveryEdge = {
  __typename?: 'WebhookDeliveryEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: WebhookDelivery;
};

export type WebhookDeliveryStatus =
  /** An attempt was answered with a 2xx. */
  | 'DELIVERED'
  /** Given up: no attempt succeeded within a day. */
  | 'FAILED'
  /** Not delivered yet; tried again at `nextAttemptAt`. */
  | 'PENDING';

/** What an endpoint is sent. */
export type WebhookEvent =
  /** `order.placed`: a customer placed an order. */
  | 'ORDER_PLACED'
  /** `order.updated`: an order's status changed, it was assigned or cancelled. */
  | 'ORDER_UPDATED';

export type ProductsPageQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ProductsPageQuery = { __typename?: 'Query', products: { __typename?: 'ProductConnection', totalCount: number, nodes: Array<{ __typename?: 'Product', id: string, name: string, price: string, stock: number }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type PlaceOrderMutationVariables = Exact<{
  input: PlaceOrderInput;
}>;


export type PlaceOrderMutation = { __typename?: 'Mutation', placeOrder: { __typename?: 'Order', id: string, status: OrderStatus, total: string, createdAt: string, items: Array<{ __typename?: 'OrderItem', productName: string, quantity: number, lineTotal: string }> } };

export type OrderUpdatedSubscriptionVariables = Exact<{
  id?: InputMaybe<Scalars['ID']['input']>;
}>;


export type OrderUpdatedSubscription = { __typename?: 'Subscription', orderUpdated: { __typename?: 'Order', id: string, status: OrderStatus } };


export const ProductsPageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ProductsPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"products"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"stock"}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]} as unknown as DocumentNode<ProductsPageQuery, ProductsPageQueryVariables>;
export const PlaceOrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PlaceOrder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PlaceOrderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"placeOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"items"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"productName"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"lineTotal"}}]}}]}}]}}]} as unknown as DocumentNode<PlaceOrderMutation, PlaceOrderMutationVariables>;
export const OrderUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OrderUpdated"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<OrderUpdatedSubscription, OrderUpdatedSubscriptionVariables>;