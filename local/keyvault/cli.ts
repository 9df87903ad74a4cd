import { parseArgs } from "node:util";
import path from "node:path";
import { KeyVaultEmulator } from "./keyVaultEmulator.js";

/**
 * `npm run kv-emulator -- [--port N] [--data-dir D] [--vault-name N] [--purge-protection]
 *  [--soft-delete-days N] [--near-expiry-days N]`: one vault on loopback. Prints one JSON line
 * `{"url","caCertPath","vaultName","adminUrl"}` once it is ready; Ctrl-C stops it.
 */
const USAGE =
  "usage: npm run kv-emulator -- [--port N] [--data-dir DIR] [--cert-dir DIR] [--vault-name NAME] " +
  "[--purge-protection] [--soft-delete-days 7-90] [--near-expiry-days N]";

function fail(message: string): never {
  process.stderr.write(`kv-emulator: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function wholeNumber(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`--${flag} must be a whole number from ${min} to ${max}, got '${raw}'`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        "data-dir": { type: "string" },
        "cert-dir": { type: "string" },
        "vault-name": { type: "string" },
        "purge-protection": { type: "boolean" },
        "soft-delete-days": { type: "string" },
        "near-expiry-days": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const emulator = new KeyVaultEmulator({
    port: wholeNumber("port", values.port, 0, 65535) ?? 0,
    ...(values["data-dir"] ? { dataDir: path.resolve(values["data-dir"]) } : {}),
    certDir: path.resolve(values["cert-dir"] ?? path.join(".local", "tls")),
    ...(values["vault-name"] ? { vaultName: values["vault-name"] } : {}),
    purgeProtection: values["purge-protection"] ?? false,
    softDeleteRetentionDays: wholeNumber("soft-delete-days", values["soft-delete-days"], 7, 90) ?? 90,
    nearExpiryLeadDays: wholeNumber("near-expiry-days", values["near-expiry-days"], 0, 3650) ?? 30,
  });
  try {
    await emulator.start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") fail(`port ${values.port} is already in use`);
    fail((error as Error).message);
  }
  process.stdout.write(
    `${JSON.stringify({ url: emulator.url, caCertPath: emulator.caCertPath, vaultName: emulator.vaultName, adminUrl: `${emulator.url}/_emulator` })}\n`,
  );
  const stop = (): void => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main();
