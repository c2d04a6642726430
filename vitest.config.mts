import { defineConfig } from "vitest/config";

// Three projects: "unit" runs in parallel and fast; "e2e" drives the real pulumi CLI, so it runs
// one file at a time in one fork with timeouts in minutes (each step spawns the CLI, the
// language host and a provider process on a 2-core machine); "production" builds and runs the
// agent image with podman (`npm run test:production`, not part of `npm test`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts", "providers/coolify/src/**/*.test.ts", "agent/test/**/*.test.ts"],
          exclude: [
            "test/e2e/**",
            "test/production/**",
            "test/proxy/**",
            "test/restore/**",
            "**/node_modules/**",
            "**/dist/**",
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          pool: "forks",
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // The agent container behind the real Traefik (`npm run test:proxy`, not part of `npm test`).
          name: "proxy",
          include: ["test/proxy/**/*.test.ts"],
          pool: "forks",
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 900_000,
        },
      },
      {
        test: {
          // The backup and restore round trip with the real agent (`npm run test:restore`).
          name: "restore",
          include: ["test/restore/**/*.test.ts"],
          pool: "forks",
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: "production",
          include: ["test/production/**/*.test.ts"],
          pool: "forks",
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
