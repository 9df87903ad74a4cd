import type { SecretOperation } from "./secretOperation.js";

/**
 * Faults on demand: the next `count` calls of an operation (optionally for one secret name) fail with a
 * status and body, hang until the client gives up, or are carried out with their answer lost on the way
 * back (the connection is cut after the change is made), so tests can break any step of a rotation.
 */
export interface FaultSpec {
  operation: SecretOperation;
  secretName?: string;
  count?: number;
  mode?: "fail" | "hang" | "drop-response";
  /** For "fail": the status to answer (default 500) and an optional body. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  inject(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.count ?? 1 });
  }

  /** Drops every fault, or only those for one secret (tests that share an emulator). */
  clear(secretName?: string): void {
    this.faults =
      secretName === undefined
        ? []
        : this.faults.filter((f) => f.secretName?.toLowerCase() !== secretName.toLowerCase());
  }

  get pending(): FaultSpec[] {
    return this.faults.map(({ remaining, ...spec }) => ({ ...spec, count: remaining }));
  }

  /** Takes the first fault that matches this call, if any. */
  take(operation: SecretOperation, secretName: string | undefined): FaultSpec | undefined {
    const index = this.faults.findIndex(
      (f) =>
        f.operation === operation &&
        (f.secretName === undefined || f.secretName.toLowerCase() === secretName?.toLowerCase()),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index] as ActiveFault;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}
