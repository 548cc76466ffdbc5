// The UI's module boundaries, checked on the source: only ipc.ts talks to the shell, only
// app.svelte.ts reads the wall clock, and nothing reaches the network or evaluates strings.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, test } from "vitest";

const root = join(__dirname, "../../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|svelte)$/.test(name) ? [path] : [];
  });
}

const sources = files(root).map((path) => ({ path: relative(root, path), text: readFileSync(path, "utf8") }));

test("the source tree was found", () => {
  expect(sources.map((s) => s.path)).toContain("lib/ipc.ts");
});

test("only lib/ipc.ts uses @tauri-apps/api", () => {
  const users = sources.filter((s) => s.text.includes("@tauri-apps/api")).map((s) => s.path);
  expect(users).toEqual(["lib/ipc.ts"]);
});

test("only lib/app.svelte.ts reads the wall clock", () => {
  const readers = sources.filter((s) => /Date\.now\(\)|new Date\(\)/.test(s.text)).map((s) => s.path);
  expect(readers).toEqual(["lib/app.svelte.ts"]);
});

test("no fetch, eval, Function constructor, remote URLs in markup, or inline style attributes", () => {
  for (const s of sources) {
    expect(s.text, s.path).not.toMatch(/\bfetch\(|\beval\(|new Function\(|XMLHttpRequest|WebSocket\(/);
    expect(s.text, s.path).not.toMatch(/(src|href)=["']https?:/);
    expect(s.text, s.path).not.toMatch(/\sstyle=|style:[a-z-]+=/);
  }
});
