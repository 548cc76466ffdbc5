// The session clocks as a person sees them: countdowns ("2 h 05 min"), how soon the display next
// changes (so the view re-renders at most once a second, and only when something visible changes),
// and whether a banner warns about one of them. Pure functions of the clocks, the time and the
// lead times; nothing here reads the wall clock.
import type { Clock, ClockKind, EpochSeconds } from "./contract";

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Below this, the countdown shows seconds too. */
export const SECONDS_SHOWN_BELOW = 10 * MINUTE;
/** The fastest the countdowns re-render. */
export const MIN_TICK_MS = 1000;
/** The slowest they re-render, so a banner can never be more than this late. */
export const MAX_TICK_MS = 60_000;

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A countdown: "3 d 04 h", "2 h 05 min", "42 min", "4 min 05 s", "45 s", or "Expired".
 * Rounds down, so it never claims more time than is left.
 */
export function formatRemaining(seconds: number): string {
  const s = Math.floor(seconds);
  if (s <= 0) return "Expired";
  if (s >= DAY) return `${Math.floor(s / DAY)} d ${pad(Math.floor((s % DAY) / HOUR))} h`;
  if (s >= HOUR) return `${Math.floor(s / HOUR)} h ${pad(Math.floor((s % HOUR) / MINUTE))} min`;
  if (s >= SECONDS_SHOWN_BELOW) return `${Math.floor(s / MINUTE)} min`;
  if (s >= MINUTE) return `${Math.floor(s / MINUTE)} min ${pad(s % MINUTE)} s`;
  return `${s} s`;
}

/** The same countdown in words a screen reader says well: "2 hours 5 minutes". */
export function spokenRemaining(seconds: number): string {
  const s = Math.floor(seconds);
  if (s <= 0) return "expired";
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  const parts: string[] = [];
  const d = Math.floor(s / DAY);
  const h = Math.floor((s % DAY) / HOUR);
  const m = Math.floor((s % HOUR) / MINUTE);
  if (d) parts.push(plural(d, "day"));
  if (h) parts.push(plural(h, "hour"));
  if (!d && m) parts.push(plural(m, "minute"));
  if (!d && !h && s < SECONDS_SHOWN_BELOW) parts.push(plural(s % MINUTE, "second"));
  return parts.join(" ") || plural(s, "second");
}

/** How long until `formatRemaining` shows something else, clamped to [MIN_TICK_MS, MAX_TICK_MS]. */
export function msUntilNextChange(remainingMs: number): number {
  let step: number;
  if (remainingMs <= 0) step = MAX_TICK_MS;
  else if (remainingMs < SECONDS_SHOWN_BELOW * 1000) step = 1000;
  else step = MINUTE * 1000;
  // The text changes once the time left drops below the next multiple of `step`.
  const untilBoundary = remainingMs > 0 ? (remainingMs % step) + 1 : step;
  return Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, untilBoundary));
}

export function remainingSeconds(clock: Clock, now: EpochSeconds): number {
  return clock.endsAt - now;
}

/** The earliest warning, in minutes before a clock runs out: the largest lead time. */
export function firstLead(leadMinutes: number[]): number {
  return leadMinutes.length ? Math.max(...leadMinutes) : 0;
}

export type Urgency = "ok" | "soon" | "expired";

/** How a clock looks in the list: ends within the first lead time is "soon". */
export function urgency(clock: Clock, now: EpochSeconds, leadMinutes: number[]): Urgency {
  const left = remainingSeconds(clock, now);
  if (left <= 0) return "expired";
  if (!clock.renewsItself && left <= firstLead(leadMinutes) * MINUTE) return "soon";
  return "ok";
}

export interface Banner {
  clock: Clock;
  /** Which warning this is: the lead time (minutes) it is within, or "expired". */
  stage: number | "expired";
  /** Identifies this clock at this stage, to remember a dismissal until the next stage. */
  key: string;
  severity: "warning" | "error";
  /** What the banner's button does. */
  action: "relaunch" | "sign-in" | null;
}

export function bannerKey(clock: Clock, stage: number | "expired"): string {
  return `${clock.kind}:${clock.instanceId ?? "-"}:${clock.endsAt}:${stage}`;
}

/** The banner's one-click remedy: a Connect session is re-launched, a portal session signed in again. */
export function remedyFor(kind: ClockKind): Banner["action"] {
  switch (kind) {
    case "connect-session":
      return "relaunch";
    case "portal-session":
      return "sign-in";
    default:
      return null;
  }
}

/**
 * The banner to show at `now`, if any: the most urgent clock that does not renew itself and is
 * within the first lead time (or has run out), unless the person dismissed it at this stage.
 */
export function bannerFor(
  clocks: Clock[],
  now: EpochSeconds,
  leadMinutes: number[],
  dismissed: ReadonlySet<string> = new Set(),
): Banner | null {
  const leads = [...new Set(leadMinutes)].filter((m) => m > 0).sort((a, b) => a - b);
  const candidates = clocks
    .filter((c) => !c.renewsItself)
    .map((clock) => {
      const left = remainingSeconds(clock, now);
      const stage: number | "expired" | null =
        left <= 0 ? "expired" : (leads.find((m) => left <= m * MINUTE) ?? null);
      return { clock, left, stage };
    })
    .filter((c): c is { clock: Clock; left: number; stage: number | "expired" } => c.stage !== null)
    .filter((c) => !dismissed.has(bannerKey(c.clock, c.stage)))
    .sort((a, b) => a.left - b.left);
  const top = candidates[0];
  if (!top) return null;
  return {
    clock: top.clock,
    stage: top.stage,
    key: bannerKey(top.clock, top.stage),
    severity: top.stage === "expired" ? "error" : "warning",
    action: remedyFor(top.clock.kind),
  };
}

/** The sentence the banner says. */
export function bannerMessage(banner: Banner, now: EpochSeconds): string {
  const { clock } = banner;
  const left = remainingSeconds(clock, now);
  const when = left <= 0 ? "has ended" : `ends in ${formatRemaining(left)}`;
  switch (clock.kind) {
    case "connect-session":
      return left <= 0
        ? `${clock.label} has reached Connect's 12-hour limit. Re-launch to start a new session.`
        : `${clock.label} ${when}. Re-launch now, between contacts, to restart its 12 hours.`;
    case "portal-session":
      return `Your AWS sign-in ${when}${clock.estimated ? " (estimated)" : ""}. Sign in again to keep working.`;
    default:
      return `${clock.label} ${when}.`;
  }
}

export const KIND_LABEL: Record<ClockKind, string> = {
  "portal-session": "AWS sign-in",
  "access-token": "Access token",
  "role-credentials": "Role credentials",
  "connect-session": "Connect session",
  "client-registration": "App registration",
};
