import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { SecretClient } from "@azure/keyvault-secrets";
import type { LogLevel } from "@azure/functions";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { resetRotatorApp } from "../../src/runtime.js";
import { startAzurite, type RunningAzurite } from "../azurite/startAzurite.js";
import { EventGridEmulator, type DeliveryRecord } from "../eventgrid/eventGridEmulator.js";
import type { ReceivedCloudEvent } from "../eventgrid/customTopicEmulator.js";
import { DevHost } from "../host/devHost.js";
import { ensureHostKeys, type HostKeys } from "../host/hostKeys.js";
import { loadFunctions } from "../host/loadFunctions.js";
import { ArmEmulator } from "../arm/armEmulator.js";
import { resolveReferences } from "../arm/armSites.js";
import { keyVaultResolver } from "../arm/keyVaultResolver.js";
import { GraphEmulator } from "../graph/graphEmulator.js";
import { KeyVaultEmulator } from "../keyvault/keyVaultEmulator.js";
import type { KeyVaultEvent } from "../keyvault/vaultEvents.js";
import { startPostgres, type RunningPostgres } from "../postgres/startPostgres.js";
import { demoAllowedTargets, demoTargets, seedDemoSecrets } from "./demoSecrets.js";
import { assertPortFree } from "./portCheck.js";
import { DEMO_CONSUMER, DEMO_SUBSCRIPTION_ID, demoConsumer, describeDemoConsumer } from "./demoConsumer.js";

export interface StackPorts {
  keyVault: number;
  eventGrid: number;
  azurite: number;
  postgres: number;
  host: number;
  arm: number;
  graph: number;
}

export const DEFAULT_PORTS: StackPorts = {
  keyVault: 8443,
  eventGrid: 8444,
  azurite: 10000,
  postgres: 54329,
  host: 7071,
  arm: 8445,
  graph: 8446,
};

export interface StackOptions {
  /** Where state, keys, certificates and logs live (`.local`). */
  dir: string;
  fresh?: boolean;
  ports?: Partial<StackPorts>;
  /** Event Grid retry delays are multiplied by this (tests: small). */
  timeScale?: number;
  /** How often Key Vault's expiry events are checked. */
  expiryCheckIntervalMs?: number;
  runTimers?: boolean;
  /** Readable lines of what happens. */
  print?: (line: string) => void;
}

export interface RunningStack {
  keyVault: KeyVaultEmulator;
  eventGrid: EventGridEmulator;
  azurite: RunningAzurite;
  postgres: RunningPostgres;
  arm: ArmEmulator;
  graph: GraphEmulator;
  host: DevHost;
  keys: HostKeys;
  seeded: string[];
  /** What `.local/stack.json` holds. */
  description: Record<string, unknown>;
  stop(): Promise<void>;
}

interface LocalSecrets {
  postgresPassword: string;
  topicKey: string;
}

const FLAGS: Record<keyof StackPorts, string> = {
  keyVault: "--keyvault-port",
  eventGrid: "--eventgrid-port",
  azurite: "--azurite-port",
  postgres: "--postgres-port",
  host: "--host-port",
  arm: "--arm-port",
  graph: "--graph-port",
};

/**
 * The whole loop on one machine: Key Vault emulator -> Event Grid emulator -> dev host serving functions/
 * -> engine -> embedded PostgreSQL and Azurite -> audit events on the emulated custom topic.
 */
export async function startLocalStack(options: StackOptions): Promise<RunningStack> {
  const ports = { ...DEFAULT_PORTS, ...(options.ports ?? {}) };
  const print = options.print ?? (() => undefined);
  const dir = path.resolve(options.dir);
  const stateDir = path.join(dir, "state");
  for (const [what, port] of Object.entries(ports) as [keyof StackPorts, number][])
    await assertPortFree(port, what, FLAGS[what]);
  if (options.fresh) {
    await rm(stateDir, { recursive: true, force: true });
    await rm(path.join(dir, "audit.jsonl"), { force: true });
    await rm(path.join(dir, "dead-letters"), { recursive: true, force: true });
  }
  await mkdir(stateDir, { recursive: true });
  // The embedded PostgreSQL server runs as an unprivileged user when we are root: it must be able to enter these.
  await chmod(dir, 0o755);
  await chmod(stateDir, 0o755);
  const secrets = await localSecrets(path.join(stateDir, "local-secrets.json"));
  const firstRun = !(await exists(path.join(stateDir, "seeded")));

  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  try {
    const keyVault = new KeyVaultEmulator({
      port: ports.keyVault,
      vaultName: "demo",
      certDir: path.join(dir, "tls"),
      dataDir: path.join(stateDir, "keyvault"),
      expiryCheckIntervalMs: options.expiryCheckIntervalMs ?? 1000,
    });
    await keyVault.start();
    started.push(keyVault);
    const [azurite, postgres] = await Promise.all([
      startAzurite({ port: ports.azurite, location: path.join(stateDir, "azurite") }).then(
        (a) => (started.push(a), a),
      ),
      startPostgres({
        dir: path.join(stateDir, "postgres"),
        port: ports.postgres,
        password: secrets.postgresPassword,
        persistent: true,
      }).then((p) => (started.push(p), p)),
    ]);
    const eventGrid = new EventGridEmulator({
      timeScale: options.timeScale ?? 1,
      deadLetterDir: path.join(dir, "dead-letters"),
      topic: {
        key: secrets.topicKey,
        port: ports.eventGrid,
        certDir: path.join(dir, "tls"),
        file: path.join(dir, "audit.jsonl"),
      },
      onDelivery: (d) => print(describeDelivery(d)),
    });
    await eventGrid.start();
    started.push(eventGrid);
    // Sites' Key Vault references resolve against the Key Vault emulator; each time the demo consumer resolves
    // again (told after a rotation, or restarted), the output says which version it now holds.
    const resolveSecret = keyVaultResolver([keyVault]);
    const arm = new ArmEmulator({
      port: ports.arm,
      certDir: path.join(dir, "tls"),
      dataDir: stateDir,
      resolveSecret,
      onSiteResolved: (site) => {
        if (site.name === DEMO_CONSUMER.site) print(describeDemoConsumer(site));
      },
    });
    const graph = new GraphEmulator({
      port: ports.graph,
      certDir: path.join(dir, "tls"),
      dataDir: stateDir,
      // As Entra ID: a new client secret works a few seconds after addPassword.
      secretPropagationMs: 5000,
    });
    await Promise.all([arm.start(), graph.start()]);
    started.push(arm, graph);
    const targets = demoTargets(arm, graph);
    const consumerSite = demoConsumer(arm);
    // The demo vault as ARM sees it: two posture checks fail (purge protection off, public network access on
    // behind a firewall) so the report shows what failing looks like.
    const demoVault = arm.vaults.add({
      name: "demo",
      purgeProtection: false,
      publicNetworkAccess: "Enabled",
      firewallDefaultAction: "Deny",
    });

    const settings: Record<string, string> = {
      KEYVAULT_URIS: `demo=${keyVault.url}`,
      KEYVAULT_RESOURCE_IDS: demoVault.id,
      AzureWebJobsStorage: azurite.connectionString,
      AKV_ROTATOR_CREDENTIAL: "emulator",
      AKV_ROTATOR_TLS_CA_FILE: keyVault.caCertPath,
      AUDIT_TOPIC_ENDPOINT: eventGrid.topic.endpoint,
      AUDIT_TOPIC_KEY: secrets.topicKey,
      ARM_ENDPOINT: arm.url,
      GRAPH_ENDPOINT: graph.url,
      ENTRA_AUTHORITY_HOST: graph.url,
      SWEEP_SCHEDULE: process.env.SWEEP_SCHEDULE ?? "0 */10 * * * *",
      AKV_ROTATOR_ALLOWED_TARGETS: demoAllowedTargets(postgres, targets),
      SCHEDULED_ROTATION_SCHEDULE: process.env.SCHEDULED_ROTATION_SCHEDULE ?? "0 */5 * * * *",
      // The demo consumer's short form (site:local/demo-web) resolves here; its resource group is allowed above.
      CONSUMER_SUBSCRIPTION_ID: DEMO_SUBSCRIPTION_ID,
    };
    Object.assign(process.env, settings);
    resetRotatorApp();

    const keys = await ensureHostKeys(dir);
    const functions = await loadFunctions();
    const host = new DevHost({
      port: ports.host,
      keys,
      functions,
      setting: (name) => process.env[name],
      runTimers: options.runTimers ?? true,
      onLog: (fn, level, message) => print(describeLog(fn, level, message)),
    });
    await host.start();
    started.push(host);

    await eventGrid.subscribe({
      name: "secret-near-expiry",
      endpoint: host.webhookUrl("secretNearExpiry"),
      includedEventTypes: ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"],
    });
    keyVault.onEvent((e) => {
      print(describeKeyVaultEvent(e));
      eventGrid.publish(e);
    });
    eventGrid.topic.onEvent((e) => print(describeAudit(e)));

    let seeded: string[] = [];
    if (firstRun) {
      const kv = new SecretClient(keyVault.url, new EmulatorCredential(), {
        tlsOptions: { ca: readFileSync(keyVault.caCertPath, "utf8") },
        disableChallengeResourceVerification: true,
      });
      seeded = await seedDemoSecrets(kv, postgres, graph, targets);
      await writeFile(path.join(stateDir, "seeded"), new Date().toISOString());
      print(`[stack] seeded demo secrets: ${seeded.join(", ")}`);
      // The demo consumer was deployed before its secret existed: it starts again now and resolves it.
      resolveReferences(consumerSite, resolveSecret);
    }
    print(describeDemoConsumer(consumerSite));

    const description = {
      keyVault: {
        name: keyVault.vaultName,
        url: keyVault.url,
        adminUrl: `${keyVault.url}/_emulator`,
        caCertPath: keyVault.caCertPath,
      },
      eventGrid: {
        topicEndpoint: eventGrid.topic.endpoint,
        topicKey: secrets.topicKey,
        adminUrl: eventGrid.topic.adminUrl,
        auditLog: path.join(dir, "audit.jsonl"),
        deadLetters: path.join(dir, "dead-letters"),
      },
      azurite: { blobEndpoint: azurite.blobEndpoint, connectionString: azurite.connectionString },
      arm: {
        url: arm.url,
        adminUrl: `${arm.url}/_emulator`,
        resources: [...arm.resources.values()].map((r) => r.id),
      },
      demoConsumer: {
        consumer: DEMO_CONSUMER.consumer,
        id: consumerSite.id,
        secret: `demo/${DEMO_CONSUMER.secret}`,
        setting: DEMO_CONSUMER.setting,
        referencesUrl: `${arm.url}${consumerSite.id}/config/configreferences/appsettings?api-version=2022-03-01`,
      },
      graph: {
        url: graph.url,
        applications: [...graph.applications.values()].map((a) => ({
          id: a.id,
          appId: a.appId,
          name: a.displayName,
        })),
      },
      postgres: {
        host: postgres.host,
        port: postgres.port,
        database: "postgres",
        user: postgres.user,
        password: postgres.password,
      },
      host: {
        url: host.url,
        functionKey: keys.functionKey,
        masterKey: keys.masterKey,
        eventGridWebhook: host.webhookUrl("secretNearExpiry"),
        functions: functions.map((f) => f.name),
      },
      settings,
    };
    await writeFile(path.join(dir, "stack.json"), `${JSON.stringify(description, null, 2)}\n`, {
      mode: 0o600,
    });
    return {
      keyVault,
      eventGrid,
      azurite,
      postgres,
      arm,
      graph,
      host,
      keys,
      seeded,
      description,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function localSecrets(file: string): Promise<LocalSecrets> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<LocalSecrets>;
    if (typeof parsed.postgresPassword === "string" && typeof parsed.topicKey === "string")
      return parsed as LocalSecrets;
  } catch {
    // first run
  }
  const made = {
    postgresPassword: randomBytes(18).toString("base64url"),
    topicKey: randomBytes(32).toString("base64"),
  };
  await writeFile(file, JSON.stringify(made), { mode: 0o600 });
  return made;
}

const short = (type: string): string =>
  type.replace(/^Microsoft\.KeyVault\./, "").replace(/^AkvRotator\./, "");

function describeKeyVaultEvent(e: KeyVaultEvent): string {
  return `[keyvault]  ${short(e.eventType)} ${e.subject} (version ${e.data.Version.slice(0, 8)})`;
}

function describeDelivery(d: DeliveryRecord): string {
  const status = typeof d.status === "number" ? `HTTP ${d.status}` : d.status;
  return `[eventgrid] ${short(d.eventType)} ${d.subject} -> ${d.subscription}: ${status}, attempt ${d.attempt}${d.outcome === "delivered" ? "" : ` (${d.outcome})`}`;
}

function describeLog(fn: string, level: LogLevel, message: string): string {
  return `[${fn}] ${level === "information" ? "" : `${level}: `}${message}`;
}

function describeAudit(e: ReceivedCloudEvent): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const detail =
    d.outcome === "rotated"
      ? `${String(d.rotator)} ${String(d.previousVersion).slice(0, 8)} -> ${String(d.newVersion).slice(0, 8)}, expires ${String(d.expiresOn).slice(0, 10)}`
      : d.error
        ? `${(d.error as { code: string }).code}: ${(d.error as { message: string }).message}`
        : String(d.reason ?? "");
  return `[audit]     ${short(e.type)} ${String(d.vault)}/${String(d.secret)} (${String(d.trigger)}) ${detail}`;
}
