import { z } from "zod";

/**
 * The caller App Service Authentication vouches for, from `x-ms-client-principal` (base64 JSON with
 * `claims: [{typ, val}]` and `role_typ`). The header is set by the platform, which strips any a client sends.
 */
const principal = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })),
});

export type RoleCheck = { ok: true } | { ok: false; status: 401 | 403; detail: string };

const ROLE_CLAIMS = ["roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"];

export function checkRole(header: string | null, requiredRole: string | undefined): RoleCheck {
  if (!requiredRole) return { ok: true };
  if (!header)
    return {
      ok: false,
      status: 401,
      detail: `this API requires a signed-in caller holding the app role '${requiredRole}' (App Service Authentication)`,
    };
  let parsed: z.infer<typeof principal>;
  try {
    parsed = principal.parse(JSON.parse(Buffer.from(header, "base64").toString("utf8")));
  } catch {
    return { ok: false, status: 401, detail: "the x-ms-client-principal header cannot be read" };
  }
  const roleTypes = new Set([...(parsed.role_typ ? [parsed.role_typ] : []), ...ROLE_CLAIMS]);
  const roles = parsed.claims.filter((c) => roleTypes.has(c.typ)).map((c) => c.val);
  return roles.includes(requiredRole)
    ? { ok: true }
    : { ok: false, status: 403, detail: `the caller does not hold the app role '${requiredRole}'` };
}
