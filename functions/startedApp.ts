import type { HttpResponseInit, InvocationContext } from "@azure/functions";
import type { RotatorApp } from "../src/rotation/createEngine.js";
import { rotatorApp } from "../src/runtime.js";
import { startupProblem } from "../src/triggers/startupProblem.js";

/**
 * The shared app for an HTTP function, or the problem to answer when it cannot start (bad settings, its
 * storage failing at first use), logged with what failed. Anything else is a bug and propagates.
 */
export async function startedApp(
  context: InvocationContext,
): Promise<{ app: RotatorApp; answer?: undefined } | { app?: undefined; answer: HttpResponseInit }> {
  try {
    return { app: await rotatorApp() };
  } catch (error) {
    const answer = startupProblem(error);
    if (!answer) throw error;
    context.error((error as Error).message);
    return { answer };
  }
}
