import type { ArmEmulator } from "../arm/armEmulator.js";
import { DEFAULT_SUBSCRIPTION } from "../arm/armResources.js";
import type { SiteResource } from "../arm/armSites.js";

/** The local subscription (resource group `local` is allowed by the demo's AKV_ROTATOR_ALLOWED_TARGETS). */
export const DEMO_SUBSCRIPTION_ID = DEFAULT_SUBSCRIPTION;
export const DEMO_CONSUMER = {
  /** The short form the demo secret's `Consumers` tag names. */
  consumer: "site:local/demo-web",
  site: "demo-web",
  secret: "demo-api-key",
  setting: "API_KEY",
} as const;

/**
 * The demo consumer: an App Service web app whose app setting `API_KEY` is a Key Vault reference to the demo
 * vault's `demo-api-key` (unpinned). It resolves against the Key Vault emulator when added and keeps that
 * version until told (refreshed) or restarted, as the platform does. Made on the first run after the demo
 * secrets are seeded, found again on later ones.
 */
export function demoConsumer(arm: ArmEmulator): SiteResource {
  const id = arm.idOf("site", DEMO_SUBSCRIPTION_ID, "local", DEMO_CONSUMER.site);
  const found = arm.resources.get(id.toLowerCase());
  if (found?.kind === "site") return found;
  return arm.addSite({
    name: DEMO_CONSUMER.site,
    appSettings: {
      WEBSITE_RUN_FROM_PACKAGE: "1",
      [DEMO_CONSUMER.setting]: `@Microsoft.KeyVault(VaultName=demo;SecretName=${DEMO_CONSUMER.secret})`,
    },
  });
}

/** A readable line of which version the demo consumer resolved (never the value). */
export function describeDemoConsumer(site: SiteResource): string {
  const ref = site.references[DEMO_CONSUMER.setting];
  const version = ref?.activeVersion ? `version ${ref.activeVersion.slice(0, 8)}` : "no version";
  return `[consumer]  ${site.name} resolves demo/${DEMO_CONSUMER.secret} to ${version} (${ref?.status ?? "no reference"})`;
}
