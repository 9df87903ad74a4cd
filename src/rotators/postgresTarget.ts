import { SecretTagError } from "../errors.js";
import type { SecretTags } from "./rotator.js";
import { formatResourceId, parseResourceId } from "./resourceId.js";
import { adminSecretTag, loginNameTag, parseHostAddress } from "./targetTags.js";

/** Where a PostgreSQL login lives and how to reach it. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  /** TLS with certificate verification: always for Azure and remote hosts, off for loopback. */
  tls: boolean;
  role: string;
  alternateRole?: string;
  /** The flexible server's resource ID when ProviderAddress names one: what the binding is to. */
  resourceId?: string;
  /** A secret of the same vault holding an admin login (its CredentialId tag or JSON username) and password. */
  adminSecretName?: string;
}

const FLEXIBLE_SERVER = "Microsoft.DBforPostgreSQL/flexibleServers";

// PostgreSQL truncates identifiers at 63 bytes: a longer name would silently name another role.
const ROLE = { max: 63, unit: "bytes", what: "a PostgreSQL role name" } as const;

/** Reads `ProviderAddress` (a flexible server's resource ID, or `host[:port][/database]`) and the login tags. */
export function parsePostgresTarget(tags: SecretTags, secret: string): PostgresTarget {
  const address = tags.ProviderAddress;
  if (!address)
    throw new SecretTagError(
      secret,
      "ProviderAddress",
      "is required: a PostgreSQL flexible server resource ID or host[:port][/database]",
    );
  let host: string;
  let port = 5432;
  let database = tags.DatabaseName ?? "postgres";
  let tls: boolean;
  let resourceId: string | undefined;
  if (address.startsWith("/")) {
    const id = parseResourceId(address);
    if (!id || !(id.resourceType === FLEXIBLE_SERVER || id.resourceType === `${FLEXIBLE_SERVER}/databases`)) {
      throw new SecretTagError(
        secret,
        "ProviderAddress",
        `must be the full resource ID of a ${FLEXIBLE_SERVER} (or one of its databases)`,
      );
    }
    host = `${id.names[0] as string}.postgres.database.azure.com`;
    if (id.names[1]) database = id.names[1];
    tls = true;
    resourceId = formatResourceId(id);
  } else {
    const parsed = parseHostAddress(address, secret, "a resource ID or host[:port][/database]");
    host = parsed.host;
    port = parsed.port ?? port;
    database = parsed.database ?? database;
    tls = !parsed.loopback;
  }
  const credential = loginNameTag(tags, secret, "CredentialId", ROLE);
  if (!credential)
    throw new SecretTagError(
      secret,
      "CredentialId",
      "is required: the PostgreSQL role whose password this secret holds",
    );
  const alternate = loginNameTag(tags, secret, "AlternateCredentialId", ROLE);
  if (alternate !== undefined && alternate === credential) {
    throw new SecretTagError(secret, "AlternateCredentialId", "must name a different role than CredentialId");
  }
  const admin = adminSecretTag(tags, secret);
  return {
    host,
    port,
    database,
    tls,
    ...(resourceId ? { resourceId } : {}),
    role: credential,
    ...(alternate ? { alternateRole: alternate } : {}),
    ...(admin ? { adminSecretName: admin } : {}),
  };
}
