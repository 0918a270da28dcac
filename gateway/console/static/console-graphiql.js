// The console's GraphiQL: queries go to the console's own endpoint, which adds the signed-in
// person's token on the server (the token never reaches this page); the CSRF token comes from
// the page, in a data- attribute.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({
    url: root.dataset.endpoint,
    headers: { "X-CSRF-Token": root.dataset.csrf }
  });
  root.textContent = "";
  ReactDOM.render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }),
    root
  );
})();
