import type { CredentialChange, RotatorContext } from "../../rotators/rotator.js";
import { extractCredential } from "../secretValue.js";
import { need, type RunState, type StepDeps } from "./runState.js";

const DAY_MS = 86_400_000;

/** The change a rotator sees; both credentials join the redactor (inside JSON or a connection string too). */
export function credentialChange(run: RunState, deps: StepDeps, newValue: string): CredentialChange {
  const current = need(run.current, "the current version");
  const plan = need(run.plan, "the plan");
  const activeValue = extractCredential(current.value, current.contentType, run.request.secret);
  run.redactor.add(activeValue, newValue);
  return {
    credentialId: plan.credentialId,
    newValue,
    ...(plan.strategy === "single" ? { currentValue: activeValue } : {}),
    activeCredentialId: plan.activeCredentialId,
    activeValue,
    rotationId: run.rotationId,
    validUntil: new Date(deps.now().getTime() + plan.validityDays * DAY_MS),
  };
}

/** The change of a staged rotation: the new value is the pending record's. */
export function stagedChange(run: RunState, deps: StepDeps): CredentialChange {
  const current = need(run.current, "the current version");
  const pending = need(run.pending, "the pending record");
  return credentialChange(
    run,
    deps,
    extractCredential(pending.value, current.contentType, run.request.secret),
  );
}

/** What a rotator may use: other secrets of the vault, the app's identity, the clock and the run's deadline. */
export function rotatorContext(run: RunState, deps: StepDeps): RotatorContext {
  return {
    credential: deps.credential,
    azure: deps.azure,
    now: deps.now,
    signal: run.signal,
    propagationMs: (deps.settings.propagationWaitSeconds ?? 0) * 1000,
    consumers: {
      unconfirmed: run.unconfirmedConsumers ?? [],
      ...(run.current?.expiresOn ? { latestExpiresOn: run.current.expiresOn } : {}),
      report: (note) => {
        run.retirement ??= [];
        if (!run.retirement.includes(note)) run.retirement.push(note);
      },
    },
    // Once per run and name: authorize, preflight, apply and verify all read the admin secret.
    readSecret: (name) => {
      const key = name.toLowerCase();
      let read = run.secretsRead.get(key);
      if (!read) {
        read = readOther(run, name);
        run.secretsRead.set(key, read);
        // A failed read is not remembered: the next step tries again.
        read.catch(() => run.secretsRead.delete(key));
      }
      return read;
    },
  };
}

/** Another secret of the vault, its value and the credential inside it added to the run's redactor. */
async function readOther(
  run: RunState,
  name: string,
): Promise<Awaited<ReturnType<RotatorContext["readSecret"]>>> {
  const s = await run.gateway.readLatest(name);
  run.redactor.add(s.value);
  // The credential inside it joins the redactor too; a value of another shape is the reader's concern
  // (an admin secret is checked for its AkvRotatorAdminFor tag before its value is looked at).
  try {
    run.redactor.add(extractCredential(s.value, s.contentType, name));
  } catch {
    // Not a shape this secret can be read as: the whole value is redacted above.
  }
  return { value: s.value, tags: s.tags, ...(s.contentType ? { contentType: s.contentType } : {}) };
}

export { DAY_MS };
