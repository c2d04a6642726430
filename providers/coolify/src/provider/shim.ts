import type * as pulumi from "@pulumi/pulumi";

/**
 * The object Pulumi serializes into every resource's `__provider`. It holds nothing but the
 * resource type: each method loads the implementation by package name at call time. So the
 * serialized text is tiny, identical across resources of a type, and does not change when the
 * implementation does (no spurious `__provider` diffs in previews), and refresh and destroy run
 * today's code rather than the code of the last `pulumi up`. Credentials are never captured:
 * the implementation reads them at call time.
 */
export function makeShim(type: string): pulumi.dynamic.ResourceProvider {
  // One object per type: @pulumi/pulumi caches the serialized provider per object, and
  // serializing one (closure analysis through the V8 inspector) costs more than all the rest of
  // a resource's registration. A new object per resource made a 100-agent program serialize
  // ~700 times instead of 8.
  let shim = shims.get(type);
  if (!shim) {
    shim = shimFor(type);
    shims.set(type, shim);
  }
  return shim;
}

const shims = new Map<string, pulumi.dynamic.ResourceProvider>();

function shimFor(type: string): pulumi.dynamic.ResourceProvider {
  const impl = () => require("@eliza-coolify/coolify").implementationOf(type);
  return {
    configure: async (req) =>
      require("@eliza-coolify/coolify").configureProvider({
        url: req.config.get("coolify:url"),
        token: req.config.get("coolify:token"),
        rateLimitPerMinute: req.config.get("coolify:rateLimitPerMinute"),
      }),
    check: (olds, news) => impl().check(olds, news),
    diff: (id, olds, news) => impl().diff(id, olds, news),
    create: (inputs) => impl().create(inputs),
    read: (id, props) => impl().read(id, props),
    update: (id, olds, news) => impl().update(id, olds, news),
    delete: (id, props) => impl().delete(id, props),
  };
}
