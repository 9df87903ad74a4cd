import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { readJsonBody, sendJson } from "./jsonHttp.js";

/**
 * Faults on demand for an emulator: the next `count` calls of an operation (optionally for one named
 * resource: an application, an account) fail with a status and body, hang until the client gives up, or
 * are carried out with their answer lost on the way back (the connection is cut after the change is made).
 * Real services do all three: Azure's guidance on transient faults and on idempotent retries
 * (learn.microsoft.com/azure/architecture/best-practices/transient-faults) is about exactly these cases.
 */
export interface NetFaultSpec {
  operation: string;
  name?: string;
  count?: number;
  mode?: "fail" | "hang" | "drop-response";
  /** For "fail": the status to answer (default 500) and an optional body. */
  status?: number;
  body?: unknown;
}

const faultSchema = z
  .object({
    operation: z.string().min(1),
    name: z.string().min(1).optional(),
    count: z.number().int().positive().optional(),
    mode: z.enum(["fail", "hang", "drop-response"]).optional(),
    status: z.number().int().min(400).max(599).optional(),
    body: z.unknown().optional(),
  })
  .strict();

export class NetFaultInjector {
  private faults: (NetFaultSpec & { remaining: number })[] = [];
  private readonly hanging = new Set<ServerResponse>();

  constructor(private readonly operations: readonly string[]) {}

  inject(spec: NetFaultSpec): void {
    if (!this.operations.includes(spec.operation))
      throw new Error(`unknown operation '${spec.operation}'; known: ${this.operations.join(", ")}`);
    this.faults.push({ ...spec, remaining: spec.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  get pending(): NetFaultSpec[] {
    return this.faults.map(({ remaining, ...spec }) => ({ ...spec, count: remaining }));
  }

  /**
   * Applies the first fault that matches this call, if any. Answers true when the call is dealt with (a
   * failure sent, or held hanging); for a dropped answer the call goes on, and its answer is never sent.
   */
  intercept(operation: string, name: string | undefined, res: ServerResponse): boolean {
    const index = this.faults.findIndex(
      (f) =>
        f.operation === operation && (f.name === undefined || f.name.toLowerCase() === name?.toLowerCase()),
    );
    if (index < 0) return false;
    const fault = this.faults[index] as NetFaultSpec & { remaining: number };
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    const mode = fault.mode ?? "fail";
    if (mode === "hang") {
      this.hanging.add(res);
      res.on("close", () => this.hanging.delete(res));
      return true;
    }
    if (mode === "fail") {
      sendJson(
        res,
        fault.status ?? 500,
        fault.body ?? { error: { code: "InternalServerError", message: "Injected fault." } },
      );
      return true;
    }
    // The change is made; the caller never hears of it.
    res.writeHead = (() => res) as unknown as ServerResponse["writeHead"];
    res.end = (() => {
      res.socket?.destroy();
      return res;
    }) as unknown as ServerResponse["end"];
    return false;
  }

  /** `/_emulator/faults`: GET lists, POST adds one (the spec above), DELETE clears. Loopback only, no auth. */
  async admin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    if (method === "GET") return sendJson(res, 200, { faults: this.pending });
    if (method === "DELETE") {
      this.clear();
      return sendJson(res, 200, { faults: [] });
    }
    if (method !== "POST") return sendJson(res, 405, { error: { code: "MethodNotAllowed" } });
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch (error) {
      return sendJson(res, 400, { error: { code: "BadRequest", message: (error as Error).message } });
    }
    const parsed = faultSchema.safeParse(body);
    if (!parsed.success)
      return sendJson(res, 400, {
        error: {
          code: "BadRequest",
          message: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
        },
      });
    try {
      this.inject(parsed.data);
    } catch (error) {
      return sendJson(res, 400, { error: { code: "BadRequest", message: (error as Error).message } });
    }
    return sendJson(res, 200, { faults: this.pending });
  }
}
