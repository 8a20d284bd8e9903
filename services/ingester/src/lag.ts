// Consumer lag per partition: the topic's high watermark minus the group's committed offset.
import type { Admin } from "kafkajs";

export async function sampleLag(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [ends, groups] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const committed = new Map<number, bigint>();
  for (const p of groups.find((g) => g.topic === topic)?.partitions ?? []) committed.set(p.partition, BigInt(p.offset));
  const lag = new Map<number, number>();
  for (const e of ends) {
    const high = BigInt(e.high);
    const low = BigInt(e.low);
    const c = committed.get(e.partition) ?? -1n;
    // No commit yet (-1): everything still in the partition is behind.
    const from = c < 0n ? low : c;
    lag.set(e.partition, Number(high > from ? high - from : 0n));
  }
  return lag;
}
