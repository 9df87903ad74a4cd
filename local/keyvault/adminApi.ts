import { z } from "zod";
import type { KeyVaultEmulator } from "./keyVaultEmulator.js";
import { SECRET_OPERATIONS, SECRET_PERMISSIONS } from "./secretOperation.js";

/**
 * The emulator's own control endpoint, under `/_emulator/` on the vault's port (outside the Key Vault
 * API paths), so a test in another process can throttle, break, inspect and age the vault. No auth:
 * it listens on loopback only. Documented in README.md beside this file.
 */
const operation = z.enum(
  Object.keys(SECRET_OPERATIONS) as [keyof typeof SECRET_OPERATIONS, ...(keyof typeof SECRET_OPERATIONS)[]],
);
const faultSchema = z.object({
  operation,
  secretName: z.string().min(1).optional(),
  count: z.number().int().positive().optional(),
  mode: z.enum(["fail", "hang", "drop-response"]).optional(),
  status: z.number().int().min(400).max(599).optional(),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
const throttleSchema = z.object({
  allTransactions: z.number().int().positive().optional(),
  secretWrites: z.number().int().positive().optional(),
  windowMs: z.number().int().positive().optional(),
  omitRetryAfter: z.boolean().optional(),
});
const permissionsSchema = z
  .record(z.string(), z.array(z.enum(SECRET_PERMISSIONS as [string, ...string[]])))
  .nullable();
const clockSchema = z.object({ advanceMs: z.number().int().nonnegative() });

export interface AdminAnswer {
  status: number;
  body: unknown;
}

export async function handleAdmin(
  emulator: KeyVaultEmulator,
  method: string,
  url: URL,
  body: unknown,
): Promise<AdminAnswer> {
  const route = `${method} ${url.pathname.replace(/\/+$/, "")}`;
  const invalid = (error: z.ZodError): AdminAnswer => ({
    status: 400,
    body: {
      error: {
        code: "BadRequest",
        message: error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
      },
    },
  });
  switch (route) {
    case "GET /_emulator":
      return {
        status: 200,
        body: {
          vaultName: emulator.vaultName,
          url: emulator.url,
          caCertPath: emulator.caCertPath,
          secrets: emulator.store.liveCount,
          now: new Date(emulator.now()).toISOString(),
          throttle: emulator.limiter.current,
          throttled: emulator.limiter.throttledCount,
          faults: emulator.faults.pending,
        },
      };
    case "POST /_emulator/faults": {
      const parsed = faultSchema.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      emulator.faults.inject(parsed.data);
      return { status: 200, body: { faults: emulator.faults.pending } };
    }
    case "DELETE /_emulator/faults":
      emulator.faults.clear();
      return { status: 200, body: { faults: [] } };
    case "PUT /_emulator/throttle": {
      const parsed = throttleSchema.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      emulator.limiter.configure(parsed.data);
      return { status: 200, body: { throttle: emulator.limiter.current } };
    }
    case "DELETE /_emulator/throttle":
      emulator.limiter.configure(undefined);
      return { status: 200, body: { throttle: {} } };
    case "PUT /_emulator/permissions": {
      const parsed = permissionsSchema.safeParse(body ?? null);
      if (!parsed.success) return invalid(parsed.error);
      emulator.setPermissions(
        (parsed.data ?? undefined) as Parameters<KeyVaultEmulator["setPermissions"]>[0],
      );
      return { status: 200, body: { permissions: parsed.data } };
    }
    case "POST /_emulator/clock": {
      const parsed = clockSchema.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      return {
        status: 200,
        body: { now: new Date(emulator.advanceClock(parsed.data.advanceMs)).toISOString() },
      };
    }
    case "POST /_emulator/check-expiry":
      return { status: 200, body: { events: emulator.checkExpiry() } };
    case "GET /_emulator/events": {
      const after = Number(url.searchParams.get("after") ?? "0");
      if (!Number.isInteger(after) || after < 0) {
        return {
          status: 400,
          body: { error: { code: "BadRequest", message: "'after' must be a whole number ≥ 0" } },
        };
      }
      return { status: 200, body: { events: emulator.eventsAfter(after) } };
    }
    default:
      return {
        status: 404,
        body: {
          error: { code: "NotFound", message: `No admin endpoint ${route}. See local/keyvault/README.md.` },
        },
      };
  }
}
