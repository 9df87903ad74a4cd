import type { ContainerClient } from "@azure/storage-blob";

/**
 * A small index of rotations under way: one empty blob `open/<vault>/<secret>` in the app's container (its
 * metadata names the rotation), written before a rotation stages its value and removed when its pending
 * record closes. It is also the app's own record of what it staged: a pending record in the vault is resumed
 * only when the index names its rotation (whoever may set secrets cannot forge a rotation for the app to
 * apply). A frequent timer
 * (functions/resumeRotations.ts) lists it and resumes what a crashed run left, instead of waiting for the
 * daily sweep. An entry without a pending record behind it (a crash before staging) is simply removed.
 */
export class OpenRotations {
  constructor(private readonly container: ContainerClient) {}

  static blobName(vault: string, secret: string): string {
    return `open/${vault.toLowerCase()}/${secret.toLowerCase()}`;
  }

  /** Notes the rotation, with its id: only a pending record of a rotation noted here is ever resumed. */
  async opened(vault: string, secret: string, rotationId: string): Promise<void> {
    await this.container
      .getBlockBlobClient(OpenRotations.blobName(vault, secret))
      .upload("", 0, { metadata: { rotationid: rotationId } });
  }

  /** The id of the rotation noted for the secret; undefined when none is. */
  async rotationOf(vault: string, secret: string): Promise<string | undefined> {
    try {
      const props = await this.container
        .getBlockBlobClient(OpenRotations.blobName(vault, secret))
        .getProperties();
      return props.metadata?.rotationid;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
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
