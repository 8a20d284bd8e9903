// reply filter: is_reply equals one of the listed booleans; an unknown is_reply only matches false on drops (Hubble's rule).
import { Verdict } from "@flowlens/proto";
import type { FilterBuilder } from "./types.js";

export const replyFilter: FilterBuilder = {
  name: "reply",
  fields: ["reply"],
  build(ff) {
    if (ff.reply.length === 0) return [];
    const wanted = ff.reply;
    return [
      (flow) => {
        if (flow.isReply === undefined && flow.verdict !== Verdict.DROPPED) return false;
        const reply = flow.isReply ?? false;
        return wanted.includes(reply);
      },
    ];
  },
};
