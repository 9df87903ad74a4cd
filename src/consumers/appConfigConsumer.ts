import { z } from "zod";
import { RotationError } from "../errors.js";
import { ArmRest } from "./armRest.js";
import type { ConsumedVersion, ConsumerHandler } from "./consumerHandler.js";

/**
 * App Configuration (`appconfig:`): its clients reload when a sentinel key changes. The sentinel is set, through
 * ARM (REST reference: Key Values - Create Or Update), to `<vault>/<secret>/<version>` (names, never a value).
 * The platform shows the sentinel, not what each client loaded: the consumer stays `told`, with the reason.
 * Only a key that already is this secret's sentinel (its value starts with `<vault>/<secret>`) is written: the
 * store's owner makes it so, and a tag-writer cannot have the app overwrite any other key of the store.
 */
const API_VERSION = "2024-05-01";
const sentinel = (t: ConsumedVersion): string => `${t.vault}/${t.secret}/${t.version}`;
const keyValue = z.object({ properties: z.object({ value: z.string().nullish() }) });

export const appConfigConsumer: ConsumerHandler = {
  tell: async (consumer, target, ctx) => {
    const arm = new ArmRest(ctx);
    const current = keyValue.safeParse(
      await arm.call("GET", consumer.id, API_VERSION, `reading sentinel ${consumer.label}`),
    );
    const mine = `${target.vault}/${target.secret}`;
    const value = current.success ? (current.data.properties.value ?? "") : undefined;
    if (value === undefined || !(value === mine || value.startsWith(`${mine}/`)))
      throw new RotationError(
        "ConsumerNotSentinel",
        `${consumer.label} is not a sentinel of ${mine}: its value must start with '${mine}' (set it once, as the store's owner), so no other key is overwritten`,
        false,
      );
    await arm.call("PUT", consumer.id, API_VERSION, `setting sentinel ${consumer.label}`, {
      properties: { value: sentinel(target), contentType: "text/plain" },
    });
  },
  observe: async (consumer, target, ctx) => {
    const parsed = keyValue.safeParse(
      await new ArmRest(ctx).call("GET", consumer.id, API_VERSION, `reading sentinel ${consumer.label}`),
    );
    if (!parsed.success || parsed.data.properties.value !== sentinel(target))
      return { confirmed: false, detail: "the sentinel no longer holds the new version (changed since?)" };
    return {
      confirmed: false,
      unobservable: true,
      detail:
        "sentinel set; clients reload at their own refresh interval, which App Configuration does not show",
    };
  },
};
