import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";

/**
 * A credential for the local emulators only. It mints an unsigned JWT naming an identity (`oid`) for the
 * audience the client asks for; the emulators read the identity from it to apply their permission maps.
 * Real Azure rejects such a token, so this credential can never reach a real vault by mistake.
 */
export class EmulatorCredential implements TokenCredential {
  constructor(
    private readonly identity = "akv-rotator-local",
    private readonly tenantId = "00000000-0000-0000-0000-000000000000",
  ) {}

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    const scope = (Array.isArray(scopes) ? scopes[0] : scopes) ?? "";
    const audience = scope.replace(/\/\.default$/, "");
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresOn = issuedAt + 3600;
    const header = { alg: "none", typ: "JWT" };
    const claims = {
      aud: audience,
      iss: `https://sts.windows.net/${this.tenantId}/`,
      tid: this.tenantId,
      oid: this.identity,
      appid: this.identity,
      iat: issuedAt,
      nbf: issuedAt,
      exp: expiresOn,
    };
    const encode = (part: object): string => Buffer.from(JSON.stringify(part)).toString("base64url");
    return { token: `${encode(header)}.${encode(claims)}.`, expiresOnTimestamp: expiresOn * 1000 };
  }
}
