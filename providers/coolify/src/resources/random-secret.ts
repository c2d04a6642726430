import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { canonicalJson, checkWith, hasUnknowns } from "../provider/inputs";
import { CoolifyResource } from "../provider/shim";
import type { Props, ResourceImpl } from "../provider/types";

export const RandomSecretInputsSchema = z.object({
  /** Characters of the generated value. */
  length: z.number().int().min(16).max(256).default(48),
  /** Change any value here to generate a new secret (rotation). */
  keepers: z.record(z.string(), z.string()).default({}),
});

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Unbiased: bytes >= 248 are dropped (248 = 62 * 4). */
function generate(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}

export const randomSecretImpl: ResourceImpl = {
  async check(_olds, news) {
    return checkWith(RandomSecretInputsSchema, news);
  },
  async diff(_id, olds, news) {
    const changed =
      olds.length !== news.length || canonicalJson(olds.keepers ?? {}) !== canonicalJson(news.keepers ?? {});
    // A new value (a new SECRET_SALT) is never claimed from a value not known yet in a preview.
    const known = !hasUnknowns(news.length) && !hasUnknowns(news.keepers);
    return { changes: changed, replaces: changed && known ? ["keepers"] : [] };
  },
  async create(inputs) {
    const length = Number(inputs.length);
    return { id: generate(12), outs: { ...inputs, value: generate(length) } };
  },
  async read(id, props) {
    return { id, props }; // nothing remote: the value lives (encrypted) in state only
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
  async delete() {},
};

/**
 * A generated secret that stays the same across runs (SECRET_SALT, the agent's API token). A
 * dynamic resource rather than @pulumi/random, whose plugin cannot be installed here; the value
 * is a secret output, encrypted in state.
 */
export class RandomSecret extends CoolifyResource {
  declare readonly value: pulumi.Output<string>;

  constructor(
    name: string,
    args: { length?: pulumi.Input<number>; keepers?: pulumi.Input<Record<string, pulumi.Input<string>>> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    const props: Props = { ...args, value: undefined };
    super("RandomSecret", name, props, { ...opts, additionalSecretOutputs: ["value"] });
  }
}
