// Types of follow-client.mjs for the TypeScript benches.
export interface FollowTally {
  flows: number;
  lostMessages: number;
  lostEvents: number;
  seconds: number;
}
export function follow(address: string, seconds: number, onReady?: () => void): Promise<FollowTally>;
