// How the `policy` commands name a policy: NAME, -n NAMESPACE, --clusterwide in; `ns/name` out.
import { type Command, Option } from "commander";
import { UsageError } from "../errors.js";

export interface PolicyRefOpts {
  namespace?: string;
  clusterwide?: boolean;
}

export function kindOption(cmd: Command): Command {
  return cmd
    .addOption(new Option("-n, --namespace <ns>", "namespace of the policy (default: default)"))
    .addOption(new Option("--clusterwide", "a CiliumClusterwideNetworkPolicy"));
}

/** `namespace/name`, or `name` for a clusterwide policy. */
export function policyRef(p: { name: string; namespace: string }): string {
  return p.namespace ? `${p.namespace}/${p.name}` : p.name;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Name, namespace and kind of a request; a namespace with --clusterwide is a usage error. */
export function policyRequest(name: string, o: PolicyRefOpts): { name: string; namespace: string; kind: string } {
  if (!NAME.test(name)) throw new UsageError(`invalid policy name "${name}": lowercase letters, digits, "-" and "."`);
  if (o.clusterwide && o.namespace) throw new UsageError("--clusterwide policies have no namespace: drop -n");
  if (o.namespace !== undefined && !NAME.test(o.namespace)) throw new UsageError(`invalid namespace "${o.namespace}"`);
  if (o.clusterwide) return { name, namespace: "", kind: "CiliumClusterwideNetworkPolicy" };
  return { name, namespace: o.namespace ?? "", kind: o.namespace ? "CiliumNetworkPolicy" : "" };
}
