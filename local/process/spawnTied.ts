import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const WATCHDOG = fileURLToPath(new URL("./tiedChildWatchdog.mjs", import.meta.url));

export interface TiedChildOptions {
  cwd?: string;
  /** Run the command as this user (root starting PostgreSQL). */
  uid?: number;
  gid?: number;
  /** What stops the command gracefully (PostgreSQL: SIGINT, a fast shutdown); SIGKILL follows after graceMs. */
  stopSignal?: NodeJS.Signals;
  graceMs?: number;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

export interface TiedChild {
  process: ChildProcess;
  /** The last lines the command wrote (stdout and stderr), for error messages. */
  output(): string;
  /**
   * Waits for a line of output matching `pattern`; rejects, naming `what` and quoting the last output, when
   * the command exits first or nothing matches within `timeoutMs` (then the command is stopped).
   */
  waitFor(pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray>;
  /** Stops the command (its stop signal, then SIGKILL) and waits until it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `command` under a small watchdog (tiedChildWatchdog.mjs) that ends it when this process goes away
 * for any reason, even SIGKILL: no server started by a test or by `npm start` is ever left behind.
 * Its stdout and stderr come back on `process.stdout`/`process.stderr` of the returned child.
 */
export function spawnTied(command: string, args: string[], options: TiedChildOptions = {}): TiedChild {
  const { env: _env, ...rest } = options;
  const spec = { command, args, ...rest };
  const child = spawn(process.execPath, [WATCHDOG, JSON.stringify(spec)], {
    stdio: ["pipe", "pipe", "pipe"],
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  // Only the pipe's closing matters to the watchdog; nothing is ever written.
  child.stdin?.on("error", () => undefined);
  const lines: string[] = [];
  const keep = (d: Buffer): void => {
    lines.push(...d.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const output = (): string => lines.join("\n");
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), (options.graceMs ?? 4000) + 2000);
      await exited;
      clearTimeout(timer);
    }
  };
  const waitFor = (pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const seen = (d: Buffer): void => {
        const match = pattern.exec(d.toString("utf8"));
        if (match) finish(() => resolve(match));
      };
      const gone = (code: number | null): void =>
        finish(() => reject(new Error(`${what} exited (${code}) before it was ready:\n${output()}`)));
      const timer = setTimeout(() => {
        finish(() => reject(new Error(`${what} was not ready within ${timeoutMs / 1000} s:\n${output()}`)));
        void stop();
      }, timeoutMs);
      function finish(settle: () => void): void {
        clearTimeout(timer);
        child.stdout?.off("data", seen);
        child.stderr?.off("data", seen);
        child.off("exit", gone);
        settle();
      }
      child.stdout?.on("data", seen);
      child.stderr?.on("data", seen);
      child.once("exit", gone);
      if (child.exitCode !== null) gone(child.exitCode);
    });
  return { process: child, output, waitFor, stop };
}
