// The dead-letter topic: records that cannot be stored, unchanged, with why and where they came from in headers.
import type { Message, Producer } from "kafkajs";

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  topic: string;
  partition: number;
  offset: string;
}

/** Header names on every dead letter. */
export const DLQ_HEADERS = {
  reason: "reason",
  topic: "original-topic",
  partition: "original-partition",
  offset: "original-offset",
} as const;

export function deadLetterMessage(d: DeadLetter): Message {
  return {
    key: d.key,
    value: d.value,
    headers: {
      [DLQ_HEADERS.reason]: d.reason,
      [DLQ_HEADERS.topic]: d.topic,
      [DLQ_HEADERS.partition]: String(d.partition),
      [DLQ_HEADERS.offset]: d.offset,
    },
  };
}

/** Short label for a reason, for the dead-letter counter. */
export function reasonKind(reason: string): string {
  if (reason.startsWith("ClickHouse refused")) return "refused";
  if (reason.startsWith("not a protobuf") || reason.startsWith("empty")) return "decode";
  if (reason.startsWith("cannot make a row")) return "row";
  return "schema";
}

/** Sends dead letters and resolves once all in-sync replicas have them. */
export async function sendDeadLetters(producer: Producer, dlqTopic: string, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await producer.send({ topic: dlqTopic, acks: -1, messages: letters.map(deadLetterMessage) });
}
