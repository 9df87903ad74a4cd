import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AzureKeyCredential, EventGridPublisherClient } from "@azure/eventgrid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomTopicEmulator } from "../../../local/eventgrid/customTopicEmulator.js";
import { rawRequest, TEST_CERT_DIR } from "../../helpers/keyVaultFixture.js";

let topic: CustomTopicEmulator;
let dir: string;
let ca: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "topic-"));
  topic = await new CustomTopicEmulator({
    key: "topic-key-1",
    certDir: TEST_CERT_DIR,
    file: path.join(dir, "audit.jsonl"),
  }).start();
  ca = await readFile(topic.caCertPath, "utf8");
});
afterAll(async () => {
  await topic.stop();
  await rm(dir, { recursive: true, force: true });
});

const client = (key: string): EventGridPublisherClient<"CloudEvent"> =>
  new EventGridPublisherClient(topic.endpoint, "CloudEvent", new AzureKeyCredential(key), {
    tlsOptions: { ca },
    retryOptions: { maxRetries: 0 },
  });

describe("custom topic emulator", () => {
  it("takes CloudEvents from the real EventGridPublisherClient with aeg-sas-key, keeps them and appends them to its file", async () => {
    await client("topic-key-1").send([
      { type: "AkvRotator.Test", source: "/test", id: "e1", data: { n: 1 } },
    ]);
    expect(topic.events).toHaveLength(1);
    expect(topic.events[0]).toMatchObject({
      specversion: "1.0",
      id: "e1",
      type: "AkvRotator.Test",
      source: "/test",
      data: { n: 1 },
    });
    const lines = (await readFile(path.join(dir, "audit.jsonl"), "utf8")).trim().split("\n");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ id: "e1" });
  });

  it("refuses a wrong key with 401, and can be made to fail", async () => {
    await expect(client("wrong").send([{ type: "x", source: "/s", data: {} }])).rejects.toMatchObject({
      statusCode: 401,
    });
    topic.failNext(1, 500);
    await expect(client("topic-key-1").send([{ type: "x", source: "/s", data: {} }])).rejects.toMatchObject({
      statusCode: 500,
    });
    topic.setDown(true);
    await expect(client("topic-key-1").send([{ type: "x", source: "/s", data: {} }])).rejects.toMatchObject({
      statusCode: 503,
    });
    topic.setDown(false);
  });

  it("answers malformed batches with 400 naming the problem", async () => {
    const post = async (body: unknown): Promise<{ status: number; body: unknown }> => {
      const { request } = await import("node:https");
      return new Promise((resolve, reject) => {
        const text = JSON.stringify(body);
        const req = request(
          topic.endpoint,
          {
            method: "POST",
            ca,
            headers: {
              "aeg-sas-key": "topic-key-1",
              "content-type": "application/cloudevents-batch+json; charset=utf-8",
            },
          },
          (res) => {
            let data = "";
            res.on("data", (c: Buffer) => (data += c.toString()));
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                body: data ? (JSON.parse(data) as unknown) : undefined,
              }),
            );
          },
        );
        req.on("error", reject);
        req.end(text);
      });
    };
    expect(await post([])).toMatchObject({ status: 400 });
    expect(await post([{ id: "1", source: "/s", type: "t", specversion: "0.3" }])).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("specversion") } },
    });
    expect(await post([{ id: "1", type: "t", specversion: "1.0" }])).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("'source'") } },
    });
    expect((await rawRequest(topic.endpoint.replace("/api/events", "/other"), ca)).status).toBe(404);
  });
});
