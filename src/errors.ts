/** An app setting is missing or wrong. Lists every problem at once, one per line. */
export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`akv-rotator is not configured correctly:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigurationError";
  }
}

/**
 * A service the app needs before it can do anything (its storage) failed when first used. `setting` names
 * where that service is configured; `retryable` says whether the same call may work later (unreachable, 5xx,
 * throttled) or needs a person (refused: 4xx). The message names what failed, never a credential.
 */
export class DependencyError extends Error {
  constructor(
    readonly setting: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DependencyError";
  }
}

/** A secret's tags cannot be turned into a rotation plan. Names the secret and the tag. */
export class SecretTagError extends Error {
  constructor(
    readonly secretName: string,
    readonly tag: string,
    detail: string,
  ) {
    super(`secret '${secretName}': tag ${tag} ${detail}`);
    this.name = "SecretTagError";
  }
}

/**
 * A rotation step failed. `code` is stable and machine-readable; `retryable` says whether running the same
 * rotation again later may succeed (a busy or unreachable dependency) or needs a person (bad tags, denied
 * permissions, a credential the target refuses).
 */
export class RotationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RotationError";
  }
}

/**
 * Thrown only by the test seam that simulates a process dying at a step boundary. The engine lets it
 * through untouched: no revert, no lease release, no audit event, exactly as a crash would.
 */
export class SimulatedCrash extends Error {
  constructor(readonly step: string) {
    super(`simulated crash before ${step}`);
    this.name = "SimulatedCrash";
  }
}
