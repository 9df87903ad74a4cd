import { parseArgs } from "node:util";
import type { AppConfig } from "../config.js";
import type { VaultGateway } from "../vault/vaultGateway.js";
import { ConfigurationError } from "../errors.js";
import { silentLogger } from "../logging/logger.js";
import { createRotatorApp, createVaultGateways } from "../rotation/createEngine.js";
import { createCredential } from "../vault/createCredential.js";
import { ThrottleSignal } from "../vault/throttlePolicy.js";
import { cliConfig, cliEnv, resolveVault, UsageError, type CliIo } from "./cliContext.js";
import { rotateCommand } from "./commands/rotate.js";
import { postureCommand } from "./commands/posture.js";
import { statusCommand } from "./commands/status.js";
import { sweepCommand } from "./commands/sweep.js";
import { validateCommand } from "./commands/validate.js";

export const USAGE = `usage: akv-rotator <command> [options]

  rotate <vault> <secret> [--dry-run] [--force]   rotate one secret now (with the app's lease)
  sweep <vault...> [--rotate] [--dry-run] [--report out.html|out.json]
                                                  classify every secret; rotate what is due with --rotate
  status <vault> <secret>                         a secret's state, expiry and any rotation under way
  validate <vault...>                             check every managed secret's tags
  posture <vault...>                              each vault against the Key Vault Azure Policies (ARM, read only)

  <vault> is a vault name (my-vault), a vault URL, or name=URL; for posture also a vault resource ID
  (otherwise its ID comes from KEYVAULT_RESOURCE_IDS).
  --json      machine-readable output      --local   use the settings of the local stack (.local/stack.json)
  Settings come from the environment, as for the app (README, Settings); DefaultAzureCredential signs in.
  Exit codes: 0 all fine, 1 something needs attention, 2 usage or configuration error.`;

/** Vault gateways for commands that only read (no storage, no engine). */
async function readOnlyGateways(
  config: AppConfig,
  throttle = new ThrottleSignal(),
): Promise<Map<string, VaultGateway>> {
  return createVaultGateways(config, await createCredential(config), throttle);
}

/** Runs one CLI invocation; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`akv-rotator: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigurationError) {
      io.err(`akv-rotator: ${error.message}`);
      return 2;
    }
    io.err(`akv-rotator: ${(error as Error).message}`);
    return 1;
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        "dry-run": { type: "boolean" },
        force: { type: "boolean" },
        rotate: { type: "boolean" },
        report: { type: "string" },
        json: { type: "boolean" },
        local: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === "help") {
    io.out(USAGE);
    return 0;
  }
  const env = cliEnv(io, values.local ?? false);
  const json = values.json ?? false;
  const allowed: Record<string, string[]> = {
    rotate: ["dry-run", "force"],
    sweep: ["rotate", "dry-run", "report"],
    status: [],
    validate: [],
    posture: [],
  };
  if (!command || !(command in allowed))
    throw new UsageError(command ? `unknown command '${command}'` : "a command is required");
  for (const flag of ["dry-run", "force", "rotate", "report"]) {
    if (values[flag as keyof typeof values] !== undefined && !allowed[command]?.includes(flag))
      throw new UsageError(`--${flag} does not apply to ${command}`);
  }

  if (command === "rotate" || command === "status") {
    if (args.length !== 2) throw new UsageError(`${command} takes <vault> <secret>`);
    const vault = resolveVault(args[0] as string, env);
    const secret = args[1] as string;
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(secret))
      throw new UsageError(`'${secret}' is not a secret name (1-127 letters, digits and hyphens)`);
    if (command === "status") {
      const config = cliConfig(env, [vault], false);
      const gateways = await readOnlyGateways(config);
      return statusCommand(gateways.get(vault.name) as VaultGateway, secret, config, io, json);
    }
    const app = await createRotatorApp(cliConfig(env, [vault], true), { logger: silentLogger });
    return rotateCommand(
      app,
      vault.name,
      secret,
      { dryRun: values["dry-run"] ?? false, force: values.force ?? false },
      io,
      json,
    );
  }

  if (args.length === 0) throw new UsageError(`${command} takes one or more vaults`);
  if (command === "posture") {
    const targets = args.map((a) => {
      const byId =
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/([a-z0-9-]{3,24})$/i.exec(
          a,
        );
      return byId
        ? {
            vault: {
              name: (byId[1] as string).toLowerCase(),
              url: `https://${(byId[1] as string).toLowerCase()}.vault.azure.net`,
            },
            id: a,
          }
        : { vault: resolveVault(a, env) };
    });
    const config = cliConfig(
      env,
      targets.map((t) => t.vault),
      false,
    );
    return postureCommand(
      config,
      targets.map((t) => ({ name: t.vault.name, resourceId: t.id ?? config.vaultResourceIds[t.vault.name] })),
      await createCredential(config),
      io,
      json,
    );
  }
  const vaults = args.map((a) => resolveVault(a, env));
  if (command === "validate") {
    const config = cliConfig(env, vaults, false);
    const gateways = await readOnlyGateways(config);
    return validateCommand([...gateways.values()], config.defaultValidityDays, io, json);
  }
  const rotate = values.rotate ?? false;
  const dryRun = values["dry-run"] ?? false;
  const flags = { rotate, dryRun, json, ...(values.report ? { report: values.report } : {}) };
  if (rotate && !dryRun) {
    const app = await createRotatorApp(cliConfig(env, vaults, true), { logger: silentLogger });
    return sweepCommand(app.vaults, app.config, app.engine, app.throttle, flags, io);
  }
  const config = cliConfig(env, vaults, false);
  const throttle = new ThrottleSignal();
  return sweepCommand(await readOnlyGateways(config, throttle), config, undefined, throttle, flags, io);
}
