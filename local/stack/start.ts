import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PORTS, startLocalStack, type StackPorts } from "./localStack.js";

/**
 * `npm start`: the whole loop on this machine, no Azure subscription. See README "The local stack".
 * Flags: --fresh, --keyvault-port, --eventgrid-port, --azurite-port, --postgres-port, --host-port,
 * --arm-port, --graph-port.
 */
const USAGE =
  "usage: npm start -- [--fresh] [--keyvault-port N] [--eventgrid-port N] [--azurite-port N] [--postgres-port N] [--host-port N] [--arm-port N] [--graph-port N]";

function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--${name} must be a port number (0 picks a free one), got '${raw}'`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        fresh: { type: "boolean" },
        "keyvault-port": { type: "string" },
        "eventgrid-port": { type: "string" },
        "azurite-port": { type: "string" },
        "postgres-port": { type: "string" },
        "host-port": { type: "string" },
        "arm-port": { type: "string" },
        "graph-port": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`, { cause: error });
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const ports: StackPorts = {
    keyVault: port("keyvault-port", values["keyvault-port"], DEFAULT_PORTS.keyVault),
    eventGrid: port("eventgrid-port", values["eventgrid-port"], DEFAULT_PORTS.eventGrid),
    azurite: port("azurite-port", values["azurite-port"], DEFAULT_PORTS.azurite),
    postgres: port("postgres-port", values["postgres-port"], DEFAULT_PORTS.postgres),
    host: port("host-port", values["host-port"], DEFAULT_PORTS.host),
    arm: port("arm-port", values["arm-port"], DEFAULT_PORTS.arm),
    graph: port("graph-port", values["graph-port"], DEFAULT_PORTS.graph),
  };
  const dir = path.resolve(".local");
  console.log(`akv-rotator local stack: starting (state in ${dir}${values.fresh ? ", fresh" : ""})...`);
  const stack = await startLocalStack({
    dir,
    fresh: values.fresh ?? false,
    ports,
    print: (line) => console.log(line),
  });
  const d = stack.description as {
    host: { url: string; functionKey: string };
    keyVault: { url: string };
    eventGrid: { topicEndpoint: string; adminUrl: string; auditLog: string };
  };
  console.log(
    [
      "",
      `  Functions host   ${d.host.url}   (functions: ${(stack.description.host as { functions: string[] }).functions.join(", ")})`,
      `  Key Vault        ${d.keyVault.url}   (vault 'demo'; admin ${d.keyVault.url}/_emulator)`,
      `  Event Grid       ${d.eventGrid.topicEndpoint}   (admin ${d.eventGrid.adminUrl}; audit log ${d.eventGrid.auditLog})`,
      `  Azurite blobs    ${stack.azurite.blobEndpoint}`,
      `  PostgreSQL       ${stack.postgres.host}:${stack.postgres.port}   (local superuser in .local/stack.json)`,
      `  ARM              ${stack.arm.url}   (storage account 'demostorage': keys rotated through listKeys/regenerateKey)`,
      `  Microsoft Graph  ${stack.graph.url}   (application 'demo-app': client secrets; also Entra ID's token endpoint)`,
      `  Demo consumer    web app 'demo-web' reads demo-api-key through a Key Vault reference: told after each rotation ([consumer] lines)`,
      `  Function key     ${stack.keys.functionKey}`,
      "",
      "  Rotate on demand:",
      `    curl -s -X POST "${d.host.url}/api/secrets/demo-api-key/rotate" -H "x-functions-key: ${stack.keys.functionKey}" -H "content-type: application/json" -d '{"force":true}'`,
      "",
      `  Everything a script needs: ${path.join(dir, "stack.json")}.  Ctrl-C stops.`,
      stack.seeded.length > 0
        ? "  Demo secrets near expiry were just seeded: their rotations follow within seconds.\n"
        : "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log("stopping...");
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`npm start: ${(error as Error).message}`);
  process.exit(2);
});
