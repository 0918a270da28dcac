// The benchmark's four federated subgraphs (accounts, inventory, products, reviews), the shape
// of the public GraphQL federation gateway benchmark, with generated data.
//   node subgraphs.cjs NAME PORT      serve one subgraph at http://127.0.0.1:PORT/graphql
//   node subgraphs.cjs compose FILE   write the supergraph composed from the four (@apollo/composition)
// A plain Node http server with parsed-and-validated documents cached by query text, so the
// subgraphs spend their CPU executing, not re-parsing: gateways send the same few operations.
const http = require("http");
const fs = require("fs");
const { parse, validate, execute } = require("graphql");
const { buildSubgraphSchema } = require("@apollo/subgraph");

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
  + 'import: ["@key", "@external", "@requires", "@provides", "@shareable"])';
const USER_COUNT = 6;
const PRODUCT_COUNT = 9;
const REVIEW_COUNT = 18;
const WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
  + "incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud").split(" ");

const users = Array.from({ length: USER_COUNT }, (_, i) => ({
  id: String(i + 1), name: `User Number ${i + 1}`, username: `user${i + 1}`, birthday: 1990 + i,
}));
const products = Array.from({ length: PRODUCT_COUNT }, (_, i) => ({
  upc: String(i + 1), name: `Product ${i + 1}`, price: 150 * (i + 1) - 1, weight: 20 * (i + 1),
}));
const reviews = Array.from({ length: REVIEW_COUNT }, (_, i) => ({
  id: String(i + 1),
  body: Array.from({ length: 30 + (i % 7) * 5 }, (_, w) => WORDS[(i + w * 3) % WORDS.length]).join(" "),
  product: { upc: String((i % PRODUCT_COUNT) + 1) },
  authorId: String((i % USER_COUNT) + 1),
}));
const byId = (items, key) => Object.fromEntries(items.map((item) => [item[key], item]));
const userById = byId(users, "id");
const productByUpc = byId(products, "upc");

const SUBGRAPHS = {
  accounts: {
    sdl: `${LINK}
      type Query { me: User  user(id: ID!): User  users: [User] }
      type User @key(fields: "id") { id: ID!  name: String  username: String @shareable  birthday: Int }`,
    resolvers: {
      Query: { me: () => users[0], user: (_, { id }) => userById[id] ?? null, users: () => users },
      User: { __resolveReference: (ref) => userById[ref.id] ?? null },
    },
  },
  inventory: {
    sdl: `${LINK}
      type Product @key(fields: "upc") {
        upc: String!  weight: Int @external  price: Int @external  inStock: Boolean
        shippingEstimate: Int @requires(fields: "price weight")
      }`,
    resolvers: {
      Product: {
        __resolveReference: (ref) => ({ ...ref, inStock: Number(ref.upc) % 4 !== 0 }),
        shippingEstimate: (product) => (product.price > 1000 ? 0 : Math.round(product.weight / 2)),
      },
    },
  },
  products: {
    sdl: `${LINK}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String!  name: String  price: Int  weight: Int }`,
    resolvers: {
      Query: { topProducts: (_, { first }) => products.slice(0, first) },
      Product: { __resolveReference: (ref) => productByUpc[ref.upc] ?? null },
    },
  },
  reviews: {
    sdl: `${LINK}
      type Review @key(fields: "id") {
        id: ID!  body: String  product: Product  author: User @provides(fields: "username")
      }
      type User @key(fields: "id") { id: ID!  username: String @external  reviews: [Review] }
      type Product @key(fields: "upc") { upc: String!  reviews: [Review] }`,
    resolvers: {
      Review: {
        author: (review) => ({ id: review.authorId, username: userById[review.authorId].username }),
      },
      User: {
        __resolveReference: (ref) => ({ id: ref.id }),
        reviews: (user) => reviews.filter((review) => review.authorId === user.id),
      },
      Product: {
        __resolveReference: (ref) => ({ upc: ref.upc }),
        reviews: (product) => reviews.filter((review) => review.product.upc === product.upc),
      },
    },
  },
};

function serve(name, port) {
  const { sdl, resolvers } = SUBGRAPHS[name];
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]);
  const documents = new Map();
  const documentFor = (query) => {
    let entry = documents.get(query);
    if (entry === undefined) {
      const document = parse(query);
      entry = { document, errors: validate(schema, document) };
      documents.set(query, entry);
    }
    return entry;
  };
  const answer = async (body) => {
    const { query, variables, operationName } = JSON.parse(body);
    const { document, errors } = documentFor(query);
    if (errors.length) return { errors: errors.map((error) => ({ message: error.message })) };
    return execute({ schema, document, variableValues: variables, operationName });
  };
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", async () => {
      let result;
      try {
        result = await answer(Buffer.concat(chunks).toString());
      } catch (error) {
        result = { errors: [{ message: String(error) }] };
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(result));
    });
  });
  server.keepAliveTimeout = 65000;
  server.listen(port, "127.0.0.1");
}

function compose(file) {
  const { composeServices } = require("@apollo/composition");
  const result = composeServices(Object.entries(SUBGRAPHS).map(([name, { sdl }]) => ({
    name, typeDefs: parse(sdl), url: `http://127.0.0.1:__${name.toUpperCase()}_PORT__/graphql`,
  })));
  if (result.errors) throw new Error(result.errors.map(String).join("\n"));
  fs.writeFileSync(file, result.supergraphSdl);
}

const [command, arg] = process.argv.slice(2);
if (command === "compose") compose(arg);
else serve(command, Number(arg));
