import type { TokenCredential } from "@azure/core-auth";
import type { PasswordPolicy } from "../rotation/passwordPolicy.js";
import type { SdkClientOptions } from "../vault/clientOptions.js";

/** A secret's tags, as read from its latest version. */
export type SecretTags = Readonly<Record<string, string>>;

/** What a rotator may use besides its target: other secrets of the vault, and the app's identity. */
export interface RotatorContext {
  /** Reads another secret of the same vault, e.g. the admin login a tag names. */
  readSecret(name: string): Promise<{ value: string; tags: Record<string, string>; contentType?: string }>;
  credential: TokenCredential;
  /** Where management-plane targets are reached, and the options every Azure SDK client of the app gets. */
  azure: {
    armEndpoint: string;
    graphEndpoint: string;
    authorityHost: string;
    clientOptions: SdkClientOptions;
  };
  /** Ends with the run's deadline. */
  signal?: AbortSignal;
  /**
   * How long verify may keep retrying a new credential the provider has not replicated yet (a new Entra
   * client secret works seconds after it is made); 0 or absent: one try.
   */
  propagationMs?: number;
  /** The engine's clock (tests move it); the system clock when absent. */
  now?: () => Date;
  /**
   * The consumers the secret names that were told of the latest version and have not confirmed it: an old
   * credential they may still use is retired only once they do, or at its hard limit (consumerHold.ts).
   */
  consumers?: {
    unconfirmed: readonly string[];
    /** When the latest version expires: the hard limit of a key pair's wait. */
    latestExpiresOn?: Date;
    /** Something the outcome should say (a retirement kept back, or done at its hard limit). */
    report(note: string): void;
  };
}

/**
 * What a secret's tags bind it to (DESIGN.md, security model): where its credential goes, whose admin login
 * changes it, and where the app's own Entra token goes. The engine allows a binding only when an authority
 * other than the tag-writer does (src/rotation/authorizeBinding.ts); a rotator only describes it.
 */
export interface TargetBinding {
  /** The target itself; absent when there is none (random values). */
  target?:
    | { kind: "arm"; resourceId: string }
    | { kind: "host"; host: string; port: number; serverId?: string }
    | { kind: "application"; path: string };
  /** `AdminSecretName`: the secret whose login is used on the target. */
  adminSecret?: string;
  /** `AdminAuth=entra`: the host the app's own Azure SQL token is sent to. */
  entraTokenHost?: string;
}

/** One credential change on a target. */
export interface CredentialChange {
  /** The login or key the new value is for. */
  credentialId: string;
  newValue: string;
  /** The value this credential has now, when known (single mode: the latest version's). */
  currentValue?: string;
  /** The credential the latest version holds: the one consumers use now. */
  activeCredentialId: string;
  activeValue: string;
  /** The rotation this change belongs to (a resumed run keeps the staged one's). */
  rotationId: string;
  /** When the version this rotation commits will expire: issued credentials should outlive it. */
  validUntil: Date;
}

/**
 * One target type. A rotator only knows its target: the engine owns Key Vault, the pending record, the
 * lease, retries and audit. Every method must be idempotent: a resumed rotation calls them again.
 */
export interface Rotator<Target = unknown> {
  readonly type: string;
  /** ARM resource types (`Microsoft.X/y`) whose `ProviderAddress` selects this rotator without `RotatorType`. */
  readonly resourceTypes: readonly string[];
  /** How the engine generates new values; absent when the target issues them (`issue`). */
  readonly passwordPolicy?: PasswordPolicy;
  /** Whether `CredentialId` is required, and whether `AlternateCredentialId` (dual mode) is allowed. */
  readonly needsCredentialId: boolean;
  readonly supportsDual: boolean;
  /**
   * Credentials that take turns without an `AlternateCredentialId` tag (`key1` <-> `key2`): the other one of
   * the pair, which makes the rotation dual. Undefined when the id has no partner.
   */
  alternateOf?(credentialId: string): string | undefined;
  /** Reads the target from the tags; throws SecretTagError naming the tag. Touches nothing. */
  parseTarget(tags: SecretTags, secretName: string): Target;
  /** What the target's tags bind this secret to; the engine authorizes it before anything is sent. */
  binding(target: Target): TargetBinding;
  /** Reaches the target and authenticates as a rotation will; changes nothing. */
  preflight(target: Target, change: CredentialChange, ctx: RotatorContext): Promise<void>;
  /**
   * Provider-generated credentials (access keys, Entra client secrets): makes the new value on the target
   * and returns it; the engine stages it at once, then calls apply and verify. Called instead of the
   * engine's password generation, so it must never touch the credential consumers use now.
   */
  issue?(target: Target, change: CredentialChange, ctx: RotatorContext): Promise<string>;
  /** Sets the new value on the target (after issue: any follow-up, such as retiring old credentials). Safe to repeat. */
  apply(target: Target, change: CredentialChange, ctx: RotatorContext): Promise<void>;
  /** Authenticates with the new value over a fresh connection; throws when the target refuses it. */
  verify(target: Target, change: CredentialChange, ctx: RotatorContext): Promise<void>;
  /**
   * Issued credentials: removes the one this rotation made (`change.rotationId`) from the provider, when it
   * never verified and no version will hold it. Safe to repeat.
   */
  retire?(target: Target, change: CredentialChange, ctx: RotatorContext): Promise<void>;
  /** Single-credential mode: puts the current value back after a failed verify. */
  revert?(target: Target, change: CredentialChange, ctx: RotatorContext): Promise<void>;
}
