import { z } from "zod";

/** The Key Vault event types the app acts on. Others (SecretNewVersionCreated among them) are acknowledged and ignored. */
export const ROTATION_EVENT_TYPES = [
  "Microsoft.KeyVault.SecretNearExpiry",
  "Microsoft.KeyVault.SecretExpired",
] as const;

export type ParsedKeyVaultEvent =
  | {
      kind: "rotate";
      eventId: string;
      eventType: string;
      vaultName: string;
      secretName: string;
      version: string;
      objectUrl?: string;
    }
  | { kind: "ignored"; eventId: string; eventType: string; reason: string }
  | { kind: "invalid"; problem: string };

const text = z.string().min(1);
const epochOrNull = z.union([z.number(), z.null()]).optional();

/**
 * Key Vault event data: the service sends PascalCase (`VaultName`, `ObjectName`, `Version`, `NBF`, `EXP`),
 * the documentation shows camelCase; both are read.
 */
const data = z
  .object({
    Id: z.string().optional(),
    id: z.string().optional(),
    VaultName: z.string().optional(),
    vaultName: z.string().optional(),
    ObjectType: z.string().optional(),
    objectType: z.string().optional(),
    ObjectName: z.string().optional(),
    objectName: z.string().optional(),
    Version: z.string().optional(),
    version: z.string().optional(),
    NBF: epochOrNull,
    nbf: epochOrNull,
    EXP: epochOrNull,
    exp: epochOrNull,
  })
  .loose();

/** Event Grid schema (`eventType`) or CloudEvents 1.0 (`type`, `specversion`). */
const envelope = z.union([
  z.object({ id: text, eventType: text, subject: z.string().optional(), data: z.unknown() }).loose(),
  z
    .object({
      id: text,
      type: text,
      specversion: z.literal("1.0"),
      source: text,
      subject: z.string().optional(),
      data: z.unknown(),
    })
    .loose(),
]);

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-fA-F]{32}$/;

/** Reads one delivered event from `unknown`; never throws. */
export function parseKeyVaultEvent(input: unknown): ParsedKeyVaultEvent {
  const env = envelope.safeParse(input);
  if (!env.success)
    return {
      kind: "invalid",
      problem:
        "not an Event Grid or CloudEvents 1.0 event (needs id and eventType, or id, type, source and specversion 1.0)",
    };
  const e = env.data as { id: string; eventType?: string; type?: string; data: unknown };
  const eventType = e.eventType ?? e.type ?? "";
  if (!(ROTATION_EVENT_TYPES as readonly string[]).includes(eventType)) {
    return {
      kind: "ignored",
      eventId: e.id,
      eventType,
      reason: `event type ${eventType} does not start a rotation`,
    };
  }
  const d = data.safeParse(e.data);
  if (!d.success) return { kind: "invalid", problem: `event ${e.id}: data is not an object` };
  const vaultName = d.data.VaultName ?? d.data.vaultName;
  const objectType = d.data.ObjectType ?? d.data.objectType;
  const secretName = d.data.ObjectName ?? d.data.objectName;
  const version = d.data.Version ?? d.data.version;
  const objectUrl = d.data.Id ?? d.data.id;
  if (objectType !== undefined && objectType !== "Secret") {
    return { kind: "ignored", eventId: e.id, eventType, reason: `object type ${objectType} is not a secret` };
  }
  if (!vaultName || !/^[a-zA-Z0-9-]{3,24}$/.test(vaultName))
    return { kind: "invalid", problem: `event ${e.id}: data.VaultName is missing or not a vault name` };
  if (!secretName || !SECRET_NAME.test(secretName))
    return { kind: "invalid", problem: `event ${e.id}: data.ObjectName is missing or not a secret name` };
  if (!version || !VERSION.test(version))
    return { kind: "invalid", problem: `event ${e.id}: data.Version is missing or not a version id` };
  return {
    kind: "rotate",
    eventId: e.id,
    eventType,
    vaultName: vaultName.toLowerCase(),
    secretName,
    version: version.toLowerCase(),
    ...(objectUrl ? { objectUrl } : {}),
  };
}
