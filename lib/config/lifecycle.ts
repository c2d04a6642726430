/**
 * The stack-wide lifecycle default: `rollback`, whether an agent whose new deployment fails,
 * ends unhealthy or fails its smoke test is put back on the last version that passed. On by
 * default where the stack is protected (production): there an agent that stops answering is
 * worse than an `up` that fails. Each agent may override it (`agents[].rollback`).
 */
import type { ConfigValues } from "./values";

export interface LifecycleConfig {
  /** The default of `agents[].rollback`. */
  rollback: boolean;
}

export function parseLifecycle(values: ConfigValues, protect: boolean): LifecycleConfig {
  return { rollback: values.boolean("rollback") ?? protect };
}
