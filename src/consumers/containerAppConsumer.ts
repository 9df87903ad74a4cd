import { z } from "zod";
import { RotationError } from "../errors.js";
import { ArmRest } from "./armRest.js";
import type { ConsumerHandler } from "./consumerHandler.js";

/**
 * Container Apps with Key Vault secrets (`containerapp:`): a revision resolves them when it starts, so the
 * app's latest revision is restarted (REST reference: Container Apps Revisions - Restart Revision). The
 * platform never shows which version a revision resolved: the consumer stays `told`, with the reason.
 */
const API_VERSION = "2024-03-01";

const containerApp = z.object({
  properties: z.object({
    latestRevisionName: z.string().min(1).max(200),
    configuration: z
      .object({ secrets: z.array(z.object({ keyVaultUrl: z.string().nullish() })).nullish() })
      .nullish(),
  }),
});

async function read(rest: ArmRest, id: string, label: string): Promise<z.infer<typeof containerApp>> {
  const parsed = containerApp.safeParse(
    await rest.call("GET", id, API_VERSION, `reading container app ${label}`),
  );
  if (!parsed.success)
    throw new RotationError("TargetRejected", `container app ${label} names no latest revision`, false);
  return parsed.data;
}

export const containerAppConsumer: ConsumerHandler = {
  tell: async (consumer, _target, ctx) => {
    const rest = new ArmRest(ctx);
    const revision = (await read(rest, consumer.id, consumer.label)).properties.latestRevisionName;
    await rest.call(
      "POST",
      `${consumer.id}/revisions/${encodeURIComponent(revision)}/restart`,
      API_VERSION,
      `restarting revision ${revision} of ${consumer.label}`,
    );
  },
  observe: async (consumer, target, ctx) => {
    const app = await read(new ArmRest(ctx), consumer.id, consumer.label);
    const uses = (app.properties.configuration?.secrets ?? []).some((s) =>
      s.keyVaultUrl?.toLowerCase().includes(`/secrets/${target.secret.toLowerCase()}`),
    );
    return {
      confirmed: false,
      unobservable: true,
      detail: uses
        ? `revision ${app.properties.latestRevisionName.slice(0, 80)} restarted; Container Apps does not show which version it resolved`
        : "no secret of the app references this Key Vault secret",
    };
  },
};
