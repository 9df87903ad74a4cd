import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/**
 * A PostgreSQL SCRAM-SHA-256 verifier (RFC 5802 / RFC 7677, the format of `pg_authid.rolpassword`), made
 * client-side so `ALTER ROLE ... PASSWORD` never carries the plaintext: it cannot end up in the server's
 * statement log or `pg_stat_activity`. This is what `psql`'s `\password` does.
 */
export function scramSha256Verifier(password: string, iterations = 4096, salt = randomBytes(16)): string {
  // Our generated passwords are printable ASCII, for which SASLprep is the identity.
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
