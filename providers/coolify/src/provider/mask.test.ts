import { describe, expect, it } from "vitest";
import { MASK, maskSecrets } from "./mask";

describe("maskSecrets", () => {
  it("masks each known secret value wherever it appears, and a URL's password alone too", () => {
    const url = "postgres://eliza:p%40ss-w0rd-77@db.internal:5432/eliza";
    const text = [
      `connecting to ${url}`,
      "password p@ss-w0rd-77 rejected",
      "auth tok_abcdefghijkl failed",
    ].join("\n");
    const out = maskSecrets(text, [url, "tok_abcdefghijkl"]);
    expect(out).not.toContain("p%40ss-w0rd-77");
    expect(out).not.toContain("p@ss-w0rd-77");
    expect(out).not.toContain("tok_abcdefghijkl");
    expect(out).toContain(`auth ${MASK} failed`);
  });

  it("masks secret-shaped values it was not told about", () => {
    const cases: [string, RegExp][] = [
      [
        "Error: connect ECONNREFUSED postgres://user:hunter2secret@10.0.0.5:5432/db",
        /user:\*{4}@10\.0\.0\.5/,
      ],
      ["Authorization: Bearer abcdefgh12345678", /Bearer \*{4}/],
      ["OPENAI_API_KEY=sk-live-abcdefghijklmnop1234", /OPENAI_API_KEY=\*{4}/],
      ['{"apiKey": "abc123def456"}', /"apiKey": "\*{4}"/],
      ["using key sk-proj-ABCDEFGHIJKLMNOPQRSTUV", /using key \*{4}$/],
      ["token ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123", /token \*{4}$/],
      ["coolify token 12|ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop in use", /token \*{4} in use/],
      ["SECRET_SALT: 0123456789abcdef", /SECRET_SALT: \*{4}/],
    ];
    for (const [text, expected] of cases) expect(maskSecrets(text)).toMatch(expected);
  });

  it("leaves ordinary log lines alone and ignores values too short to mask safely", () => {
    const text = "Info  AgentServer is listening on port 3000\nmax_tokens=100 temperature: 0.7\nretries 3";
    expect(maskSecrets(text, ["3", "true", ""])).toBe(text);
  });
});
