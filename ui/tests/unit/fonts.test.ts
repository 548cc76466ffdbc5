import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";

// Every font family the window names must be one all three of its web views (WebKitGTK, WebView2,
// WKWebView) resolve without a search: the generic families, and ui-monospace, which Safari's
// engine maps and the others pass over at once. A named family the machine lacks ("Segoe UI" or
// "Roboto" on Linux) sends WebKitGTK through fontconfig on every layout: the stack
// `system-ui, -apple-system, "Segoe UI", Roboto, …` cost 70-100 ms of the first layout on the
// benchmark machine, a third of the start-up.
const ALLOWED = new Set(["system-ui", "ui-monospace", "sans-serif", "serif", "monospace", "inherit"]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(css|svelte)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

test("the window names no font family a web view must search for", () => {
  const named: string[] = [];
  for (const file of sources(join(__dirname, "../../src"))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:--font|--mono|font-family)\s*:\s*([^;}]+)/g)) {
      for (const family of (m[1] ?? "").split(",").map((f) => f.trim().replace(/^["']|["']$/g, ""))) {
        if (family.startsWith("var(")) continue;
        if (!ALLOWED.has(family)) named.push(`${file.replace(/.*\/src\//, "src/")}: ${family}`);
      }
    }
  }
  expect(named).toEqual([]);
});
