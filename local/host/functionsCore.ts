import Module from "node:module";

/**
 * What the Azure Functions Node.js worker gives `@azure/functions`: the `@azure/functions-core` module,
 * which it supplies by answering `require("@azure/functions-core")` itself (azure-functions-nodejs-worker,
 * src/setupCoreModule.ts). Without it the package finds no runtime, switches to "test mode" and warns once
 * per registration. The dev host supplies it the same way, so `app.http(...)` and friends register here as
 * they do on Azure; the dev host serves what each function file exports (loadFunctions.ts).
 */
export interface FunctionsCore {
  /** Names of the functions registered through `@azure/functions`, in order. */
  readonly registered: string[];
}

class Disposable {
  static from(...items: { dispose(): void }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  constructor(private callback?: () => void) {}
  dispose(): void {
    this.callback?.();
    this.callback = undefined;
  }
}

let installed: FunctionsCore | undefined;

/** Supplies `@azure/functions-core` to this process (once); call before the function files are imported. */
export function provideFunctionsCore(): FunctionsCore {
  if (installed) return installed;
  const core: FunctionsCore = { registered: [] };
  let programmingModel: unknown;
  const api = {
    version: "3.10.1",
    hostVersion: "4.0.0",
    setProgrammingModel: (model: unknown): void => {
      programmingModel = model;
    },
    getProgrammingModel: (): unknown => programmingModel,
    registerFunction: (metadata: { name?: unknown }): Disposable => {
      core.registered.push(String(metadata.name));
      return new Disposable();
    },
    registerHook: (): Disposable => new Disposable(),
    log: (level: string, _category: string, message: string): void => {
      if (level === "warning") console.warn(message);
      else if (level === "error" || level === "critical") console.error(message);
    },
    Disposable,
  };
  const proto = (Module as unknown as { prototype: { require: (id: string) => unknown } }).prototype;
  const original = proto.require;
  proto.require = function (this: unknown, id: string): unknown {
    return id === "@azure/functions-core" ? api : original.call(this, id);
  };
  installed = core;
  return core;
}
