import { describe, expect, test } from "vitest";
import { formatLeadMinutes, MAX_LEAD_MINUTES, parseLeadMinutes } from "../../src/lib/lead_times";
import { DEFAULT_DESTINATION, destinationLabel, destinationOptions, initialDestination, isValidDestination } from "../../src/lib/destinations";
import type { Preferences } from "../../src/lib/contract";
import { entry } from "./fixtures";

describe("lead times", () => {
  test("commas, spaces or semicolons; distinct; largest first", () => {
    expect(parseLeadMinutes("5, 15")).toEqual({ ok: true, minutes: [15, 5] });
    expect(parseLeadMinutes(" 5 30;15 5 ")).toEqual({ ok: true, minutes: [30, 15, 5] });
  });
  test("rejects what isn't whole minutes in range", () => {
    expect(parseLeadMinutes("")).toMatchObject({ ok: false });
    expect(parseLeadMinutes("15, soon")).toEqual({ ok: false, error: "“soon” is not a whole number of minutes." });
    expect(parseLeadMinutes("1.5")).toMatchObject({ ok: false });
    expect(parseLeadMinutes("0")).toMatchObject({ ok: false });
    expect(parseLeadMinutes(String(MAX_LEAD_MINUTES + 1))).toMatchObject({ ok: false });
    expect(parseLeadMinutes("1 2 3 4 5 6")).toMatchObject({ ok: false });
  });
  test("formats largest first", () => {
    expect(formatLeadMinutes([5, 15])).toBe("15, 5");
  });
});

describe("destinations", () => {
  const prefs: Preferences = {
    startAtLogin: false,
    leadMinutes: [15],
    perInstance: { a: { browser: null, destination: "agent-workspace" }, b: { browser: "firefox", destination: null } },
  };
  test("the user's preference, else the catalog's default, else the CCP", () => {
    expect(initialDestination(entry({ instanceId: "a", defaultDestination: "admin" }), prefs)).toBe("agent-workspace");
    expect(initialDestination(entry({ instanceId: "b", defaultDestination: "admin" }), prefs)).toBe("admin");
    expect(initialDestination(entry({ instanceId: "c" }), prefs)).toBe(DEFAULT_DESTINATION);
    expect(initialDestination(entry({ instanceId: "c" }), null)).toBe("ccp");
  });
  test("a custom path is offered alongside the named destinations", () => {
    expect(destinationOptions("ccp").map((o) => o.value)).toEqual(["ccp", "ccp-chat", "agent-workspace", "admin"]);
    expect(destinationOptions("/connect/home").at(-1)).toEqual({ value: "/connect/home", label: "Path /connect/home" });
    expect(destinationLabel("agent-workspace")).toBe("Agent Workspace");
  });
  test("valid destinations are the named ones and absolute paths", () => {
    expect(isValidDestination("ccp")).toBe(true);
    expect(isValidDestination("/ccp-v2/softphone")).toBe(true);
    expect(isValidDestination("/")).toBe(true);
    expect(isValidDestination("ccp-v2")).toBe(false);
    expect(isValidDestination("//evil.example")).toBe(false);
    expect(isValidDestination("/a b")).toBe(false);
    expect(isValidDestination("https://evil.example/")).toBe(false);
  });
});
