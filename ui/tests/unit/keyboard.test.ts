import { describe, expect, test } from "vitest";
import { move, reconcile } from "../../src/lib/selection";
import { catalogAction, type KeyPress } from "../../src/lib/shortcuts";

const ids = ["a", "b", "c"];

describe("selection", () => {
  test("moves stop at either end", () => {
    expect(move("a", ids, "next")).toBe("b");
    expect(move("c", ids, "next")).toBe("c");
    expect(move("a", ids, "prev")).toBe("a");
    expect(move("b", ids, "prev")).toBe("a");
    expect(move("b", ids, "first")).toBe("a");
    expect(move("a", ids, "last")).toBe("c");
  });
  test("with nothing selected, next and prev pick the first", () => {
    expect(move(null, ids, "next")).toBe("a");
    expect(move("gone", ids, "prev")).toBe("a");
  });
  test("an empty list has no selection", () => {
    expect(move("a", [], "next")).toBeNull();
    expect(reconcile("a", [])).toBeNull();
  });
  test("reconcile keeps a visible selection, else falls back to the first", () => {
    expect(reconcile("b", ids)).toBe("b");
    expect(reconcile("z", ids)).toBe("a");
    expect(reconcile(null, ids)).toBe("a");
  });
});

const key = (k: string, mods: Partial<KeyPress> = {}): KeyPress => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe("catalogAction", () => {
  test("Ctrl+K and ⌘K focus search from anywhere, even a text field", () => {
    for (const place of ["search", "row", "editable", "other"] as const) {
      expect(catalogAction(key("k", { ctrlKey: true }), place)).toEqual({ kind: "focus-search" });
      expect(catalogAction(key("K", { metaKey: true }), place)).toEqual({ kind: "focus-search" });
    }
    expect(catalogAction(key("k", { ctrlKey: true, shiftKey: true }), "other")).toBeNull();
  });
  test("/ focuses search except where it is typed", () => {
    expect(catalogAction(key("/"), "other")).toEqual({ kind: "focus-search" });
    expect(catalogAction(key("/"), "row")).toEqual({ kind: "focus-search" });
    expect(catalogAction(key("/"), "search")).toBeNull();
    expect(catalogAction(key("/"), "editable")).toBeNull();
  });
  test("in the search box: arrows move, Enter launches, Esc clears", () => {
    expect(catalogAction(key("ArrowDown"), "search")).toEqual({ kind: "move", how: "next" });
    expect(catalogAction(key("ArrowUp"), "search")).toEqual({ kind: "move", how: "prev" });
    expect(catalogAction(key("Enter"), "search")).toEqual({ kind: "launch" });
    expect(catalogAction(key("Escape"), "search")).toEqual({ kind: "clear-search" });
    expect(catalogAction(key("a"), "search")).toBeNull();
    // Home/End keep their text-editing meaning in the search box.
    expect(catalogAction(key("Home"), "search")).toBeNull();
  });
  test("on a row: arrows, Home and End move between rows; Enter is left to the focused button", () => {
    expect(catalogAction(key("ArrowDown"), "row")).toEqual({ kind: "move", how: "next" });
    expect(catalogAction(key("Home"), "row")).toEqual({ kind: "move", how: "first" });
    expect(catalogAction(key("End"), "row")).toEqual({ kind: "move", how: "last" });
    expect(catalogAction(key("Enter"), "row")).toBeNull();
    expect(catalogAction(key("Escape"), "row")).toEqual({ kind: "focus-search" });
  });
  test("modified keys other than Ctrl/⌘+K are left alone", () => {
    expect(catalogAction(key("ArrowDown", { altKey: true }), "search")).toBeNull();
    expect(catalogAction(key("Enter", { ctrlKey: true }), "search")).toBeNull();
  });
  test("a select or text field keeps its keys", () => {
    expect(catalogAction(key("ArrowDown"), "editable")).toBeNull();
  });
});
