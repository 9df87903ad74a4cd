import { z } from "zod";
import { ArmRest } from "./armRest.js";
import type { ConsumerHandler } from "./consumerHandler.js";

/**
 * API Management named values backed by Key Vault (`apim:`): fetched again about every four hours, or at once
 * with `POST …/namedValues/{nv}/refreshSecret` (REST reference: Named Value - Refresh Secret). `GET` of the
 * named value shows `keyVault.secretIdentifier` and `keyVault.lastStatus` (`code`, `timeStampUtc`): a
 * `Success` fetched after the commit, of a secret identifier not pinned to another version, is confirmation.
 */
const API_VERSION = "2022-08-01";

const namedValue = z.object({
  properties: z.object({
    keyVault: z
      .object({
        secretIdentifier: z.string().nullish(),
        lastStatus: z
          .object({
            code: z.string().nullish(),
            message: z.string().nullish(),
            timeStampUtc: z.string().nullish(),
          })
          .nullish(),
      })
      .nullish(),
  }),
});

export const apimConsumer: ConsumerHandler = {
  tell: async (consumer, _target, ctx) => {
    await new ArmRest(ctx).call(
      "POST",
      `${consumer.id}/refreshSecret`,
      API_VERSION,
      `refreshing API Management named value ${consumer.label}`,
    );
  },
  observe: async (consumer, target, ctx) => {
    const parsed = namedValue.safeParse(
      await new ArmRest(ctx).call("GET", consumer.id, API_VERSION, `reading named value ${consumer.label}`),
    );
    const kv = parsed.success ? parsed.data.properties.keyVault : undefined;
    if (!kv?.secretIdentifier)
      return { confirmed: false, detail: "the named value is not backed by Key Vault" };
    const [, kind, name, version] = new URL(kv.secretIdentifier, "https://x").pathname.split("/");
    if (kind !== "secrets" || name?.toLowerCase() !== target.secret.toLowerCase())
      return { confirmed: false, detail: "the named value references another secret" };
    if (version && version.toLowerCase() !== target.version.toLowerCase())
      return { confirmed: false, detail: `the named value is pinned to version ${version.slice(0, 40)}` };
    const status = kv.lastStatus;
    if (status?.code !== "Success")
      return { confirmed: false, detail: `last fetch: ${(status?.code ?? "unknown").slice(0, 40)}` };
    const at = new Date(status.timeStampUtc ?? 0);
    if (!(at.getTime() >= target.since.getTime()))
      return {
        confirmed: false,
        detail: `last fetched ${status.timeStampUtc ?? "never"}, before the new version`,
      };
    return { confirmed: true };
  },
};
