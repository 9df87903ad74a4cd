import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgresFixture, type PostgresFixture } from "./helpers/postgresFixture.js";
import { startRotationStack, type RotationStack } from "./helpers/rotationStack.js";
import type { RotationOutcome } from "../src/rotation/rotationOutcome.js";
import { pendingRecordName } from "../src/vault/pendingRecord.js";

let stack: RotationStack;
let pgfx: PostgresFixture;
beforeAll(async () => {
  [stack, pgfx] = await Promise.all([startRotationStack({ vaultName: "leaks" }), startPostgresFixture()]);
});
afterAll(async () => {
  await Promise.all([stack?.stop(), pgfx?.stop()]);
});

/**
 * The leak canary: run rotations that succeed, fail in every way we can provoke, and wait in the outbox,
 * then scan everything they left outside Key Vault (log lines, outcomes, error messages, audit events,
 * outbox blobs) for any secret value the vault holds, old or new, and for the canary marker.
 */
describe("no secret value leaves Key Vault", () => {
  it("appears in no log line, outcome, error, audit event or outbox blob", async () => {
    const app = await stack.app();
    const outcomes: RotationOutcome[] = [];
    const run = async (secret: string, extra: object = {}): Promise<void> => {
      outcomes.push(
        await app.engine.rotate({ vault: "leaks", secret, trigger: "http", force: true, ...extra }),
      );
    };
    await pgfx.createRole("leak_ok", "CANARY-leak-ok-1");
    await stack.kv.setSecret("leak-ok", "CANARY-leak-ok-1", {
      tags: { RotatorType: "postgres", ProviderAddress: pgfx.address, CredentialId: "leak_ok" },
    });
    await run("leak-ok");
    await stack.kv.setSecret("leak-wrong-password", "CANARY-leak-wrong-1", {
      tags: { RotatorType: "postgres", ProviderAddress: pgfx.address, CredentialId: "leak_ok" },
    });
    await run("leak-wrong-password");
    await stack.kv.setSecret("leak-no-role", "CANARY-leak-norole-1", {
      tags: { RotatorType: "postgres", ProviderAddress: pgfx.address, CredentialId: "ghost" },
    });
    await run("leak-no-role");
    await stack.kv.setSecret("leak-json", JSON.stringify({ password: "CANARY-leak-json-1" }), {
      contentType: "application/json",
      tags: { RotatorType: "random" },
    });
    await run("leak-json");
    await stack.kv.setSecret("leak-bad-json", "CANARY-leak-notjson-1", {
      contentType: "application/json",
      tags: { RotatorType: "random" },
    });
    await run("leak-bad-json");
    await stack.kv.setSecret("leak-tags", "CANARY-leak-tags-1", {
      tags: { RotatorType: "random", ValidityPeriodDays: "soon" },
    });
    await run("leak-tags");
    await stack.kv.setSecret("leak-dry", "CANARY-leak-dry-1", { tags: { RotatorType: "random" } });
    await run("leak-dry", { dryRun: true });
    stack.topic.setDown(true);
    await stack.kv.setSecret("leak-outbox", "CANARY-leak-outbox-1", { tags: { RotatorType: "random" } });
    await run("leak-outbox");
    await stack.kv.setSecret("leak-commit", "CANARY-leak-commit-1", { tags: { RotatorType: "random" } });
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: "leak-commit",
      count: 10,
      status: 400,
      body: { error: { code: "BadParameter", message: "nope" } },
    });
    await run("leak-commit");
    stack.topic.setDown(false);

    expect(outcomes.map((o) => o.status)).toEqual([
      "rotated",
      "failed",
      "failed",
      "rotated",
      "failed",
      "failed",
      "skipped",
      "rotated",
      "failed",
    ]);

    const outbox: string[] = [];
    for await (const blob of app.container.listBlobsFlat({ prefix: "outbox/" })) {
      outbox.push((await app.container.getBlobClient(blob.name).downloadToBuffer()).toString("utf8"));
    }
    expect(outbox.length).toBeGreaterThan(0);
    const captured = [
      ...stack.logger.lines,
      ...outcomes.map((o) => JSON.stringify(o)),
      ...stack.topic.events.map((e) => JSON.stringify(e)),
      ...outbox,
    ].join("\n");

    const values = new Set<string>();
    for (const secret of stack.vault.emulator.store.snapshot().secrets) {
      for (const v of secret.versions) {
        values.add(v.value);
        if (v.contentType === "application/json" && v.value.startsWith("{"))
          values.add((JSON.parse(v.value) as { password: string }).password);
      }
    }
    expect(values.size).toBeGreaterThanOrEqual(12);
    expect([...values].some((v) => v.startsWith("CANARY-"))).toBe(true);
    expect(
      stack.vault.emulator.store.snapshot().secrets.some((s) => s.name === pendingRecordName("leak-ok")),
    ).toBe(true);
    for (const value of values)
      expect(captured.includes(value), `a secret value leaked: ${value.slice(0, 3)}…`).toBe(false);
    expect(captured).not.toContain("CANARY");
  });
});
