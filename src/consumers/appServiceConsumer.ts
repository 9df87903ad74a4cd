import { z } from "zod";
import { ArmRest } from "./armRest.js";
import type { ConsumerHandler } from "./consumerHandler.js";

/**
 * App Service and Functions apps (`site:`). Their Key Vault references are cached and re-read about once a
 * day, on a restart or on a configuration change. `POST {site}/config/configreferences/appsettings/refresh`
 * makes the platform resolve them again (the "Rotation" section of learn.microsoft.com "Use Key Vault
 * references as app settings"); `GET {site}/config/configreferences/appsettings` (REST reference: Web Apps -
 * Get App Settings Key Vault References) lists each reference with its `status` and `activeVersion`.
 */
const API_VERSION = "2022-03-01";

const referenceList = z.object({
  value: z.array(
    z.object({
      name: z.string().optional(),
      properties: z
        .object({
          status: z.string().optional(),
          vaultName: z.string().optional(),
          secretName: z.string().optional(),
          secretVersion: z.string().nullish(),
          activeVersion: z.string().nullish(),
          details: z.string().nullish(),
        })
        .optional(),
    }),
  ),
});

const same = (a: string | undefined | null, b: string): boolean => a?.toLowerCase() === b.toLowerCase();

export const appServiceConsumer: ConsumerHandler = {
  tell: async (consumer, _target, ctx) => {
    await new ArmRest(ctx).call(
      "POST",
      `${consumer.id}/config/configreferences/appsettings/refresh`,
      API_VERSION,
      `refreshing the Key Vault references of ${consumer.label}`,
    );
  },
  observe: async (consumer, target, ctx) => {
    const raw = await new ArmRest(ctx).call(
      "GET",
      `${consumer.id}/config/configreferences/appsettings`,
      API_VERSION,
      `listing the Key Vault references of ${consumer.label}`,
    );
    const parsed = referenceList.safeParse(raw);
    if (!parsed.success)
      return { confirmed: false, detail: "the platform's list of references is not readable" };
    const mine = parsed.data.value.filter(
      (r) => same(r.properties?.vaultName, target.vault) && same(r.properties?.secretName, target.secret),
    );
    if (mine.length === 0)
      return { confirmed: false, detail: `no app setting references ${target.vault}/${target.secret}` };
    for (const r of mine) {
      const p = r.properties ?? {};
      const setting = (r.name ?? "?").slice(0, 64);
      if (p.secretVersion && !same(p.secretVersion, target.version))
        return {
          confirmed: false,
          detail: `app setting ${setting} is pinned to version ${p.secretVersion.slice(0, 40)}`,
        };
      if (p.status !== "Resolved")
        return {
          confirmed: false,
          detail: `app setting ${setting}: ${(p.status ?? "no status").slice(0, 40)}${p.details ? ` (${p.details.slice(0, 120)})` : ""}`,
        };
      if (!same(p.activeVersion, target.version))
        return {
          confirmed: false,
          detail: `app setting ${setting} still resolves version ${(p.activeVersion ?? "unknown").slice(0, 40)}`,
        };
    }
    return { confirmed: true };
  },
};
