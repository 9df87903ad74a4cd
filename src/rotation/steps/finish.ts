import { auditEventFor } from "../../audit/auditEvent.js";
import type { RotatedOutcome } from "../rotationOutcome.js";
import { need, type Step } from "./runState.js";

/** Finish, part one: the outcome and its audit event, kept in the outbox before anything is closed. */
export const auditKeep: Step = {
  name: "audit-keep",
  writes: false,
  run: async (run, deps) => {
    const committed = need(run.committed, "the committed version");
    const outcome: RotatedOutcome = {
      vault: run.request.vault,
      secret: run.request.secret,
      trigger: run.request.trigger,
      rotationId: run.rotationId,
      status: "rotated",
      rotator: run.plan?.rotatorType ?? run.current?.tags.RotatorType ?? "unknown",
      previousVersion: committed.previousVersion,
      newVersion: committed.version,
      expiresOn: committed.expiresOn.toISOString(),
      credentialId: committed.credentialId,
      resumed: run.resumedAfter !== undefined,
      ...(run.consumerReports?.length ? { consumers: run.consumerReports } : {}),
      ...(run.retirement?.length ? { retirement: run.retirement } : {}),
      durationMs: deps.now().getTime() - run.started,
      ...(run.dueReason ? { reason: run.dueReason } : {}),
    };
    run.outcome = outcome;
    run.event = auditEventFor(outcome, deps.now());
    if (run.event) await deps.audit.keep(run.event);
    return undefined;
  },
};

/** Finish, part two: the pending record is disabled (never deleted): the rotation is over. */
export const closePending: Step = {
  name: "close-pending",
  writes: false,
  run: async (run, deps) => {
    await run.gateway.disablePending(need(run.pending, "the pending record"));
    run.pendingKept = false;
    await run.mark("close-pending:disabled");
    await deps.openRotations.closed(run.request.vault, run.request.secret);
    return undefined;
  },
};

/** Finish, part three: the audit event is sent; a failure leaves it in the outbox for the next run. */
export const auditDeliver: Step = {
  name: "audit-deliver",
  writes: false,
  run: async (run, deps) => {
    if (run.event) run.delivered = await deps.audit.deliver(run.event);
    return undefined;
  },
};
