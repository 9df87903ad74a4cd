import { isAzureSqlHost, isTargetAllowed, type AllowedTarget } from "../allowedTargets.js";
import { RotationError } from "../errors.js";
import { adminLoginName } from "../rotators/targetTags.js";
import type { RotatorContext, TargetBinding } from "../rotators/rotator.js";
import type { RotationPlan } from "./rotationPlan.js";

/** The tag on an admin secret naming the secrets that may use its login (`AdminSecretName`). */
export const ADMIN_FOR_TAG = "AkvRotatorAdminFor";
const SETTING = "AKV_ROTATOR_ALLOWED_TARGETS";

export interface BindingAuthority {
  vault: string;
  secret: string;
  allowedTargets: readonly AllowedTarget[];
  /** Reads another secret of the vault (the admin secret's tags and login). */
  readSecret: RotatorContext["readSecret"];
}

/** A refused binding: a failure naming the secret, the tag and what would allow it; never retried. */
function refused(message: string): RotationError {
  return new RotationError("BindingNotAllowed", message, false);
}

function describe(target: NonNullable<TargetBinding["target"]>): string {
  if (target.kind === "arm") return target.resourceId;
  if (target.kind === "host") return `${target.host}:${target.port}`;
  return target.path;
}

/**
 * The security model of DESIGN.md: a secret's tags bind it to a target, an admin secret and maybe the app's
 * own Entra token, and each binding is used only when someone other than the tag-writer allows it: the
 * target by the app's settings, the admin secret by its own `AkvRotatorAdminFor` tag. Runs right after
 * planning, before anything is read from or sent to the target. Throws `BindingNotAllowed`.
 */
export async function authorizeBinding(plan: RotationPlan, authority: BindingAuthority): Promise<void> {
  const { vault, secret, allowedTargets } = authority;
  const binding = plan.rotator.binding(plan.target);
  if (binding.target && !isTargetAllowed(allowedTargets, vault, binding.target)) {
    const shown = describe(binding.target);
    const serverId = binding.target.kind === "host" ? binding.target.serverId : undefined;
    throw refused(
      serverId
        ? `secret '${secret}': ProviderAddress binds it to ${shown} (the host of ${serverId}), which ${SETTING} does not allow for vault '${vault}'; add '${vault}=${shown}' or the server's exact resource ID '${vault}=${serverId}' to ${SETTING} to allow it (a scope containing it is not enough: server names are global)`
        : `secret '${secret}': ProviderAddress binds it to ${shown}, which ${SETTING} does not allow for vault '${vault}'; add '${vault}=${shown}' (or a scope containing it) to ${SETTING} to allow it`,
    );
  }
  if (binding.entraTokenHost !== undefined) {
    const host = binding.entraTokenHost;
    if (!isAzureSqlHost(host))
      throw refused(
        `secret '${secret}': AdminAuth=entra would send the app's Azure SQL token to '${host}', which is not an Azure SQL host (*.database.windows.net); use AdminSecretName for other servers`,
      );
  }
  if (binding.adminSecret !== undefined) await authorizeAdminSecret(plan, binding.adminSecret, authority);
}

async function authorizeAdminSecret(
  plan: RotationPlan,
  adminName: string,
  authority: BindingAuthority,
): Promise<void> {
  const { secret } = authority;
  if (adminName.toLowerCase() === secret.toLowerCase())
    throw refused(`secret '${secret}': AdminSecretName names the secret itself`);
  // A secret that does not exist is refused as one that does not name this secret: the failure tells the
  // tag-writer nothing about which secrets exist.
  const admin = await authority.readSecret(adminName).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === "SecretNotFound")
      return { tags: {} as Record<string, string>, value: "" };
    throw error;
  });
  const allowedFor = (admin.tags[ADMIN_FOR_TAG] ?? "")
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((s) => s.toLowerCase());
  if (!allowedFor.includes(secret.toLowerCase()))
    throw refused(
      `secret '${secret}': AdminSecretName names '${adminName}', whose ${ADMIN_FOR_TAG} tag does not list '${secret}'; add '${secret}' to the ${ADMIN_FOR_TAG} tag of '${adminName}' to allow it`,
    );
  const login = adminLoginName(admin);
  // As servers compare names: case, width (SQL Server's usual collation) and trailing blanks aside.
  const same = (name: string): string => name.normalize("NFKC").trim().toLowerCase();
  const rotated = [plan.credentialId, plan.activeCredentialId].map(same);
  if (login !== undefined && rotated.includes(same(login)))
    throw refused(
      `secret '${secret}': AdminSecretName names '${adminName}', which holds the login ${JSON.stringify(login)} this rotation changes; an admin secret must hold another login`,
    );
}
