import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { forwardTo } from "../../local/azurite/blobFaultProxy.js";
import { listenOnLoopback, type ListeningServer } from "../../local/net/loopbackServer.js";

/**
 * A loaded machine, made deterministic: an HTTP proxy in front of Azurite that lets the first lease
 * acquisition through and holds every later one until a lease has been released. Requests that arrived
 * together then reach the lease only after the first rotation ended, as on a host too busy to serve them.
 */
export class LeaseHoldingProxy {
  private listening?: ListeningServer;
  private acquired = 0;
  private released = false;
  private readonly held: (() => void)[] = [];
  url = "";

  constructor(private readonly target: URL) {}

  async start(): Promise<this> {
    const server = createServer((req, res) => this.forward(req, res));
    this.listening = await listenOnLoopback(server, 0);
    this.url = `http://127.0.0.1:${this.listening.port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const go of this.held.splice(0)) go();
    await this.listening?.stop();
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const action = req.headers["x-ms-lease-action"];
    const send = (): void =>
      forwardTo(this.target, req, res, () => {
        if (action === "release") {
          this.released = true;
          for (const go of this.held.splice(0)) go();
        }
      });
    if (action === "acquire" && (this.acquired += 1) > 1 && !this.released) this.held.push(send);
    else send();
  }
}

/** The connection string with its blob endpoint moved to the proxy. */
export function throughProxy(connectionString: string, proxyUrl: string): string {
  return connectionString.replace(/BlobEndpoint=http:\/\/[^/;]+/, `BlobEndpoint=${proxyUrl}`);
}
