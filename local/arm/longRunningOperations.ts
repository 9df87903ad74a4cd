import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendJson } from "../net/jsonHttp.js";

interface Operation {
  pollsLeft: number;
  run: () => void;
  status: "InProgress" | "Succeeded";
  started: string;
}

/** The route of the operation URLs this emulator hands out. */
export const OPERATION_PATH = /^\/providers\/Emulator\.Arm\/(operations|operationResults)\/([0-9a-f-]+)$/i;

/**
 * ARM's long-running operations as clients see them: a 202 with `Azure-AsyncOperation`, `Location` and
 * `Retry-After`, a status URL answering `InProgress` for `polls` polls, then `Succeeded`. The change runs
 * when the operation completes, never before.
 */
export class LongRunningOperations {
  private readonly operations = new Map<string, Operation>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly polls: number,
    private readonly completed: () => void,
  ) {}

  start(res: ServerResponse, apiVersion: string, run: () => void): void {
    const id = randomUUID();
    this.operations.set(id, {
      pollsLeft: this.polls,
      run,
      status: "InProgress",
      started: new Date().toISOString(),
    });
    const q = `?api-version=${encodeURIComponent(apiVersion)}`;
    sendJson(res, 202, undefined, {
      "azure-asyncoperation": `${this.baseUrl()}/providers/Emulator.Arm/operations/${id}${q}`,
      location: `${this.baseUrl()}/providers/Emulator.Arm/operationResults/${id}${q}`,
      "retry-after": "0",
    });
  }

  /** Answers a poll of the status (`operations`) or result (`operationResults`) URL. */
  answer(res: ServerResponse, kind: string, id: string): void {
    const op = this.operations.get(id);
    if (!op)
      return sendJson(res, 404, {
        error: { code: "OperationNotFound", message: `Operation ${id} was not found` },
      });
    if (op.status === "InProgress") {
      if (op.pollsLeft > 0) op.pollsLeft -= 1;
      else {
        op.run();
        op.status = "Succeeded";
        this.completed();
      }
    }
    const again: Record<string, string> = op.status === "InProgress" ? { "retry-after": "0" } : {};
    if (kind.toLowerCase() === "operations")
      return sendJson(res, 200, { id, name: id, status: op.status, startTime: op.started }, again);
    // Done: 200 (ARM's async operation guidance: the Location URL answers 200 OK once the operation completed;
    // @azure/arm-cosmosdb 17's regenerateKey poller accepts only 200/201/202 there, not 204).
    return op.status === "InProgress" ? sendJson(res, 202, undefined, again) : sendJson(res, 200, undefined);
  }
}
