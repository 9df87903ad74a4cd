import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { SecretTagError } from "../../src/errors.js";
import { generatePassword, satisfiesPolicy } from "../../src/rotation/passwordPolicy.js";
import { planRotation } from "../../src/rotation/rotationPlan.js";
import type { CredentialChange, Rotator, RotatorContext, SecretTags } from "../../src/rotators/rotator.js";
import { azureContext } from "../helpers/rotatorContext.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

/** What a rotator's own test file provides to the contract suite. */
export interface ContractSubject {
  rotator: Rotator;
  /** Creates a fresh credential on a real target and returns the tags and value of a secret for it. */
  arrange(id: string): Promise<{
    tags: SecretTags;
    value: string;
    extraSecrets?: Record<string, { value: string; tags: Record<string, string> }>;
  }>;
  /** Whether the target accepts this credential value (vacuously true for targets without a login). */
  accepts(tags: SecretTags, value: string): Promise<boolean>;
  /** Tags whose absence parseTarget must refuse, naming them. */
  requiredTags: string[];
  /** Whether a wrong value is refused by verify (false for targets with nothing to log in to). */
  verifyRejectsWrongValue: boolean;
  /** Management-plane endpoints for rotators that use ARM or Graph (the emulators'). */
  azure?(): RotatorContext["azure"];
  /** Extra app settings for the engine run (ARM_ENDPOINT, GRAPH_ENDPOINT). */
  env?(): Record<string, string>;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

/**
 * The contract every rotator passes, now and later: target parsing names missing tags, generated values
 * meet the policy, preflight changes nothing, apply is idempotent, verify tells good from bad, and the
 * engine rotates a real secret end to end with it.
 */
export function rotatorContract(name: string, subject: () => ContractSubject): void {
  describe(`rotator contract: ${name}`, () => {
    let stack: RotationStack;
    let s: ContractSubject;
    let n = 0;
    const fresh = (): string => `k${process.pid % 1000}n${(n += 1)}`;
    beforeAll(async () => {
      s = subject();
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
    const changeFor = (tags: SecretTags, current: string, newValue: string): CredentialChange => ({
      credentialId: tags.CredentialId ?? "",
      newValue,
      currentValue: current,
      activeCredentialId: tags.CredentialId ?? "",
      activeValue: current,
    });

    it("refuses tags without what it needs, naming the tag", async () => {
      const { tags } = await s.arrange(fresh());
      for (const tag of s.requiredTags) {
        const without = Object.fromEntries(Object.entries(tags).filter(([k]) => k !== tag));
        expect(() => s.rotator.parseTarget(without, "contract-secret")).toThrow(SecretTagError);
        expect(() => s.rotator.parseTarget(without, "contract-secret")).toThrow(tag);
      }
    });

    it("generates values its own policy accepts", () => {
      for (let i = 0; i < 50; i += 1)
        expect(satisfiesPolicy(generatePassword(s.rotator.passwordPolicy), s.rotator.passwordPolicy)).toBe(
          true,
        );
    });

    it("preflight changes nothing; apply is idempotent; verify tells the new value from a wrong one", async () => {
      const { tags, value, extraSecrets } = await s.arrange(fresh());
      const target = s.rotator.parseTarget(tags, "contract-secret");
      const next = generatePassword(s.rotator.passwordPolicy);
      const change = changeFor(tags, value, next);
      const ctx = context(extraSecrets);
      await s.rotator.preflight(target, change, ctx);
      expect(await s.accepts(tags, value)).toBe(true);
      await s.rotator.apply(target, change, ctx);
      await s.rotator.apply(target, change, ctx);
      await s.rotator.verify(target, change, ctx);
      expect(await s.accepts(tags, next)).toBe(true);
      if (s.verifyRejectsWrongValue) {
        await expect(s.rotator.verify(target, { ...change, newValue: `${next}x` }, ctx)).rejects.toThrow();
        expect(await s.accepts(tags, value)).toBe(false);
      }
    });

    it("reverts to the old value when it supports single-credential revert", async () => {
      if (!s.rotator.revert) return;
      const { tags, value, extraSecrets } = await s.arrange(fresh());
      const target = s.rotator.parseTarget(tags, "contract-secret");
      const change = changeFor(tags, value, generatePassword(s.rotator.passwordPolicy));
      await s.rotator.apply(target, change, context(extraSecrets));
      await s.rotator.revert(target, change, context(extraSecrets));
      expect(await s.accepts(tags, value)).toBe(true);
    });

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
      expect(await s.accepts(latest.properties.tags ?? {}, latest.value as string)).toBe(true);
    });
  });
}
