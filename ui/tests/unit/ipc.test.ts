// ipc.ts against Tauri's own IPC mock (@tauri-apps/api/mocks), which stands in for the shell by
// installing window.__TAURI_INTERNALS__.
import { afterEach, beforeAll, expect, test, vi } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import * as ipc from "../../src/lib/ipc";
import type { Preferences } from "../../src/lib/contract";

beforeAll(() => {
  // The node test environment has no window; the mock only needs a global object with crypto.
  (globalThis as unknown as { window: typeof globalThis }).window = globalThis;
});
afterEach(() => clearMocks());

test("commands are invoked by their contract names with camelCase arguments", async () => {
  const seen: [string, unknown][] = [];
  mockIPC((cmd, args) => {
    seen.push([cmd, args]);
    return cmd === "launch" ? { launchedAt: 42 } : null;
  });
  expect(await ipc.launch("i-1", "agent-workspace")).toEqual({ launchedAt: 42 });
  await ipc.signIn("https://x.awsapps.com/start", "eu-west-2", true);
  await ipc.signOut(true);
  await ipc.setFavourite("i-1", true);
  await ipc.relaunch("i-1");
  await ipc.catalog(true);
  const prefs: Preferences = { startAtLogin: true, leadMinutes: [15, 5], perInstance: {} };
  await ipc.setPreferences(prefs);
  expect(seen).toEqual([
    ["launch", { instanceId: "i-1", destination: "agent-workspace" }],
    ["sign_in", { startUrl: "https://x.awsapps.com/start", region: "eu-west-2", deviceCode: true }],
    ["sign_out", { everywhere: true }],
    ["set_favourite", { instanceId: "i-1", favourite: true }],
    ["relaunch", { instanceId: "i-1" }],
    ["catalog", { refresh: true }],
    ["set_preferences", { preferences: prefs }],
  ]);
});

test("a contract error arrives as an IpcError with its code", async () => {
  mockIPC(() => Promise.reject({ code: "keychain_unavailable", message: "locked collection" }));
  await expect(ipc.appState()).rejects.toMatchObject({ name: "IpcError", code: "keychain_unavailable", message: "locked collection" });
});

test("anything else becomes internal: unknown codes, strings, errors", () => {
  expect(ipc.toIpcError({ code: "teapot", message: "sign_in_again" }).code).toBe("internal");
  expect(ipc.toIpcError("boom")).toMatchObject({ code: "internal", message: "boom" });
  expect(ipc.toIpcError(new Error("x"))).toMatchObject({ code: "internal", message: "x" });
  expect(ipc.toIpcError(undefined).code).toBe("internal");
  expect(ipc.toIpcError({ code: "network" })).toMatchObject({ code: "network", message: "" });
});

test("events reach their handler with the payload only, until unsubscribed", async () => {
  mockIPC(() => null, { shouldMockEvents: true });
  const handler = vi.fn();
  const off = await ipc.on("catalog://progress", handler);
  await emit("catalog://progress", { done: 2, total: 5 });
  expect(handler).toHaveBeenCalledWith({ done: 2, total: 5 });
  await off();
  await emit("catalog://progress", { done: 3, total: 5 });
  expect(handler).toHaveBeenCalledTimes(1);
});
