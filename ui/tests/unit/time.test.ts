import { expect, test } from "vitest";
import { clockSkew, formatWhen } from "../../src/lib/time";

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

test("formatWhen: yesterday for the day before, so a past time reads naturally", () => {
  const now = at("2026-11-30T09:30:00Z");
  expect(formatWhen(at("2026-11-29T23:59:00Z"), now, fmt)).toBe("yesterday 23:59");
  expect(formatWhen(at("2026-11-30T00:01:00Z"), now, fmt)).toBe("today 00:01");
  expect(formatWhen(at("2026-11-28T12:00:00Z"), now, fmt)).toBe("28 Nov 2026, 12:00");
});

test("clockSkew: the shell's clock ahead or behind, whole seconds and latency ignored", () => {
  const now = at("2026-11-30T09:30:00Z");
  expect(clockSkew(now + 7 * 3600, now)).toBe(7 * 3600);
  expect(clockSkew(now - 90, now + 0.4)).toBeCloseTo(-90.4);
  expect(clockSkew(Math.floor(now + 0.9), now + 0.9)).toBe(0);
  expect(clockSkew(now, now + 1.5)).toBe(0);
});
