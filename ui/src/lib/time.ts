// Times as people read them in the window: "today 17:30", "tomorrow 09:00", "yesterday 08:15". The current
// time and, for tests, the locale and time zone are arguments.
import type { EpochSeconds } from "./contract";

/** A difference under this is the shell's whole seconds and the call's latency, not another clock. */
export const IGNORED_SKEW_SECONDS = 2;

/**
 * How far the shell's clock is ahead of the window's (seconds; negative when behind), so the
 * countdowns agree with the shell's warnings. Zero when they agree to within IGNORED_SKEW_SECONDS.
 */
export function clockSkew(shellNow: EpochSeconds, windowNow: EpochSeconds): number {
  const skew = shellNow - windowNow;
  return Math.abs(skew) < IGNORED_SKEW_SECONDS ? 0 : skew;
}

export interface TimeFormat {
  locale?: string;
  timeZone?: string;
}

function dayNumber(epoch: EpochSeconds, fmt: TimeFormat): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: fmt.timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(epoch * 1000),
  );
}

/**
 * A clock time, with "today", "tomorrow", "yesterday" or a date. It changes only at midnight, so
 * a window showing it has nothing to redraw while it idles (a relative "5 min ago" changes every
 * minute, and each change is a repaint).
 */
export function formatWhen(epoch: EpochSeconds, now: EpochSeconds, fmt: TimeFormat = {}): string {
  const time = new Intl.DateTimeFormat(fmt.locale, { hour: "2-digit", minute: "2-digit", timeZone: fmt.timeZone }).format(
    new Date(epoch * 1000),
  );
  const day = dayNumber(epoch, fmt);
  if (day === dayNumber(now, fmt)) return `today ${time}`;
  if (day === dayNumber(now + 86_400, fmt)) return `tomorrow ${time}`;
  if (day === dayNumber(now - 86_400, fmt)) return `yesterday ${time}`;
  const date = new Intl.DateTimeFormat(fmt.locale, { day: "numeric", month: "short", year: "numeric", timeZone: fmt.timeZone }).format(
    new Date(epoch * 1000),
  );
  return `${date}, ${time}`;
}
