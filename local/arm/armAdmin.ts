import { z } from "zod";
import type { ArmEmulator } from "./armEmulator.js";
import { armView, DEFAULT_SUBSCRIPTION, type ArmResource } from "./armResources.js";

/**
 * The ARM emulator's own control endpoint, under `/_emulator` on its port (outside ARM's paths), so a
 * script or a test in another process can add resources to rotate. No auth: it listens on loopback only.
 * Like ARM, it never answers a key or password: keys come from `listKeys`.
 *
 * Names follow Azure's naming rules (learn.microsoft.com/azure/azure-resource-manager/management/
 * resource-name-rules): storage accounts 3-24 lowercase letters and digits; Cosmos DB accounts 3-44
 * lowercase letters, digits and hyphens; Redis caches 1-63 letters, digits and hyphens; SQL servers 1-63
 * lowercase letters, digits and hyphens; none starting or ending with a hyphen.
 */
const edged = (chars: string, min: number, max: number): RegExp =>
  new RegExp(`^(?=.{${min},${max}}$)[${chars}](?:[${chars}-]*[${chars}])?$`);
const scope = {
  subscriptionId: z.uuid().optional(),
  resourceGroup: z
    .string()
    .regex(/^[-\w.()]{0,89}[-\w()]$/, "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'")
    .optional(),
};
const named = (re: RegExp, rule: string): z.ZodString => z.string().regex(re, rule);
const resourceSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("storage"),
    name: named(/^[a-z0-9]{3,24}$/, "3-24 lowercase letters and digits"),
    ...scope,
  }),
  z.strictObject({
    kind: z.literal("cosmos"),
    name: named(edged("a-z0-9", 3, 44), "3-44 lowercase letters, digits and inner hyphens"),
    ...scope,
  }),
  z.strictObject({
    kind: z.literal("redis"),
    name: named(edged("A-Za-z0-9", 1, 63), "1-63 letters, digits and inner hyphens"),
    ...scope,
  }),
  z.strictObject({
    kind: z.literal("sql"),
    name: named(edged("a-z0-9", 1, 63), "1-63 lowercase letters, digits and inner hyphens"),
    administratorLogin: z.string().min(1).max(128),
    administratorLoginPassword: z.string().min(8).max(128),
    fullyQualifiedDomainName: z.string().min(1).max(255).optional(),
    ...scope,
  }),
]);
export type ArmResourceRequest = z.infer<typeof resourceSchema>;

export interface ArmAdminAnswer {
  status: number;
  body: unknown;
}

const error = (status: number, code: string, message: string): ArmAdminAnswer => ({
  status,
  body: { error: { code, message } },
});

export function handleArmAdmin(arm: ArmEmulator, method: string, url: URL, body: unknown): ArmAdminAnswer {
  const route = `${method} ${url.pathname.replace(/\/+$/, "")}`;
  switch (route) {
    case "GET /_emulator":
      return { status: 200, body: { url: arm.url, resources: arm.resources.size } };
    case "GET /_emulator/resources":
      return { status: 200, body: { value: [...arm.resources.values()].map(armView) } };
    case "POST /_emulator/resources": {
      const parsed = resourceSchema.safeParse(body);
      if (!parsed.success)
        return error(
          400,
          "BadRequest",
          parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
        );
      const r = parsed.data;
      const id = arm.idOf(
        r.kind,
        r.subscriptionId ?? DEFAULT_SUBSCRIPTION,
        r.resourceGroup ?? "local",
        r.name,
      );
      if (arm.resources.has(id.toLowerCase()))
        return error(409, "Conflict", `The resource ${id} exists already`);
      return { status: 201, body: armView(add(arm, r)) };
    }
    default:
      return error(404, "NotFound", `No admin endpoint ${route}. See local/arm/README.md.`);
  }
}

function add(arm: ArmEmulator, r: ArmResourceRequest): ArmResource {
  switch (r.kind) {
    case "storage":
      return arm.addStorageAccount(r.name, r.subscriptionId, r.resourceGroup);
    case "cosmos":
      return arm.addCosmosAccount(r.name, r.subscriptionId, r.resourceGroup);
    case "redis":
      return arm.addRedisCache(r.name, r.subscriptionId, r.resourceGroup);
    case "sql":
      return arm.addSqlServer({ ...r, password: r.administratorLoginPassword });
  }
}
