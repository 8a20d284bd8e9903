// Consumer lag from high watermarks and committed offsets, with a fake admin client.
import type { Admin } from "kafkajs";
import { expect, it } from "vitest";
import { sampleLag } from "./lag.js";

it("is high watermark minus committed offset, or minus the low watermark before the first commit", async () => {
  const admin = {
    fetchTopicOffsets: async () => [
      { partition: 0, offset: "100", high: "100", low: "0" },
      { partition: 1, offset: "50", high: "50", low: "10" },
      { partition: 2, offset: "7", high: "7", low: "0" },
    ],
    fetchOffsets: async () => [
      {
        topic: "t",
        partitions: [
          { partition: 0, offset: "60", metadata: null },
          { partition: 1, offset: "-1", metadata: null },
          { partition: 2, offset: "7", metadata: null },
        ],
      },
    ],
  } as unknown as Admin;
  expect(await sampleLag(admin, "g", "t")).toEqual(
    new Map([
      [0, 40],
      [1, 40],
      [2, 0],
    ]),
  );
});
