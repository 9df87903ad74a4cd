/** Structured logging: a message and flat fields (rotation id, vault, secret, step), never a secret value. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

function line(message: string, fields?: LogFields): string {
  const extra = Object.entries(fields ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
  return extra ? `${message} ${extra}` : message;
}

export const consoleLogger: Logger = {
  info: (m, f) => console.log(line(m, f)),
  warn: (m, f) => console.warn(line(m, f)),
  error: (m, f) => console.error(line(m, f)),
};

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Adapts anything with log/warn/error (the Functions InvocationContext) to a Logger. */
export function loggerFrom(target: {
  log(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  error(...a: unknown[]): void;
}): Logger {
  return {
    info: (m, f) => target.log(line(m, f)),
    warn: (m, f) => target.warn(line(m, f)),
    error: (m, f) => target.error(line(m, f)),
  };
}
