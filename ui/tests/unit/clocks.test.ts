import { describe, expect, test } from "vitest";
import {
  bannerFor,
  bannerKey,
  bannerMessage,
  firstLead,
  formatRemaining,
  MAX_TICK_MS,
  MIN_TICK_MS,
  msUntilNextChange,
  spokenRemaining,
  urgency,
} from "../../src/lib/clocks";
import { clock } from "./fixtures";

const MIN = 60;
const H = 3600;

describe("formatRemaining", () => {
  test.each([
    [2 * H + 5 * MIN, "2 h 05 min"],
    [2 * H + 5 * MIN + 59, "2 h 05 min"],
    [H, "1 h 00 min"],
    [H - 1, "59 min"],
    [10 * MIN, "10 min"],
    [10 * MIN - 1, "9 min 59 s"],
    [4 * MIN + 5, "4 min 05 s"],
    [MIN, "1 min 00 s"],
    [59.9, "59 s"],
    [1, "1 s"],
    [0.5, "Expired"],
    [0, "Expired"],
    [-30, "Expired"],
    [63 * 24 * H + 4 * H + 59 * MIN, "63 d 04 h"],
  ])("%s s -> %s", (seconds, text) => {
    expect(formatRemaining(seconds)).toBe(text);
  });
});

test("spokenRemaining says it in words", () => {
  expect(spokenRemaining(2 * H + 5 * MIN)).toBe("2 hours 5 minutes");
  expect(spokenRemaining(H)).toBe("1 hour");
  expect(spokenRemaining(4 * MIN + 1)).toBe("4 minutes 1 second");
  expect(spokenRemaining(30)).toBe("30 seconds");
  expect(spokenRemaining(2 * 24 * H + 3 * H)).toBe("2 days 3 hours");
  expect(spokenRemaining(0)).toBe("expired");
});

describe("msUntilNextChange", () => {
  test("minutes showing: waits for the next minute boundary", () => {
    // 11 min 40.5 s left shows "11 min" until it drops below 11 min.
    expect(msUntilNextChange((11 * MIN + 40.5) * 1000)).toBe(40_501);
    expect(msUntilNextChange(11 * MIN * 1000)).toBe(MIN_TICK_MS);
  });
  test("seconds showing: once a second, never faster", () => {
    expect(msUntilNextChange(125_500)).toBe(MIN_TICK_MS);
    expect(msUntilNextChange(125_000)).toBe(MIN_TICK_MS);
  });
  test("never slower than MAX_TICK_MS, expired included", () => {
    expect(msUntilNextChange(50 * H * 1000)).toBeLessThanOrEqual(MAX_TICK_MS);
    expect(msUntilNextChange(-5000)).toBe(MAX_TICK_MS);
  });
  test("the text really does stay the same until then", () => {
    for (const ms of [700_500, 3_600_000, 7_505_250, 599_999, 61_000]) {
      const wait = msUntilNextChange(ms);
      const before = formatRemaining(ms / 1000);
      if (wait > MIN_TICK_MS) expect(formatRemaining((ms - wait + 1) / 1000)).toBe(before);
      expect(formatRemaining((ms - wait) / 1000)).not.toBe(before);
    }
  });
});

test("firstLead is the earliest warning", () => {
  expect(firstLead([5, 15])).toBe(15);
  expect(firstLead([])).toBe(0);
});

describe("urgency", () => {
  const now = 1_000_000;
  test("soon inside the first lead time, expired at the end, ok otherwise", () => {
    expect(urgency(clock({ endsAt: now + 16 * MIN }), now, [15, 5])).toBe("ok");
    expect(urgency(clock({ endsAt: now + 15 * MIN }), now, [15, 5])).toBe("soon");
    expect(urgency(clock({ endsAt: now }), now, [15, 5])).toBe("expired");
  });
  test("a clock that renews itself is never soon", () => {
    expect(urgency(clock({ endsAt: now + MIN, renewsItself: true }), now, [15])).toBe("ok");
  });
});

describe("bannerFor", () => {
  const now = 1_000_000;
  const leads = [15, 5];

  test("no banner while every clock is outside the first lead time", () => {
    expect(bannerFor([clock({ endsAt: now + 15 * MIN + 1 })], now, leads)).toBeNull();
  });

  test("a Connect session inside the lead time offers a re-launch", () => {
    const c = clock({ endsAt: now + 11 * MIN });
    expect(bannerFor([c], now, leads)).toEqual({
      clock: c,
      stage: 15,
      key: bannerKey(c, 15),
      severity: "warning",
      action: "relaunch",
    });
  });

  test("the stage is the smallest lead time it is within", () => {
    expect(bannerFor([clock({ endsAt: now + 4 * MIN })], now, leads)?.stage).toBe(5);
    expect(bannerFor([clock({ endsAt: now - 1 })], now, leads)).toMatchObject({ stage: "expired", severity: "error" });
  });

  test("the portal session offers signing in again; other kinds nothing", () => {
    expect(bannerFor([clock({ kind: "portal-session", instanceId: null, endsAt: now + MIN })], now, leads)?.action).toBe("sign-in");
    expect(bannerFor([clock({ kind: "role-credentials", endsAt: now + MIN })], now, leads)?.action).toBeNull();
  });

  test("clocks that renew themselves never raise a banner", () => {
    expect(bannerFor([clock({ kind: "access-token", renewsItself: true, endsAt: now + MIN })], now, leads)).toBeNull();
  });

  test("the most urgent clock wins", () => {
    const a = clock({ instanceId: "a", label: "A", endsAt: now + 12 * MIN });
    const b = clock({ instanceId: "b", label: "B", endsAt: now + 3 * MIN });
    expect(bannerFor([a, b], now, leads)?.clock).toBe(b);
  });

  test("a dismissed warning stays away until the next stage", () => {
    const c = clock({ endsAt: now + 11 * MIN });
    const dismissed = new Set([bannerKey(c, 15)]);
    expect(bannerFor([c], now, leads, dismissed)).toBeNull();
    expect(bannerFor([c], now + 7 * MIN, leads, dismissed)?.stage).toBe(5);
  });

  test("a dismissal does not hide a re-launched session's next warning", () => {
    const before = clock({ endsAt: now + 11 * MIN });
    const dismissed = new Set([bannerKey(before, 15)]);
    const after = clock({ endsAt: now + 12 * H });
    expect(bannerFor([after], now + 12 * H - 10 * MIN, leads, dismissed)?.stage).toBe(15);
  });

  test("lead times are used in any order, duplicates and non-positive values ignored", () => {
    expect(bannerFor([clock({ endsAt: now + 4 * MIN })], now, [5, 0, 15, 5, -1])?.stage).toBe(5);
    expect(bannerFor([clock({ endsAt: now + 4 * MIN })], now, [])).toBeNull();
  });
});

test("bannerMessage says what ends, when, and what to do", () => {
  const now = 1_000_000;
  const session = clock({ label: "Sales EU", endsAt: now + 11 * MIN });
  expect(bannerMessage(bannerFor([session], now, [15])!, now)).toBe(
    "Sales EU ends in 11 min. Re-launch now, between contacts, to restart its 12 hours.",
  );
  const portal = clock({ kind: "portal-session", label: "AWS sign-in", estimated: true, instanceId: null, endsAt: now + 4 * MIN });
  expect(bannerMessage(bannerFor([portal], now, [15])!, now)).toBe(
    "Your AWS sign-in ends in 4 min 00 s (estimated). Sign in again to keep working.",
  );
  const ended = clock({ label: "Sales EU", endsAt: now - 1 });
  expect(bannerMessage(bannerFor([ended], now, [15])!, now)).toMatch(/reached Connect's 12-hour limit/);
});
