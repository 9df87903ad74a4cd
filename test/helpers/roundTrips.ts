import diagnostics from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";

/**
 * Counts the HTTP requests this process sends, by service (the port, named by the caller) and method + path
 * shape: each is one round trip the emulator answers. Ids and names in paths are folded into placeholders.
 */
export class RoundTrips {
  readonly counts = new Map<string, number>();
  private readonly listener = (message: unknown): void => {
    const request = (message as { request: ClientRequest }).request;
    const port = String(request.getHeader("host") ?? request.host).split(":")[1] ?? "";
    const service = this.services.get(port) ?? `port ${port}`;
    const shape = request.path
      .split("?")[0]
      ?.replace(/\/secrets\/[^/]+--pending/, "/secrets/{name}--pending")
      .replace(/\/secrets\/(?!\{)[^/]+/, "/secrets/{name}")
      .replace(/\/[0-9a-f]{32}$/, "/{version}")
      .replace(/\/leases\/.*$/, "/leases/{vault}/{secret}")
      .replace(/\/outbox\/.*$/, "/outbox/{event}");
    const comp = /[?&]comp=([a-z]+)/.exec(request.path)?.[1];
    const action = String(request.getHeader("x-ms-lease-action") ?? "");
    const key = `${service} ${request.method} ${shape}${comp ? `?comp=${comp}` : ""}${action ? ` (${action})` : ""}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };

  constructor(private readonly services: Map<string, string>) {
    diagnostics.subscribe("http.client.request.start", this.listener);
  }

  reset(): void {
    this.counts.clear();
  }

  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  stop(): void {
    diagnostics.unsubscribe("http.client.request.start", this.listener);
  }
}
