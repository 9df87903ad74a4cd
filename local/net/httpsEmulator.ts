import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import path from "node:path";
import { ensureLocalCertificate } from "../tls/localCertificate.js";
import { NetFaultInjector } from "./faultInjector.js";
import { listenOnLoopback, type ListeningServer } from "./loopbackServer.js";
import { StateFile } from "./stateFile.js";

/** Serves `handle` over HTTPS on loopback with the shared local certificate; a thrown error becomes `onError`. */
export async function serveHttps(
  options: { port?: number; certDir?: string },
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onError: (res: ServerResponse, error: Error) => void,
): Promise<{ url: string; listening: ListeningServer }> {
  const tls = await ensureLocalCertificate(options.certDir ?? ".local/tls");
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) onError(res, error as Error);
      else res.destroy();
    });
  });
  const listening = await listenOnLoopback(server, options.port ?? 0);
  return { url: `https://127.0.0.1:${listening.port}`, listening };
}

/**
 * An emulator's list of records kept in `<dataDir>/<file>` as `{format: 1, <key>: [...]}`: loaded once,
 * saved shortly after each change. Undefined without a data directory (tests keep state in memory).
 */
export async function openRecordState<T>(
  dataDir: string | undefined,
  file: string,
  key: string,
  label: string,
  records: () => T[],
): Promise<{ state?: StateFile<Record<string, unknown>>; loaded: T[] }> {
  if (!dataDir) return { loaded: [] };
  const state = new StateFile<Record<string, unknown>>(
    path.join(dataDir, file),
    () => ({ format: 1, [key]: records() }),
    (parsed, where) => {
      const p = (parsed ?? {}) as Record<string, unknown>;
      if (p.format !== 1 || !Array.isArray(p[key]))
        throw new Error(
          `${where} is not a ${label} state file (format 1); move it away or start with --fresh`,
        );
      return p;
    },
  );
  const loaded = ((await state.load())?.[key] as T[] | undefined) ?? [];
  return { state, loaded };
}

/**
 * The frame of a small loopback emulator whose state is one list of records: HTTPS serving, loading and
 * saving the records, start and stop. Subclasses answer requests and say what their records are.
 */
export abstract class RecordEmulator<T> {
  private listening?: ListeningServer;
  private state?: StateFile<Record<string, unknown>>;
  protected baseUrl = "";
  /** Faults on demand (`/_emulator/faults`): failures, hangs and lost answers of the operations named. */
  readonly faults: NetFaultInjector;

  constructor(
    protected readonly serving: { port?: number; certDir?: string; dataDir?: string },
    private readonly records: { file: string; key: string; label: string; operations?: readonly string[] },
  ) {
    this.faults = new NetFaultInjector(records.operations ?? []);
  }

  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<this> {
    const { file, key, label } = this.records;
    const opened = await openRecordState<T>(this.serving.dataDir, file, key, label, () => this.snapshot());
    this.state = opened.state;
    this.restore(opened.loaded);
    const served = await serveHttps(
      this.serving,
      (req, res) => this.faulted(req, res),
      (res, error) => this.internalError(res, error),
    );
    this.listening = served.listening;
    this.baseUrl = served.url;
    return this;
  }

  async stop(): Promise<void> {
    this.faults.clear();
    await this.listening?.stop();
    await this.state?.flush();
  }

  /** Call after every change to the records: they are saved shortly after. */
  protected changed(): void {
    this.state?.scheduleSave();
  }

  /** The admin endpoint, then the fault (if one matches), then the emulator's own answer. */
  private async faulted(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    if (url.pathname.replace(/\/+$/, "") === "/_emulator/faults") return this.faults.admin(req, res);
    const op = this.operationOf(req.method ?? "GET", url.pathname);
    if (op && this.faults.intercept(op.operation, op.name, res)) return;
    return this.handle(req, res);
  }

  /** Which fault-injectable operation a request is, and the resource it names; undefined for none. */
  protected operationOf(_method: string, _path: string): { operation: string; name?: string } | undefined {
    return undefined;
  }

  protected abstract snapshot(): T[];
  protected abstract restore(records: T[]): void;
  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  protected abstract internalError(res: ServerResponse, error: Error): void;
}
