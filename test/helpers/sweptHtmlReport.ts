import path from "node:path";
import { PassThrough } from "node:stream";
import { loadConfig } from "../../src/config.js";
import { createVaultGateways } from "../../src/rotation/createEngine.js";
import { HtmlReportWriter } from "../../src/sweep/htmlReportWriter.js";
import { readVaultPosture } from "../../src/sweep/readVaultPosture.js";
import { runSweep } from "../../src/sweep/runSweep.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { ThrottleSignal } from "../../src/vault/throttlePolicy.js";
import { startArm } from "./armFixture.js";
import { startVault, TEST_CERT_DIR } from "./keyVaultFixture.js";

const DAY = 86_400_000;

export interface SweptHtmlReport {
  html: string;
  /** The values the vault holds: none may appear in the page, in any encoding. */
  values: string[];
}

/**
 * The HTML page of a real sweep of an emulated vault `htmlvault` (three secrets: `good` passes every policy,
 * `loose` has no expiry nor content type, `soon` expires in 5 days) whose ARM posture fails one check
 * (purge protection off). The emulators are stopped before it returns.
 */
export async function sweptHtmlReport(): Promise<SweptHtmlReport> {
  const values = ["CANARY-html-good-Zq9", "CANARY-html-loose-Xw4", "CANARY-html-soon-Pm7"];
  const [vault, arm] = await Promise.all([startVault({ vaultName: "htmlvault" }), startArm()]);
  try {
    const resource = arm.vaults.add({ name: "htmlvault", purgeProtection: false });
    const kv = vault.client();
    const inDays = (d: number): Date => new Date(Date.now() + d * DAY);
    await kv.setSecret("good", values[0] as string, {
      contentType: "text/plain",
      expiresOn: inDays(90),
      tags: { RotatorType: "random", Owner: "team-html" },
    });
    await kv.setSecret("loose", values[1] as string);
    await kv.setSecret("soon", values[2] as string, { contentType: "text/plain", expiresOn: inDays(5) });
    const config = loadConfig(
      {
        KEYVAULT_URIS: `htmlvault=${vault.emulator.url}`,
        KEYVAULT_RESOURCE_IDS: resource.id,
        ARM_ENDPOINT: arm.url,
        AKV_ROTATOR_CREDENTIAL: "emulator",
        AKV_ROTATOR_TLS_CA_FILE: path.join(TEST_CERT_DIR, "localhost-ca.pem"),
      },
      { requireStorage: false },
    );
    const credential = new EmulatorCredential();
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    await runSweep({
      vaults: createVaultGateways(config, credential, new ThrottleSignal()),
      settings: config,
      rotate: false,
      dryRun: false,
      trigger: "cli",
      writers: [new HtmlReportWriter(stream)],
      policy: config.policy,
      posture: await readVaultPosture(config, [{ name: "htmlvault", resourceId: resource.id }], credential),
    });
    return { html: Buffer.concat(chunks).toString("utf8"), values };
  } finally {
    await Promise.all([vault.stop(), arm.stop()]);
  }
}

/** A value in the encodings a leak could take: as is, base64, base64url, hex, URL-encoded, reversed. */
export function encodingsOf(value: string): string[] {
  const b = Buffer.from(value);
  return [
    value,
    b.toString("base64"),
    b.toString("base64url"),
    b.toString("hex"),
    encodeURIComponent(value),
    value.split("").reverse().join(""),
  ];
}
