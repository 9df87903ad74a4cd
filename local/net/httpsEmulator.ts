import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import path from "node:path";
import { ensureLocalCertificate } from "../tls/localCertificate.js";
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
