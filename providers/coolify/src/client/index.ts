export * from "./client";
export * from "./clock";
export * from "./credentials";
export * from "./errors";
export * from "./rate-limiter";
export * from "./retry";
export * from "./schemas";
export * from "./version";
