import { pendingRecordTags } from "../../src/vault/pendingRecord.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { FailedOutcome, SkippedOutcome } from "../../src/rotation/rotationOutcome.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { startPostgresFixture, type PostgresFixture } from "../helpers/postgresFixture.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
let pgfx: PostgresFixture;
let app: RotatorApp;
beforeAll(async () => {
  [stack, pgfx] = await Promise.all([startRotationStack(), startPostgresFixture()]);
  app = await stack.app();
});
afterAll(async () => {
  await Promise.all([stack?.stop(), pgfx?.stop()]);
});

const versions = async (name: string): Promise<string[]> => {
  const out: string[] = [];
  for await (const v of stack.kv.listPropertiesOfSecretVersions(name)) out.push(v.version as string);
  return out;
};
const pendingExists = async (secret: string): Promise<boolean> =>
  (await versions(pendingRecordName(secret)).catch(() => [])).length > 0;
const events = (
  secret: string,
  type?: string,
): { id: string; type: string; data: Record<string, unknown> }[] =>
  stack.topic.events
    .filter(
      (e) => (e.data as { secret?: string }).secret === secret && (type === undefined || e.type === type),
    )
    .map((e) => ({ id: e.id, type: e.type, data: e.data as Record<string, unknown> }));

async function pgSecret(
  name: string,
  role: string,
  password: string,
  extraTags: Record<string, string> = {},
): Promise<string> {
  const set = await stack.kv.setSecret(name, password, {
    tags: { CredentialId: role, ProviderAddress: pgfx.address, RotatorType: "postgres", ...extraTags },
  });
  return set.properties.version as string;
}

describe("rotation engine: outcomes and failure modes", () => {
  it("a failed verify puts the old password back, keeps the pending record, and the next run finishes", async () => {
    await pgfx.createRole("limited_admin", "CANARY-limited-admin", "CREATEROLE");
    await pgfx.createRole("limited", "CANARY-limited-old", "CONNECTION LIMIT 1");
    await pgfx.sql("GRANT limited TO limited_admin WITH ADMIN OPTION");
    await stack.kv.setSecret("limited-admin", "CANARY-limited-admin", {
      tags: { CredentialId: "limited_admin", AkvRotatorAdminFor: "pg-limited" },
    });
    const v1 = await pgSecret("pg-limited", "limited", "CANARY-limited-old", {
      AdminSecretName: "limited-admin",
    });
    // A consumer holds the role's only connection: the rotator's verify login is refused.
    const hog = new pg.Client({
      host: pgfx.server.host,
      port: pgfx.server.port,
      user: "limited",
      password: "CANARY-limited-old",
      database: "postgres",
    });
    await hog.connect();
    const failed = (await app.engine.rotate({
      vault: "rotation",
      secret: "pg-limited",
      trigger: "event",
      expectedVersion: v1,
    })) as FailedOutcome;
    await hog.end();
    expect(failed.status).toBe("failed");
    expect(failed.error.code).toBe("VerifyFailed");
    expect(failed.pendingKept).toBe(true);
    expect(await versions("pg-limited")).toEqual([v1]);
    expect(await pgfx.canLogin("limited", "CANARY-limited-old")).toBe(true);
    expect(events("pg-limited", "AkvRotator.SecretRotationFailed")).toHaveLength(1);

    const resumed = await app.engine.rotate({ vault: "rotation", secret: "pg-limited", trigger: "sweep" });
    expect(resumed).toMatchObject({ status: "rotated", resumed: true, rotationId: failed.rotationId });
    const latest = await stack.kv.getSecret("pg-limited");
    expect(await pgfx.canLogin("limited", latest.value as string)).toBe(true);
  });

  it("mutual exclusion: 20 concurrent runs from three instances rotate once; the rest are busy or skipped", async () => {
    const set = await stack.kv.setSecret("contended", "CANARY-contended-1", {
      tags: { RotatorType: "random" },
    });
    const apps = [app, await stack.app(), await stack.app()];
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (apps[i % 3] as RotatorApp).engine.rotate({
          vault: "rotation",
          secret: "contended",
          trigger: i % 2 ? "event" : "sweep",
          expectedVersion: set.properties.version as string,
        }),
      ),
    );
    const statuses = outcomes.map((o) => o.status);
    expect(statuses.filter((s) => s === "rotated")).toHaveLength(1);
    expect(statuses.every((s) => s === "rotated" || s === "busy" || s === "skipped")).toBe(true);
    expect(await versions("contended")).toHaveLength(2);
  });

  it("duplicate and late events are skipped as already rotated", async () => {
    const v1 = (await stack.kv.setSecret("dup-events", "CANARY-dup-1", { tags: { RotatorType: "random" } }))
      .properties.version as string;
    const first = await app.engine.rotate({
      vault: "rotation",
      secret: "dup-events",
      trigger: "event",
      expectedVersion: v1,
    });
    expect(first.status).toBe("rotated");
    const duplicate = (await app.engine.rotate({
      vault: "rotation",
      secret: "dup-events",
      trigger: "event",
      expectedVersion: v1,
    })) as SkippedOutcome;
    expect(duplicate).toMatchObject({ status: "skipped", reason: "already-rotated" });
    expect(await versions("dup-events")).toHaveLength(2);
    expect(events("dup-events", "AkvRotator.SecretRotationSkipped")).toHaveLength(1);
  });

  it.each([
    [
      { RotatorType: "postgres", ProviderAddress: "x", CredentialId: "r", ValidityPeriodDays: "abc" },
      "ValidityPeriodDays",
    ],
    [{ RotatorType: "oracle" }, "RotatorType"],
    [{ ProviderAddress: "db.example.com:5432" }, "ProviderAddress"],
    [
      { ProviderAddress: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/app" },
      "ProviderAddress",
    ],
    [{ RotatorType: "postgres", ProviderAddress: "127.0.0.1:5432" }, "CredentialId"],
    [{ RotatorType: "random", AlternateCredentialId: "b" }, "AlternateCredentialId"],
  ])("bad tags %j fail as MisconfiguredSecret naming %s, and change nothing", async (tags, tag) => {
    const name = `bad-${tag.toLowerCase()}-${Math.random().toString(36).slice(2, 7)}`;
    const v1 = (await stack.kv.setSecret(name, "CANARY-bad-tags", { tags })).properties.version as string;
    const outcome = (await app.engine.rotate({
      vault: "rotation",
      secret: name,
      trigger: "http",
    })) as FailedOutcome;
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "MisconfiguredSecret", retryable: false });
    expect(outcome.error.message).toContain(`secret '${name}'`);
    expect(outcome.error.message).toContain(tag);
    expect(await versions(name)).toEqual([v1]);
    expect(await pendingExists(name)).toBe(false);
  });

  it("an unreachable target fails retryably before anything is written", async () => {
    const v1 = (
      await stack.kv.setSecret("unreachable", "CANARY-unreachable", {
        tags: { RotatorType: "postgres", ProviderAddress: "127.0.0.1:1/postgres", CredentialId: "nobody" },
      })
    ).properties.version as string;
    const outcome = (await app.engine.rotate({
      vault: "rotation",
      secret: "unreachable",
      trigger: "event",
      expectedVersion: v1,
    })) as FailedOutcome;
    expect(outcome.error).toMatchObject({ code: "TargetUnreachable", retryable: true });
    expect(outcome.pendingKept).toBe(false);
    expect(await versions("unreachable")).toEqual([v1]);
    expect(await pendingExists("unreachable")).toBe(false);
  });

  it("Key Vault refusing to stage fails before the target is touched", async () => {
    await pgfx.createRole("kv_refused", "CANARY-kv-refused");
    const v1 = await pgSecret("kv-refused", "kv_refused", "CANARY-kv-refused");
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: pendingRecordName("kv-refused"),
      status: 403,
      body: { error: { code: "Forbidden", message: "denied (injected)" } },
    });
    const outcome = (await app.engine.rotate({
      vault: "rotation",
      secret: "kv-refused",
      trigger: "event",
      expectedVersion: v1,
    })) as FailedOutcome;
    expect(outcome.error).toMatchObject({ code: "KeyVaultForbidden", retryable: false });
    expect(await versions("kv-refused")).toEqual([v1]);
    expect(await pgfx.canLogin("kv_refused", "CANARY-kv-refused")).toBe(true);
  });

  it("a failed commit puts the old password back; the next run commits the staged value", async () => {
    await pgfx.createRole("commit_fails", "CANARY-commit-old");
    const v1 = await pgSecret("commit-fails", "commit_fails", "CANARY-commit-old");
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: "commit-fails",
      count: 10,
      status: 503,
    });
    const failed = (await app.engine.rotate({
      vault: "rotation",
      secret: "commit-fails",
      trigger: "event",
      expectedVersion: v1,
    })) as FailedOutcome;
    stack.vault.emulator.faults.clear();
    expect(failed.error).toMatchObject({ code: "KeyVaultUnavailable", retryable: true });
    expect(failed.pendingKept).toBe(true);
    expect(await pgfx.canLogin("commit_fails", "CANARY-commit-old")).toBe(true);
    const done = await app.engine.rotate({
      vault: "rotation",
      secret: "commit-fails",
      trigger: "event",
      expectedVersion: v1,
    });
    expect(done).toMatchObject({ status: "rotated", rotationId: failed.rotationId });
    expect(
      await pgfx.canLogin("commit_fails", (await stack.kv.getSecret("commit-fails")).value as string),
    ).toBe(true);
  });

  it("a commit whose answer was lost is recognised as landed, not reverted", async () => {
    await pgfx.createRole("commit_lost", "CANARY-commit-lost-old");
    const v1 = await pgSecret("commit-lost", "commit_lost", "CANARY-commit-lost-old");
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: "commit-lost",
      mode: "drop-response",
    });
    const outcome = await app.engine.rotate({
      vault: "rotation",
      secret: "commit-lost",
      trigger: "event",
      expectedVersion: v1,
    });
    expect(outcome.status).toBe("rotated");
    const latest = await stack.kv.getSecret("commit-lost");
    expect(await pgfx.canLogin("commit_lost", latest.value as string)).toBe(true);
    expect(await pendingExists("commit-lost")).toBe(true);
    await expect(stack.kv.getSecret(pendingRecordName("commit-lost"))).rejects.toMatchObject({
      statusCode: 403,
    });
  });

  it("a dry run reports the plan and changes nothing", async () => {
    const v1 = (
      await stack.kv.setSecret("dry", "CANARY-dry", {
        tags: { RotatorType: "random", ValidityPeriodDays: "7" },
      })
    ).properties.version as string;
    const outcome = await app.engine.rotate({
      vault: "rotation",
      secret: "dry",
      trigger: "http",
      dryRun: true,
    });
    expect(outcome).toMatchObject({
      status: "skipped",
      reason: "dry-run",
      plan: { rotator: "random", strategy: "single", validityDays: 7 },
    });
    expect(await versions("dry")).toEqual([v1]);
    expect(await pendingExists("dry")).toBe(false);
    expect(events("dry")).toEqual([]);
  });

  it("on demand, a secret rotated within the minimum interval needs force", async () => {
    await stack.kv.setSecret("recent", "CANARY-recent", { tags: { RotatorType: "random" } });
    const skipped = await app.engine.rotate({ vault: "rotation", secret: "recent", trigger: "http" });
    expect(skipped).toMatchObject({ status: "skipped", reason: "not-due" });
    const forced = await app.engine.rotate({
      vault: "rotation",
      secret: "recent",
      trigger: "http",
      force: true,
    });
    expect(forced.status).toBe("rotated");
  });

  it("the sweep rotates only what is due", async () => {
    await stack.kv.setSecret("far-off", "CANARY-far-off", {
      tags: { RotatorType: "random" },
      expiresOn: new Date(Date.now() + 90 * 86_400_000),
    });
    const outcome = await app.engine.rotate({
      vault: "rotation",
      secret: "far-off",
      trigger: "sweep",
      onlyIfDue: true,
    });
    expect(outcome).toMatchObject({ status: "skipped", reason: "not-due" });
  });

  it("an unmanaged secret is skipped, and an unknown vault or secret fails clearly", async () => {
    await stack.kv.setSecret("plain", "CANARY-plain", { tags: { Owner: "someone" } });
    expect(await app.engine.rotate({ vault: "rotation", secret: "plain", trigger: "http" })).toMatchObject({
      status: "skipped",
      reason: "unmanaged",
    });
    expect(await app.engine.rotate({ vault: "elsewhere", secret: "plain", trigger: "http" })).toMatchObject({
      status: "failed",
      error: { code: "UnknownVault" },
    });
    expect(
      await app.engine.rotate({ vault: "rotation", secret: "never-was", trigger: "http" }),
    ).toMatchObject({
      status: "failed",
      error: { code: "SecretNotFound", retryable: false },
    });
  });

  it("refuses to stage over a secret that happens to have the pending record's name", async () => {
    const v1 = (await stack.kv.setSecret("taken", "CANARY-taken", { tags: { RotatorType: "random" } }))
      .properties.version as string;
    await stack.kv.setSecret("taken--pending", "someone else's", { tags: { Owner: "other-team" } });
    const outcome = (await app.engine.rotate({
      vault: "rotation",
      secret: "taken",
      trigger: "event",
      expectedVersion: v1,
    })) as FailedOutcome;
    expect(outcome.error.code).toBe("PendingNameCollision");
    expect((await stack.kv.getSecret("taken--pending")).value).toBe("someone else's");
    expect(await versions("taken")).toEqual([v1]);
  });

  it("never resumes a pending record it did not stage: one forged by whoever may set secrets is refused", async () => {
    const v1 = (await stack.kv.setSecret("forged", "CANARY-forged", { tags: { RotatorType: "random" } }))
      .properties.version as string;
    await stack.kv.setSecret("forged--pending", "Attacker-Chosen-Pass-1", {
      tags: pendingRecordTags("forged", {
        rotationId: "f0f0f0f0-0000-4000-8000-000000000001",
        baseVersion: v1,
        credentialId: "",
        trigger: "event",
        stagedAt: new Date(),
        step: "stage",
      }),
    });
    const outcome = (await app.engine.rotate({
      vault: "rotation",
      secret: "forged",
      trigger: "sweep",
    })) as FailedOutcome;
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "PendingConflict", retryable: false });
    expect(outcome.error.message).toContain("did not stage");
    expect(await versions("forged")).toEqual([v1]);
    expect((await stack.kv.getSecret("forged")).value).toBe("CANARY-forged");
  });

  it("refuses to stage over a disabled secret that has the pending record's name", async () => {
    const v1 = (
      await stack.kv.setSecret("taken-off", "CANARY-taken-off", { tags: { RotatorType: "random" } })
    ).properties.version as string;
    const foreign = await stack.kv.setSecret("taken-off--pending", "someone else's", {
      tags: { Owner: "other-team" },
    });
    await stack.kv.updateSecretProperties("taken-off--pending", foreign.properties.version as string, {
      enabled: false,
    });
    const outcome = (await app.engine.rotate({
      vault: "rotation",
      secret: "taken-off",
      trigger: "event",
      expectedVersion: v1,
    })) as FailedOutcome;
    expect(outcome.error.code).toBe("PendingNameCollision");
    expect(await versions("taken-off")).toEqual([v1]);
    let records = 0;
    for await (const _ of stack.kv.listPropertiesOfSecretVersions("taken-off--pending")) records += 1;
    expect(records).toBe(1);
  });

  it("audit events carry the rotation's facts; with the topic down they wait in the outbox and are redelivered", async () => {
    stack.topic.setDown(true);
    const v1 = (await stack.kv.setSecret("audited", "CANARY-audited", { tags: { RotatorType: "random" } }))
      .properties.version as string;
    const outcome = await app.engine.rotate({
      vault: "rotation",
      secret: "audited",
      trigger: "event",
      expectedVersion: v1,
    });
    expect(outcome.status).toBe("rotated");
    expect(events("audited")).toEqual([]);
    const kept: string[] = [];
    for await (const b of app.container.listBlobsFlat({ prefix: "outbox/" })) kept.push(b.name);
    expect(kept).toContain(`outbox/${outcome.rotationId}.json`);
    stack.topic.setDown(false);
    const redelivered = await app.audit.redeliver();
    expect(redelivered.delivered).toBeGreaterThanOrEqual(1);
    const [event] = events("audited", "AkvRotator.SecretRotated");
    const latest = await stack.kv.getSecret("audited");
    expect(event).toMatchObject({
      id: outcome.rotationId,
      data: {
        vault: "rotation",
        secret: "audited",
        outcome: "rotated",
        trigger: "event",
        rotator: "random",
        previousVersion: v1,
        newVersion: latest.properties.version,
      },
    });
    const received = stack.topic.events.find((e) => e.id === outcome.rotationId);
    expect(received).toMatchObject({
      specversion: "1.0",
      source: "/akv-rotator/vaults/rotation",
      subject: "rotation/secrets/audited",
    });
  });
});

describe("rotation engine: when a rotation is due", () => {
  it("an event for a version outside the due window is skipped, so a short validity cannot loop on near-expiry events", async () => {
    // Valid for 30 days: Key Vault says "near expiry" at once, but the due window is 15 days.
    const v1 = (
      await stack.kv.setSecret("short-lived", "CANARY-short-1", {
        tags: { RotatorType: "random", ValidityPeriodDays: "30" },
        expiresOn: new Date(Date.now() + 2 * 86_400_000),
      })
    ).properties.version as string;
    const first = await app.engine.rotate({
      vault: "rotation",
      secret: "short-lived",
      trigger: "event",
      expectedVersion: v1,
    });
    expect(first.status).toBe("rotated");
    const v2 = (await stack.kv.getSecret("short-lived")).properties.version as string;
    const next = await app.engine.rotate({
      vault: "rotation",
      secret: "short-lived",
      trigger: "event",
      expectedVersion: v2,
    });
    expect(next).toMatchObject({ status: "skipped", reason: "not-due" });
    expect((next as SkippedOutcome).detail).toContain("due 15 days before");
  });

  it("an expired secret is always due, and force overrides the window", async () => {
    const v1 = (
      await stack.kv.setSecret("expired-one", "CANARY-expired-1", {
        tags: { RotatorType: "random" },
        expiresOn: new Date(Date.now() - 86_400_000),
      })
    ).properties.version as string;
    expect(
      (
        await app.engine.rotate({
          vault: "rotation",
          secret: "expired-one",
          trigger: "event",
          expectedVersion: v1,
        })
      ).status,
    ).toBe("rotated");
    expect(
      (
        await app.engine.rotate({
          vault: "rotation",
          secret: "expired-one",
          trigger: "sweep",
          onlyIfDue: true,
          force: true,
        })
      ).status,
    ).toBe("rotated");
  });
});
