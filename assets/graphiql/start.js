// Starts GraphiQL on this page: queries and mutations over POST /graphql, subscriptions over
// /graphql/ws (graphql-ws); what the headers tab holds goes with both (as HTTP headers, and as the
// socket's connection_init payload). A query and headers may come in the URL's fragment:
// /graphql#query=...&headers={"X-Tenant-Domain":"shop.example.com"}
(function () {
  var params = new URLSearchParams(window.location.hash.slice(1));
  var socket = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({
    url: window.location.origin + '/graphql',
    subscriptionUrl: socket + '//' + window.location.host + '/graphql/ws',
  });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      query: params.get('query') || undefined,
      headers: params.get('headers') || undefined,
      defaultEditorToolsVisibility: params.get('headers') ? 'headers' : true,
      shouldPersistHeaders: true,
    })
  );
})();
