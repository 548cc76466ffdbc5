// Which keys do what, as one function of the key and where focus is, so the whole keyboard map is
// in one place and tested. `/` and Ctrl+K (⌘K) focus search; in the search box ↑/↓ move the
// selection, Enter launches it and Esc clears; on a catalog row ↑/↓/Home/End move between rows.

export type Place = "search" | "row" | "editable" | "other";

export type Action =
  | { kind: "focus-search" }
  | { kind: "clear-search" }
  | { kind: "move"; how: "next" | "prev" | "first" | "last" }
  | { kind: "launch" };

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** The catalog action for a key press, or null to let the browser handle it. */
export function catalogAction(press: KeyPress, place: Place): Action | null {
  const { key, ctrlKey, metaKey, altKey, shiftKey } = press;
  if ((ctrlKey || metaKey) && !altKey && !shiftKey && key.toLowerCase() === "k") return { kind: "focus-search" };
  if (ctrlKey || metaKey || altKey) return null;
  switch (place) {
    case "search":
      if (key === "ArrowDown") return { kind: "move", how: "next" };
      if (key === "ArrowUp") return { kind: "move", how: "prev" };
      if (key === "Enter") return { kind: "launch" };
      if (key === "Escape") return { kind: "clear-search" };
      return null;
    case "row":
      if (key === "ArrowDown") return { kind: "move", how: "next" };
      if (key === "ArrowUp") return { kind: "move", how: "prev" };
      if (key === "Home") return { kind: "move", how: "first" };
      if (key === "End") return { kind: "move", how: "last" };
      if (key === "/") return { kind: "focus-search" };
      if (key === "Escape") return { kind: "focus-search" };
      return null;
    case "other":
      if (key === "/") return { kind: "focus-search" };
      return null;
    case "editable":
      return null;
  }
}
