import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { NetFaultInjector } from "../net/faultInjector.js";
import { listenOnLoopback, type ListeningServer } from "../net/loopbackServer.js";

/** Lease actions of Put Blob Lease (`?comp=lease`, header `x-ms-lease-action`), as fault operations. */
export const LEASE_FAULT_OPERATIONS = ["acquireLease", "renewLease", "releaseLease", "breakLease"] as const;

/**
 * Azurite cannot lose an answer or hang: this loopback HTTP proxy in front of it can, for blob lease writes
 * (Lease Blob, learn.microsoft.com/rest/api/storageservices/lease-blob), with the same fault specs as the
 * ARM and Graph emulators (`faults.inject`, or `POST /_emulator/faults`). The fault's name is the blob's
 * last path segment (the secret, for a rotation lease). A lost answer reaches Azurite and its answer is
 * dropped; a hang never reaches it. Everything else is passed through unchanged.
 */
export class BlobFaultProxy {
  readonly faults = new NetFaultInjector(LEASE_FAULT_OPERATIONS);
  private listening?: ListeningServer;
  url = "";

  constructor(private readonly target: URL) {}

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.forward(req, res));
    this.listening = await listenOnLoopback(server, 0);
    this.url = `http://127.0.0.1:${this.listening.port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.faults.clear();
    await this.listening?.stop();
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    if (url.pathname.replace(/\/+$/, "") === "/_emulator/faults") return this.faults.admin(req, res);
    const action = req.headers["x-ms-lease-action"];
    if (url.searchParams.get("comp") === "lease" && typeof action === "string") {
      const name = decodeURIComponent(url.pathname.split("/").pop() ?? "");
      if (this.faults.intercept(`${action}Lease`, name, res)) return;
    }
    forwardTo(this.target, req, res);
  }
}

/** Passes a request on to `target` and its whole answer back (then calls `answered`); a cut upstream cuts it. */
export function forwardTo(
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  answered?: () => void,
): void {
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => {
        // Whole answers only: a lost answer (the injector's) then cuts the connection before any byte.
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.end(Buffer.concat(chunks));
        answered?.();
      });
    },
  );
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
}
