/**
 * Typed access to the flat `eliza-coolify:*` values: each reader returns the value or undefined
 * and reports a value of the wrong kind to the problem collector, so callers never re-check.
 */
import * as pulumi from "@pulumi/pulumi";
import { describeValue } from "../../characters/schema";
import { ns } from "./keys";
import type { Problems } from "./problems";
import { shownValue } from "./zod-fields";

/** `true`/`false` as booleans or as the strings `pulumi config set` stores. */
export function asBoolean(value: unknown): boolean | undefined | "invalid" {
  if (value === undefined) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return "invalid";
}

/** A value that must be a secret: plain text as read from config, or an Output already. */
export type SecretInput = string | pulumi.Output<string>;

export function isOutput(value: unknown): value is pulumi.Output<string> {
  return pulumi.Output.isInstance(value);
}

export class ConfigValues {
  constructor(
    /** Keyed WITHOUT the namespace. */
    readonly raw: Readonly<Record<string, unknown>>,
    private readonly secretKeys: ReadonlySet<string>,
    private readonly problems: Problems,
  ) {}

  string(key: string): string | undefined {
    const v = this.raw[key];
    // "" is unset: Pulumi.yaml declares optional keys with default "" (a declared key without a
    // default would be required).
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v === "string") return v;
    this.problems.add(ns(key), "", `expected a string (got ${describeValue(v)})`);
    return undefined;
  }

  boolean(key: string): boolean | undefined {
    const v = asBoolean(this.raw[key]);
    if (v === "invalid") {
      this.problems.add(
        ns(key),
        "",
        `expected true or false (got ${shownValue(this.raw[key])}) — pulumi config set ${ns(key)} true`,
      );
      return undefined;
    }
    return v;
  }

  /** A value that must have been stored encrypted; returned as a Pulumi secret. */
  secret(key: string): pulumi.Output<string> | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null || v === "") return undefined;
    if (isOutput(v)) return pulumi.secret(v);
    if (typeof v !== "string") {
      this.problems.add(ns(key), "", `expected a string (got ${describeValue(v)})`);
      return undefined;
    }
    if (!this.secretKeys.has(key)) {
      this.problems.add(
        ns(key),
        "",
        `is stored in plain text — store it encrypted: pulumi config set --secret ${ns(key)} <value>`,
      );
      return undefined;
    }
    return pulumi.secret(v);
  }

  /** A secret's plain text when it was given as a string (for format checks; never stored). */
  secretText(key: string): string | undefined {
    const v = this.raw[key];
    return typeof v === "string" ? v : undefined;
  }
}
