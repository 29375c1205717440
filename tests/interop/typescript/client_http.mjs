// Interop driver: the official TypeScript MCP SDK (npm @modelcontextprotocol/sdk) as a
// Streamable HTTP *client* of a ferromcp server.
//
// Usage: node client_http.mjs <endpoint URL>
// The SDK is loaded from FERROMCP_TS_SDK_DIR (a node_modules folder; scripts/setup-node.sh
// installs the pinned version into .cache/ts-sdk/node_modules). Answers sampling and
// roots, records logs and progress, calls `scenario` and `add`, and prints one JSON
// summary line. Exit 0 on success, 1 on error.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const sdkDir = process.env.FERROMCP_TS_SDK_DIR;
if (!sdkDir) {
  console.error("FERROMCP_TS_SDK_DIR is not set");
  process.exit(2);
}
const load = (path) =>
  import(pathToFileURL(join(sdkDir, "@modelcontextprotocol/sdk/dist/esm", path)).href);

const { Client } = await load("client/index.js");
const { StreamableHTTPClientTransport } = await load("client/streamableHttp.js");
const types = await load("types.js");

const url = process.argv[process.argv.length - 1];
const logs = [];
const progress = [];

try {
  const client = new Client(
    { name: "ferromcp-ts-interop-client", version: "0.1.0" },
    { capabilities: { sampling: {}, roots: { listChanged: true } } },
  );
  client.setRequestHandler(types.CreateMessageRequestSchema, async (request) => {
    const last = request.params.messages[request.params.messages.length - 1];
    const blocks = Array.isArray(last.content) ? last.content : [last.content];
    const text = blocks.filter((b) => b.type === "text").map((b) => b.text).join("");
    return {
      role: "assistant",
      content: { type: "text", text: `ts-sampled: ${text}` },
      model: "ts-stub-model",
      stopReason: "endTurn",
    };
  });
  client.setRequestHandler(types.ListRootsRequestSchema, async () => ({
    roots: [
      { uri: "file:///tmp/ferromcp-root-a", name: "a" },
      { uri: "file:///tmp/ferromcp-root-b", name: "b" },
    ],
  }));
  client.setNotificationHandler(types.LoggingMessageNotificationSchema, (n) => {
    logs.push([n.params.level, n.params.data]);
  });

  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  const scenario = await client.callTool(
    { name: "scenario", arguments: { text: "hello interop" } },
    undefined,
    { onprogress: (p) => progress.push([p.progress, p.total ?? null, p.message ?? null]) },
  );
  const add = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
  const text = (result) =>
    result.content.filter((b) => b.type === "text").map((b) => b.text).join("");
  const summary = {
    protocolVersion: transport.protocolVersion ?? null,
    serverName: client.getServerVersion()?.name ?? null,
    tools,
    scenarioText: text(scenario),
    scenarioIsError: Boolean(scenario.isError),
    logs,
    progress,
    addText: text(add),
    sessionId: transport.sessionId ?? null,
  };
  await transport.terminateSession();
  await client.close();
  console.log(JSON.stringify(summary));
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
