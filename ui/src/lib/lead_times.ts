// Lead times: how many minutes before a clock runs out the launcher warns. Typed in settings as a
// list ("15, 5"); kept as distinct whole minutes, largest (earliest warning) first.

/** The longest lead time accepted: a day. */
export const MAX_LEAD_MINUTES = 24 * 60;
/** At most this many warnings per clock. */
export const MAX_LEAD_TIMES = 5;

export type Parsed = { ok: true; minutes: number[] } | { ok: false; error: string };

export function parseLeadMinutes(text: string): Parsed {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return { ok: false, error: "Enter at least one lead time, for example 15, 5." };
  const minutes: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part)) return { ok: false, error: `“${part}” is not a whole number of minutes.` };
    const n = Number(part);
    if (n < 1 || n > MAX_LEAD_MINUTES) {
      return { ok: false, error: `Lead times must be between 1 and ${MAX_LEAD_MINUTES} minutes.` };
    }
    if (!minutes.includes(n)) minutes.push(n);
  }
  if (minutes.length > MAX_LEAD_TIMES) return { ok: false, error: `Enter at most ${MAX_LEAD_TIMES} lead times.` };
  return { ok: true, minutes: minutes.sort((a, b) => b - a) };
}

export function formatLeadMinutes(minutes: number[]): string {
  return [...minutes].sort((a, b) => b - a).join(", ");
}
