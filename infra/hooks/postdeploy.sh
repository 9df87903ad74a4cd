#!/bin/sh
# azd postdeploy: subscribe the deployed function to each vault's Key Vault events (infra/eventSubscriptions.bicep).
# Reads the outputs azd saved from infra/main.bicep. Safe to run again (deployments are idempotent).
set -eu
vaults="${AKV_ROTATOR_VAULTS:?AKV_ROTATOR_VAULTS is not set (azd env set AKV_ROTATOR_VAULTS '[{\"name\":\"my-vault\",\"resourceGroup\":\"my-rg\"}]')}"
echo "$vaults" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const vaults = JSON.parse(s);
    if (!Array.isArray(vaults) || vaults.some((v) => typeof v.name !== "string" || typeof v.resourceGroup !== "string")) {
      console.error("AKV_ROTATOR_VAULTS must be [{\"name\":...,\"resourceGroup\":...}]"); process.exit(2);
    }
    for (const v of vaults) console.log(v.name + " " + v.resourceGroup);
  });' | while read -r name group; do
  echo "subscribing secretNearExpiry to Key Vault events of ${name} (${group})"
  az deployment group create \
    --resource-group "$group" \
    --name "akv-rotator-events-${name}" \
    --template-file "$(dirname "$0")/../eventSubscriptions.bicep" \
    --parameters vaultName="$name" location="${AZURE_LOCATION}" functionAppId="${AZURE_FUNCTION_APP_ID}" \
      identityId="${AZURE_IDENTITY_ID}" deadLetterContainerId="${AZURE_DEADLETTER_CONTAINER_ID}" \
    --output none
done
