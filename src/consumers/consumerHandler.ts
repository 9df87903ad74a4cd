import type { Consumer } from "./consumer.js";
import type { ConsumerContext } from "./armRest.js";

/** The version a consumer should now use. */
export interface ConsumedVersion {
  /** The vault's configured name (KEYVAULT_URIS), which is its Azure name. */
  vault: string;
  secret: string;
  version: string;
  /** When the version was committed: a consumer that fetched before then has not got it. */
  since: Date;
}

/** What the platform shows the consumer resolved: the new version, or why not. Never a secret value. */
export type Observation =
  | { confirmed: true }
  /** `unobservable`: the platform never shows what this consumer resolved; watching longer is pointless. */
  | { confirmed: false; detail: string; unobservable?: boolean };

/** How one kind of consumer is told that a new version exists, and how we see that it uses it. */
export interface ConsumerHandler {
  /** Asks the consumer to read the secret again (refresh, restart, sentinel). Safe to repeat. */
  tell(consumer: Consumer, target: ConsumedVersion, ctx: ConsumerContext): Promise<void>;
  /** Reads what the platform shows the consumer resolved; changes nothing. */
  observe(consumer: Consumer, target: ConsumedVersion, ctx: ConsumerContext): Promise<Observation>;
}
