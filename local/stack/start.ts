import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { KeyVaultEmulator } from "../keyvault/keyVaultEmulator.js";

/**
 * `npm start`: the local stack on loopback. For now it runs the Key Vault emulator (the functions host,
 * Event Grid emulator, Azurite and PostgreSQL join it as their issues land). State lives under `.local/`;
 * `npm start -- --fresh` starts clean.
 */
const LOCAL_DIR = path.resolve(".local");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { fresh: { type: "boolean" }, "keyvault-port": { type: "string" } },
    strict: true,
  });
  const port = Number(values["keyvault-port"] ?? "8443");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--keyvault-port must be a port number, got '${values["keyvault-port"]}'`);
  }
  if (values.fresh) await rm(path.join(LOCAL_DIR, "state"), { recursive: true, force: true });
  await mkdir(LOCAL_DIR, { recursive: true });

  const keyVault = new KeyVaultEmulator({
    port,
    vaultName: "demo",
    certDir: path.join(LOCAL_DIR, "tls"),
    dataDir: path.join(LOCAL_DIR, "state"),
  });
  try {
    await keyVault.start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`port ${port} is in use: stop what holds it, or pass --keyvault-port N`, {
        cause: error,
      });
    }
    throw error;
  }
  keyVault.onEvent((e) =>
    console.log(
      `[keyvault] ${e.eventType.replace("Microsoft.KeyVault.", "")} ${e.subject} (version ${e.data.Version})`,
    ),
  );
  const stack = {
    keyVault: {
      name: keyVault.vaultName,
      url: keyVault.url,
      adminUrl: `${keyVault.url}/_emulator`,
      caCertPath: keyVault.caCertPath,
    },
  };
  await writeFile(path.join(LOCAL_DIR, "stack.json"), `${JSON.stringify(stack, null, 2)}\n`);
  console.log(
    `Key Vault emulator  ${keyVault.url}   (vault '${keyVault.vaultName}', CA ${keyVault.caCertPath})`,
  );
  console.log(`Everything a script needs is in ${path.join(LOCAL_DIR, "stack.json")}. Ctrl-C stops.`);

  const stop = (): void => {
    console.log("stopping...");
    keyVault.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`npm start: ${(error as Error).message}`);
  process.exit(2);
});
