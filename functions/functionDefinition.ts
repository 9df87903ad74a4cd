import functionsPackage from "@azure/functions";
import type { EventGridFunctionOptions, HttpFunctionOptions, TimerFunctionOptions } from "@azure/functions";

// @azure/functions is CommonJS; Node's ESM loader sees only its default export.
const { app } = functionsPackage;

/**
 * What each function file exports besides registering itself: its name, trigger and options (with the
 * handler). The Functions host uses the registration; the local dev host reads these exports.
 */
export type FunctionDefinition =
  | { name: string; trigger: "http"; options: HttpFunctionOptions }
  | { name: string; trigger: "eventGrid"; options: EventGridFunctionOptions<unknown> }
  | { name: string; trigger: "timer"; options: TimerFunctionOptions };

export function register<T extends FunctionDefinition>(definition: T): T {
  switch (definition.trigger) {
    case "http":
      app.http(definition.name, definition.options);
      break;
    case "eventGrid":
      app.eventGrid(definition.name, definition.options);
      break;
    case "timer":
      app.timer(definition.name, definition.options);
      break;
  }
  return definition;
}

export function isFunctionDefinition(value: unknown): value is FunctionDefinition {
  const v = value as Partial<FunctionDefinition> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.name === "string" &&
    ["http", "eventGrid", "timer"].includes(v.trigger as string) &&
    typeof v.options === "object"
  );
}
