import { apply } from "./apply.js";
import { authorize } from "./authorize.js";
import { commit } from "./commit.js";
import { auditDeliver, auditKeep, closePending } from "./finish.js";
import { issue } from "./issue.js";
import { planStep } from "./planStep.js";
import { preflight } from "./preflight.js";
import { readCurrent } from "./readCurrent.js";
import type { Step } from "./runState.js";
import { stage } from "./stage.js";
import { verify } from "./verify.js";

/**
 * The protocol as data: the engine runs these in order. A resumed rotation runs the steps after the last
 * one its pending record recorded, and those marked `always`.
 *
 * Binding authorization runs right after `plan`, on resumed runs too (`always`), before anything is read from
 * or sent to the target. Seam: telling consumers (issue 15) goes right after `commit`.
 */
export const ROTATION_SEQUENCE: readonly Step[] = [
  readCurrent,
  planStep,
  authorize,
  preflight,
  issue,
  stage,
  apply,
  verify,
  commit,
  auditKeep,
  closePending,
  auditDeliver,
];
