import { createHash } from "node:crypto";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { mediaTypeOfName } from "../domain/documentType";
import type { StorageConnection } from "./tableStore";

/**
 * Proof-of-execution documents in blob storage: container `poe-documents`, one blob per document
 * named by partner, association and content hash, so uploading the same document again (a
 * retried request) writes the same blob.
 */
export interface StoredDocument {
  blobName: string;
  sha256: string;
  bytes: number;
}

export class DocumentStore {
  private container: Promise<ContainerClient> | undefined;

  constructor(
    private readonly connection: StorageConnection,
    private readonly containerName = "poe-documents",
  ) {}

  async put(
    partnerId: string,
    associationId: string,
    fileName: string,
    content: Buffer,
  ): Promise<StoredDocument> {
    const sha256 = createHash("sha256").update(content).digest("hex");
    const blobName = `${partnerId}/${associationId}/${sha256}`;
    const container = await this.client();
    await container.getBlockBlobClient(blobName).uploadData(content, {
      blobHTTPHeaders: {
        blobContentType: mediaTypeOfName(fileName),
        blobContentDisposition: contentDisposition(fileName),
      },
      metadata: { partnerid: partnerId, associationid: associationId },
    });
    return { blobName, sha256, bytes: content.byteLength };
  }

  async read(blobName: string): Promise<Buffer> {
    const container = await this.client();
    return container.getBlockBlobClient(blobName).downloadToBuffer();
  }

  private client(): Promise<ContainerClient> {
    this.container ??= (async () => {
      const service =
        typeof this.connection === "string"
          ? BlobServiceClient.fromConnectionString(this.connection)
          : new BlobServiceClient(
              this.connection.tableEndpoint.replace(".table.", ".blob."),
              this.connection.credential,
            );
      const container = service.getContainerClient(this.containerName);
      await container.createIfNotExists();
      return container;
    })();
    return this.container;
  }
}

/** An ASCII fallback name plus the RFC 5987 UTF-8 name: header values must be ASCII. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
