import { apply } from "./apply.js";
import { authorize } from "./authorize.js";
import { commit } from "./commit.js";
import { catchUpConsumers } from "./catchUpConsumers.js";
import { auditDeliver, auditKeep, closePending } from "./finish.js";
import { issue } from "./issue.js";
import { planConsumers } from "./planConsumers.js";
import { planStep } from "./planStep.js";
import { preflight } from "./preflight.js";
import { readCurrent } from "./readCurrent.js";
import type { Step } from "./runState.js";
import { stage } from "./stage.js";
import { tellConsumers } from "./tellConsumers.js";
import { verify } from "./verify.js";

/**
 * The protocol as data: the engine runs these in order. A resumed rotation runs the steps after the last
 * one its pending record recorded, and those marked `always`.
 *
 * Binding authorization runs right after `plan`, on resumed runs too (`always`), before anything is read from
 * or sent to the target. Consumers: `catch-up-consumers` first (a later run tells those an earlier rotation
 * could not), `plan-consumers` after `authorize` (parsed and authorized before anything changes),
 * `tell-consumers` right after `commit`.
 */
export const ROTATION_SEQUENCE: readonly Step[] = [
  catchUpConsumers,
  readCurrent,
  planStep,
  authorize,
  planConsumers,
  preflight,
  issue,
  stage,
  apply,
  verify,
  commit,
  tellConsumers,
  auditKeep,
  closePending,
  auditDeliver,
];
