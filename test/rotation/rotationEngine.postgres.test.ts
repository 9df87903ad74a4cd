import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
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

const DAY = 86_400_000;

describe("rotation engine with the postgres rotator, end to end", () => {
  it("single credential: the login changes its own password; the new one logs in and the old one no longer does", async () => {
    await pgfx.createRole("app_single", "CANARY-single-old-1");
    const set = await stack.kv.setSecret("pg-single", "CANARY-single-old-1", {
      tags: {
        CredentialId: "app_single",
        ProviderAddress: pgfx.address,
        RotatorType: "postgres",
        ValidityPeriodDays: "45",
        Owner: "team-a",
      },
      expiresOn: new Date(Date.now() + 10 * DAY),
    });
    const outcome = await app.engine.rotate({
      vault: "rotation",
      secret: "pg-single",
      trigger: "event",
      expectedVersion: set.properties.version as string,
    });
    expect(outcome.status).toBe("rotated");
    const latest = await stack.kv.getSecret("pg-single");
    expect(latest.value).not.toBe("CANARY-single-old-1");
    expect(await pgfx.canLogin("app_single", latest.value as string)).toBe(true);
    expect(await pgfx.canLogin("app_single", "CANARY-single-old-1")).toBe(false);
    expect(latest.properties.tags).toMatchObject({
      CredentialId: "app_single",
      Owner: "team-a",
      RotationTrigger: "event",
      PreviousVersion: set.properties.version,
      RotationId: outcome.rotationId,
    });
    const days = ((latest.properties.expiresOn as Date).getTime() - Date.now()) / DAY;
    expect(days).toBeGreaterThan(44.9);
    expect(days).toBeLessThanOrEqual(45);
    const pending = await stack.kv.listPropertiesOfSecretVersions(pendingRecordName("pg-single")).next();
    expect(pending.value?.enabled).toBe(false);
  });

  it("dual credential: rotates the alternate login through an admin secret and flips CredentialId; the old value keeps working", async () => {
    await pgfx.createRole("rotator_admin", "CANARY-admin-pass-1", "CREATEROLE");
    await pgfx.createRole("app_a", "CANARY-dual-a-1");
    await pgfx.createRole("app_b", "CANARY-dual-b-1");
    await pgfx.sql("GRANT app_a, app_b TO rotator_admin WITH ADMIN OPTION");
    await stack.kv.setSecret("pg-admin", "CANARY-admin-pass-1", {
      tags: { CredentialId: "rotator_admin", AkvRotatorAdminFor: "pg-dual" },
    });
    await stack.kv.setSecret(
      "pg-dual",
      JSON.stringify({ username: "app_a", password: "CANARY-dual-a-1", host: "db" }),
      {
        contentType: "application/json",
        tags: {
          CredentialId: "app_a",
          AlternateCredentialId: "app_b",
          ProviderAddress: pgfx.address,
          RotatorType: "postgres",
          AdminSecretName: "pg-admin",
        },
      },
    );
    const first = await app.engine.rotate({
      vault: "rotation",
      secret: "pg-dual",
      trigger: "http",
      force: true,
    });
    expect(first.status).toBe("rotated");
    const v2 = await stack.kv.getSecret("pg-dual");
    const body2 = JSON.parse(v2.value as string) as { username: string; password: string; host: string };
    expect(body2).toMatchObject({ username: "app_b", host: "db" });
    expect(v2.properties.tags).toMatchObject({ CredentialId: "app_b", AlternateCredentialId: "app_a" });
    expect(await pgfx.canLogin("app_b", body2.password)).toBe(true);
    expect(await pgfx.canLogin("app_a", "CANARY-dual-a-1")).toBe(true);

    const second = await app.engine.rotate({
      vault: "rotation",
      secret: "pg-dual",
      trigger: "http",
      force: true,
    });
    expect(second.status).toBe("rotated");
    const body3 = JSON.parse((await stack.kv.getSecret("pg-dual")).value as string) as {
      username: string;
      password: string;
    };
    expect(body3.username).toBe("app_a");
    expect(await pgfx.canLogin("app_a", body3.password)).toBe(true);
    expect(await pgfx.canLogin("app_a", "CANARY-dual-a-1")).toBe(false);
    expect(await pgfx.canLogin("app_b", body2.password)).toBe(true);
  });

  it("a staged rotation whose target is no longer allowed is not applied when it resumes", async () => {
    await pgfx.createRole("app_revoked", "CANARY-revoked-old-1");
    const set = await stack.kv.setSecret("pg-revoked", "CANARY-revoked-old-1", {
      tags: { CredentialId: "app_revoked", ProviderAddress: pgfx.address, RotatorType: "postgres" },
    });
    const crashing = await stack.app({
      checkpoint: (at) => {
        if (at === "apply") throw new SimulatedCrash(at);
      },
    });
    const request = {
      vault: "rotation",
      secret: "pg-revoked",
      trigger: "event" as const,
      expectedVersion: set.properties.version as string,
    };
    await expect(crashing.engine.rotate(request)).rejects.toBeInstanceOf(SimulatedCrash);
    await app.container
      .getBlobClient(LeaseManager.blobName("rotation", "pg-revoked"))
      .getBlobLeaseClient()
      .breakLease(0);
    // The operator takes the server off the list before the rotation resumes.
    const revoked = await stack.app({ env: { AKV_ROTATOR_ALLOWED_TARGETS: "applications/*" } });
    const outcome = await revoked.engine.rotate({ ...request, trigger: "sweep" });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "BindingNotAllowed" } });
    expect(await pgfx.canLogin("app_revoked", "CANARY-revoked-old-1")).toBe(true);
    expect((await stack.kv.getSecret("pg-revoked")).properties.version).toBe(set.properties.version);
  });
});
