import { GraphEmulator, type GraphEmulatorOptions } from "../../local/graph/graphEmulator.js";
import { TEST_CERT_DIR } from "./keyVaultFixture.js";

/** The Microsoft Graph (and Entra token endpoint) emulator on loopback with the tests' certificate. */
export async function startGraph(options: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  return new GraphEmulator({ certDir: TEST_CERT_DIR, ...options }).start();
}

/** App settings pointing the engine at the emulator for Graph and for Entra ID's token endpoint. */
export function graphEnv(graph: GraphEmulator): Record<string, string> {
  return { GRAPH_ENDPOINT: graph.url, ENTRA_AUTHORITY_HOST: graph.url };
}
