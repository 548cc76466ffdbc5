// The catalog's keyboard selection: which entry ↑/↓/Home/End/Enter act on. Keyed by instance id,
// so typing in the search box keeps the selected entry selected while it still matches.

export type Move = "next" | "prev" | "first" | "last";

/** The selection after the visible ids changed: kept if still visible, else the first id (or none). */
export function reconcile(selected: string | null, ids: readonly string[]): string | null {
  if (selected !== null && ids.includes(selected)) return selected;
  return ids[0] ?? null;
}

/** The selection after a move; stops at either end rather than wrapping around. */
export function move(selected: string | null, ids: readonly string[], how: Move): string | null {
  if (ids.length === 0) return null;
  const last = ids.length - 1;
  const at = selected === null ? -1 : ids.indexOf(selected);
  switch (how) {
    case "first":
      return ids[0] ?? null;
    case "last":
      return ids[last] ?? null;
    case "next":
      return ids[at < 0 ? 0 : Math.min(at + 1, last)] ?? null;
    case "prev":
      return ids[at < 0 ? 0 : Math.max(at - 1, 0)] ?? null;
  }
}
