import { expect, test } from "vitest";
import { clockSkew, formatAgo, formatWhen } from "../../src/lib/time";

const at = (iso: string) => Date.parse(iso) / 1000;
const fmt = { locale: "en-GB", timeZone: "UTC" };

test("formatWhen: today, tomorrow, or a date", () => {
  const now = at("2026-11-30T09:30:00Z");
  expect(formatWhen(at("2026-11-30T17:05:00Z"), now, fmt)).toBe("today 17:05");
  expect(formatWhen(at("2026-12-01T08:00:00Z"), now, fmt)).toBe("tomorrow 08:00");
  expect(formatWhen(at("2027-02-01T08:00:00Z"), now, fmt)).toBe("1 Feb 2027, 08:00");
});

test("formatWhen uses the time zone for what 'today' is", () => {
  const now = at("2026-11-30T23:30:00Z");
  expect(formatWhen(at("2026-12-01T00:30:00Z"), now, fmt)).toBe("tomorrow 00:30");
  expect(formatWhen(at("2026-12-01T00:30:00Z"), now, { locale: "en-GB", timeZone: "America/New_York" })).toBe("today 19:30");
});

test("formatAgo is coarse", () => {
  const now = 100_000;
  expect(formatAgo(now - 10, now)).toBe("just now");
  expect(formatAgo(now - 5 * 60, now)).toBe("5 min ago");
  expect(formatAgo(now - 2 * 3600 - 59, now)).toBe("2 h ago");
  expect(formatAgo(now - 26 * 3600, now)).toBe("yesterday");
  expect(formatAgo(now - 3 * 86_400, now)).toBe("3 days ago");
  expect(formatAgo(now + 60, now)).toBe("just now");
});

test("clockSkew: the shell's clock ahead or behind, whole seconds and latency ignored", () => {
  const now = at("2026-11-30T09:30:00Z");
  expect(clockSkew(now + 7 * 3600, now)).toBe(7 * 3600);
  expect(clockSkew(now - 90, now + 0.4)).toBeCloseTo(-90.4);
  expect(clockSkew(Math.floor(now + 0.9), now + 0.9)).toBe(0);
  expect(clockSkew(now, now + 1.5)).toBe(0);
});
