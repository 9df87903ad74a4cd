import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import { keyVaultResolver } from "../../local/arm/keyVaultResolver.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { SecretTagError } from "../../src/errors.js";
import { generatePassword, satisfiesPolicy } from "../../src/rotation/passwordPolicy.js";
import { planRotation } from "../../src/rotation/rotationPlan.js";
import type { CredentialChange, Rotator, RotatorContext, SecretTags } from "../../src/rotators/rotator.js";
import type { PasswordPolicy } from "../../src/rotation/passwordPolicy.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { RotationOutcome } from "../../src/rotation/rotationOutcome.js";
import { startArm } from "../helpers/armFixture.js";
import { azureContext } from "../helpers/rotatorContext.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

/** The subscription the contract's consumer (an App Service app in resource group `apps`) lives in. */
const CONSUMER_SUB = "0c0c0c0c-1111-2222-3333-444444444444";

/** What a rotator's own test file provides to the contract suite. */
export interface ContractSubject {
  rotator: Rotator;
  /** Creates a fresh credential on a real target and returns the tags and value of a secret for it. */
  arrange(id: string): Promise<{
    tags: SecretTags;
    value: string;
    extraSecrets?: Record<string, { value: string; tags: Record<string, string> }>;
  }>;
  /**
   * Whether the target accepts this credential value. Absent for a rotator with no target to ask (`random`):
   * the checks that ask the target are then not made, and the value is checked against the policy instead.
   */
  accepts?(tags: SecretTags, value: string): Promise<boolean>;
  /** Tags whose absence parseTarget must refuse, naming them. */
  requiredTags: string[];
  /** Whether a wrong value is refused by verify (false for targets with nothing to log in to). */
  verifyRejectsWrongValue: boolean;
  /** Management-plane endpoints for rotators that use ARM or Graph (the emulators'). */
  azure?(): RotatorContext["azure"];
  /** The subject's ARM emulator, where the consumer test adds its App Service app; one is started when absent. */
  arm?(): ArmEmulator;
  /** Extra app settings for the engine run (ARM_ENDPOINT, GRAPH_ENDPOINT). */
  env?(): Record<string, string>;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

/**
 * The contract every rotator passes, now and later: target parsing names missing tags, generated values
 * meet the policy, preflight changes nothing, apply is idempotent, verify tells good from bad, and the
 * engine rotates a real secret end to end with it, telling the secret's consumer (an App Service app whose
 * Key Vault reference then resolves a value the target accepts).
 */
export function rotatorContract(name: string, subject: () => ContractSubject): void {
  describe(`rotator contract: ${name}`, () => {
    let stack: RotationStack;
    // Made at collection time: which tests apply depends on what the rotator has (revert, issue, a target).
    const s = subject();
    let n = 0;
    const fresh = (): string => `k${process.pid % 1000}n${(n += 1)}`;
    /** Asks the target; only called where the subject has one (see `accepts`). */
    const accepts = (tags: SecretTags, value: string): Promise<boolean> => {
      if (!s.accepts) throw new Error(`${name} has no target to ask`);
      return s.accepts(tags, value);
    };
    beforeAll(async () => {
      await s.setup?.();
      stack = await startRotationStack({ vaultName: "contract" });
    });
    afterAll(async () => {
      await stack?.stop();
      await s?.teardown?.();
    });

    const context = (
      extra: Record<string, { value: string; tags: Record<string, string> }> = {},
    ): RotatorContext => ({
      credential: new EmulatorCredential(),
      azure: s.azure?.() ?? azureContext(),
      readSecret: async (secretName) => {
        const found = extra[secretName];
        if (!found) throw new Error(`no secret ${secretName}`);
        return found;
      },
    });
    /** Dual when the tags or the rotator pair the credential with another: the change is for the other one. */
    const alternate = (tags: SecretTags): string | undefined =>
      tags.AlternateCredentialId ?? s.rotator.alternateOf?.(tags.CredentialId ?? "");
    const changeFor = (tags: SecretTags, current: string, newValue: string): CredentialChange => ({
      credentialId: alternate(tags) ?? tags.CredentialId ?? "",
      newValue,
      ...(alternate(tags) === undefined ? { currentValue: current } : {}),
      activeCredentialId: tags.CredentialId ?? "",
      activeValue: current,
      rotationId: `contract-${(n += 1)}`,
      validUntil: new Date(Date.now() + 30 * 86_400_000),
    });
    /** The value a rotation would set: the engine's password, or one the target issues. */
    const newValueFor = async (
      target: unknown,
      change: CredentialChange,
      ctx: RotatorContext,
    ): Promise<string> =>
      s.rotator.issue ? s.rotator.issue(target, change, ctx) : generatePassword(policy());
    const rotateForced = (app: RotatorApp, secret: string): Promise<RotationOutcome> =>
      app.engine.rotate({ vault: "contract", secret, trigger: "cli", force: true });
    const policy = (): PasswordPolicy => {
      if (!s.rotator.passwordPolicy) throw new Error(`${name} has no password policy`);
      return s.rotator.passwordPolicy;
    };

    it("refuses tags without what it needs, naming the tag", async () => {
      const { tags } = await s.arrange(fresh());
      for (const tag of s.requiredTags) {
        const without = Object.fromEntries(Object.entries(tags).filter(([k]) => k !== tag));
        expect(() => s.rotator.parseTarget(without, "contract-secret")).toThrow(SecretTagError);
        expect(() => s.rotator.parseTarget(without, "contract-secret")).toThrow(tag);
      }
    });

    it("has new values made one way: generated by its own policy, or issued by the target", () => {
      expect(Boolean(s.rotator.passwordPolicy) !== Boolean(s.rotator.issue)).toBe(true);
      if (!s.rotator.passwordPolicy) return;
      for (let i = 0; i < 50; i += 1)
        expect(satisfiesPolicy(generatePassword(policy()), policy())).toBe(true);
    });

    it("preflight changes nothing; apply is idempotent; verify tells the new value from a wrong one", async () => {
      const { tags, value, extraSecrets } = await s.arrange(fresh());
      const target = s.rotator.parseTarget(tags, "contract-secret");
      const ctx = context(extraSecrets);
      const probe = changeFor(tags, value, "");
      await s.rotator.preflight(target, probe, ctx);
      if (s.accepts) expect(await accepts(tags, value)).toBe(true);
      const next = await newValueFor(target, probe, ctx);
      const change = { ...probe, newValue: next };
      // Issuing a credential never touches the one consumers use now.
      if (s.rotator.issue) expect(await accepts(tags, value)).toBe(true);
      await s.rotator.apply(target, change, ctx);
      await s.rotator.apply(target, change, ctx);
      await s.rotator.verify(target, change, ctx);
      if (s.accepts) expect(await accepts(tags, next)).toBe(true);
      else expect(satisfiesPolicy(next, policy())).toBe(true);
      if (s.verifyRejectsWrongValue) {
        await expect(s.rotator.verify(target, { ...change, newValue: `${next}x` }, ctx)).rejects.toThrow();
        // A single password is replaced; a pair, or a credential the target issues beside the active one,
        // keeps the active one working for its consumers.
        expect(await accepts(tags, value)).toBe(alternate(tags) !== undefined || Boolean(s.rotator.issue));
      }
    });

    it("has a target to ask exactly when verify can refuse a wrong value", () => {
      expect(Boolean(s.accepts)).toBe(s.verifyRejectsWrongValue);
    });

    const { revert } = s.rotator;
    if (revert) {
      it("reverts to the old value (single credential)", async () => {
        const { tags, value, extraSecrets } = await s.arrange(fresh());
        const target = s.rotator.parseTarget(tags, "contract-secret");
        const change = changeFor(tags, value, generatePassword(policy()));
        await s.rotator.apply(target, change, context(extraSecrets));
        expect(await accepts(tags, value)).toBe(false);
        await revert(target, change, context(extraSecrets));
        expect(await accepts(tags, value)).toBe(true);
      });
    } else {
      it("needs no revert: it never replaces the credential consumers use, or has no target", () => {
        expect(Boolean(s.rotator.issue) || Boolean(s.rotator.alternateOf) || !s.accepts).toBe(true);
      });
    }

    it("is rotated end to end by the engine, with a plan inferred from its tags", async () => {
      const { tags, value, extraSecrets } = await s.arrange(fresh());
      for (const [secretName, extra] of Object.entries(extraSecrets ?? {}))
        await stack.kv.setSecret(secretName, extra.value, { tags: extra.tags });
      const secretName = `contract-${fresh()}`;
      const set = await stack.kv.setSecret(secretName, value, { tags });
      const plan = planRotation(secretName, tags, 60);
      expect(plan.managed && plan.plan.rotatorType).toBe(s.rotator.type);
      const app = await stack.app({ env: s.env?.() ?? {} });
      const outcome = await app.engine.rotate({
        vault: "contract",
        secret: secretName,
        trigger: "cli",
        force: true,
        expectedVersion: set.properties.version as string,
      });
      expect(outcome.status).toBe("rotated");
      const latest = await stack.kv.getSecret(secretName);
      expect(latest.value).not.toBe(value);
      if (s.accepts) expect(await accepts(latest.properties.tags ?? {}, latest.value as string)).toBe(true);
      else expect(satisfiesPolicy(latest.value as string, policy())).toBe(true);
    });

    it("tells a consumer after the commit: the app resolves the new version, and the target accepts what it reads", async () => {
      const { tags, value, extraSecrets } = await s.arrange(fresh());
      for (const [secretName, extra] of Object.entries(extraSecrets ?? {}))
        await stack.kv.setSecret(secretName, extra.value, { tags: extra.tags });
      const own = s.arm ? undefined : await startArm();
      try {
        const arm = s.arm?.() ?? (own as ArmEmulator);
        arm.resolveSecretsWith(keyVaultResolver([stack.vault.emulator]));
        const secretName = `consumer-${fresh()}`;
        const set = await stack.kv.setSecret(secretName, value, {
          tags: { ...tags, Consumers: `site:apps/${secretName}-web` },
        });
        const site = arm.addSite({
          subscriptionId: CONSUMER_SUB,
          resourceGroup: "apps",
          name: `${secretName}-web`,
          appSettings: { VALUE: `@Microsoft.KeyVault(VaultName=contract;SecretName=${secretName})` },
        });
        expect(site.references.VALUE?.activeVersion).toBe(set.properties.version);
        const env = s.env?.() ?? {};
        const app = await stack.app({
          env: {
            ...env,
            ARM_ENDPOINT: arm.url,
            CONSUMER_SUBSCRIPTION_ID: CONSUMER_SUB,
            CONSUMER_WAIT_SECONDS: "10",
            AKV_ROTATOR_ALLOWED_TARGETS: `${env.AKV_ROTATOR_ALLOWED_TARGETS ?? stack.env.AKV_ROTATOR_ALLOWED_TARGETS ?? ""} contract=/subscriptions/${CONSUMER_SUB}/resourceGroups/apps`,
          },
        });
        const outcome = await rotateForced(app, secretName);
        expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
        if (outcome.status !== "rotated") return;
        expect(outcome.consumers).toMatchObject([{ state: "confirmed", version: outcome.newVersion }]);
        const read = site.references.VALUE;
        expect(read?.activeVersion).toBe(outcome.newVersion);
        const latest = await stack.kv.getSecret(secretName);
        if (s.accepts) expect(await accepts(latest.properties.tags ?? {}, read?.value ?? "")).toBe(true);
        else expect(read?.value).toBe(latest.value);
      } finally {
        await own?.stop();
      }
    });

    if (!s.rotator.issue && !s.rotator.alternateOf) {
      if (s.accepts)
        it("replaces the single credential: after a rotation the old value no longer works", async () => {
          const { tags, value, extraSecrets } = await s.arrange(fresh());
          for (const [secretName, extra] of Object.entries(extraSecrets ?? {}))
            await stack.kv.setSecret(secretName, extra.value, { tags: extra.tags });
          const secretName = `single-${fresh()}`;
          await stack.kv.setSecret(secretName, value, { tags });
          const app = await stack.app({ env: s.env?.() ?? {} });
          const outcome = await rotateForced(app, secretName);
          expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
          const latest = await stack.kv.getSecret(secretName);
          expect(await accepts(latest.properties.tags ?? {}, latest.value as string)).toBe(true);
          expect(await accepts(tags, value)).toBe(false);
        });
      return;
    }

    it("alternates: after each rotation the previous value still works, the one before it no longer does", async () => {
      const { tags, value, extraSecrets } = await s.arrange(fresh());
      for (const [secretName, extra] of Object.entries(extraSecrets ?? {}))
        await stack.kv.setSecret(secretName, extra.value, { tags: extra.tags });
      const secretName = `alternate-${fresh()}`;
      await stack.kv.setSecret(secretName, value, { tags });
      const app = await stack.app({ env: s.env?.() ?? {} });
      const held = [{ value, tags: tags as Record<string, string> }];
      for (let round = 1; round <= 3; round += 1) {
        const outcome = await rotateForced(app, secretName);
        expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
        const latest = await stack.kv.getSecret(secretName);
        held.push({ value: latest.value as string, tags: latest.properties.tags ?? {} });
        const current = held[round];
        const previous = held[round - 1];
        const older = held[round - 2];
        expect(await accepts(current?.tags ?? {}, current?.value ?? "")).toBe(true);
        expect(await accepts(previous?.tags ?? {}, previous?.value ?? "")).toBe(true);
        if (older && round >= 2) expect(await accepts(older.tags, older.value)).toBe(false);
      }
    });
  });
}
