import type { ContainerClient } from "@azure/storage-blob";

/**
 * A small index of rotations under way: one empty blob `open/<vault>/<secret>` in the app's container,
 * written before a rotation stages its value and removed when its pending record closes. A frequent timer
 * (functions/resumeRotations.ts) lists it and resumes what a crashed run left, instead of waiting for the
 * daily sweep. An entry without a pending record behind it (a crash before staging) is simply removed.
 */
export class OpenRotations {
  constructor(private readonly container: ContainerClient) {}

  static blobName(vault: string, secret: string): string {
    return `open/${vault.toLowerCase()}/${secret.toLowerCase()}`;
  }

  async opened(vault: string, secret: string): Promise<void> {
    await this.container.getBlockBlobClient(OpenRotations.blobName(vault, secret)).upload("", 0);
  }

  async closed(vault: string, secret: string): Promise<void> {
    await this.container.getBlockBlobClient(OpenRotations.blobName(vault, secret)).deleteIfExists();
  }

  /** Every entry, oldest first (names are lower case; Key Vault's names are not case-sensitive). */
  async list(): Promise<{ vault: string; secret: string; since: Date }[]> {
    const found: { vault: string; secret: string; since: Date }[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: "open/" })) {
      const [, vault, secret] = blob.name.split("/");
      if (vault && secret) found.push({ vault, secret, since: blob.properties.lastModified ?? new Date(0) });
    }
    return found.sort((a, b) => a.since.getTime() - b.since.getTime());
  }
}
