// Apollo Gateway + Apollo Server in front of a supergraph file: node apollo_gateway.cjs FILE PORT
// Modules come from bench/.node/node_modules (NODE_PATH), installed by bench/gateway/apollo.py.
const fs = require("fs");
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { ApolloGateway } = require("@apollo/gateway");

const [file, port] = process.argv.slice(2);
const gateway = new ApolloGateway({ supergraphSdl: fs.readFileSync(file, "utf8") });
const server = new ApolloServer({ gateway, csrfPrevention: false });
startStandaloneServer(server, { listen: { host: "127.0.0.1", port: Number(port) } })
  .then(({ url }) => console.log(`Apollo Gateway ready at ${url}`));
