import * as pulumi from "@pulumi/pulumi";

/**
 * Our dynamic resources, as `pulumi.dynamic.Resource` would make them (the same type tokens, so
 * the same URNs, run by the same Node dynamic-provider host) but with a `__provider` we write
 * ourselves instead of a serialized closure.
 *
 * The host reads `__provider` as the source of a CommonJS module and calls its `handler()` to get
 * the provider (`@pulumi/pulumi/cmd/dynamic-provider`). Ours is one line that loads the
 * implementation by package name at call time. Why not let the SDK serialize a closure:
 * - Size. Every dynamic resource stores `__provider` twice (inputs and outputs), and on a DIY
 *   backend the CLI rewrites the whole state file after every step. The serialized closure of a
 *   provider object with seven methods was 2.4 KB, about half of a 100-agent stack's state and so
 *   about half of the CLI's CPU on an up or a destroy (bench/RESULTS.md, section 5). This text is
 *   under 100 bytes.
 * - It is identical across resources of a type and does not change when the implementation does
 *   (no `__provider` diffs in previews), and refresh and destroy run today's code rather than the
 *   code of the last `pulumi up`. Credentials are never in it: the implementation reads them at
 *   call time.
 * Stacks written with the serialized closure keep working: the host loads whichever text a
 * resource has, and the diffs compare our own properties only, so the new text arrives without a
 * change to show.
 */
export abstract class CoolifyResource extends pulumi.CustomResource {
  protected constructor(
    type: string,
    name: string,
    props: Record<string, unknown>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(`pulumi-nodejs:dynamic/coolify:${type}`, name, { ...props, __provider: providerText(type) }, opts);
  }
}

/** The module source stored in `__provider`: `handler()` returns the provider of one type. */
export function providerText(type: string): string {
  return `exports.handler = () => require("@eliza-coolify/coolify").dynamicProvider(${JSON.stringify(type)});`;
}
