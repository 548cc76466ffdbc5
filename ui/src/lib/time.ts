// Times as people read them in the window: "17:30", "tomorrow 09:00", "5 min ago". The current
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

/** A clock time, with "tomorrow" or a date when it is not today. */
export function formatWhen(epoch: EpochSeconds, now: EpochSeconds, fmt: TimeFormat = {}): string {
  const time = new Intl.DateTimeFormat(fmt.locale, { hour: "2-digit", minute: "2-digit", timeZone: fmt.timeZone }).format(
    new Date(epoch * 1000),
  );
  const day = dayNumber(epoch, fmt);
  if (day === dayNumber(now, fmt)) return `today ${time}`;
  if (day === dayNumber(now + 86_400, fmt)) return `tomorrow ${time}`;
  const date = new Intl.DateTimeFormat(fmt.locale, { day: "numeric", month: "short", year: "numeric", timeZone: fmt.timeZone }).format(
    new Date(epoch * 1000),
  );
  return `${date}, ${time}`;
}

/** How long ago something happened, coarsely. */
export function formatAgo(epoch: EpochSeconds, now: EpochSeconds): string {
  const s = Math.max(0, Math.floor(now - epoch));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86_400);
  return d === 1 ? "yesterday" : `${d} days ago`;
}
