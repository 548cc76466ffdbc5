// The built UI (ui/dist) in Debian's Chromium, driven by playwright-core, with the Tauri shell
// replaced by mock-backend.js. Each test opens a fresh browser context on a static server that sends
// the app's strict CSP, and fails on any page error, console error or CSP violation. Covers every
// view (sign-in, device code, catalog, clocks and banner, end-shift dialog, settings, error
// notices), keyboard navigation, axe-core in light and dark, and 200 % zoom; saves a screenshot of
// each view to artifacts/ui-<view>.png. Prints one line per test and, last, `N passed, N failed`.
//
// Usage: node tests/browser/run.mjs [name-filter]   (after `vite build`; `npm run test:browser` does both)
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { serve } from "./serve.mjs";
import { ID, T, scenario } from "./fixtures.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const uiDir = resolve(here, "../..");
const dist = join(uiDir, "dist");
const artifacts = resolve(uiDir, "../artifacts");
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const mockSource = readFileSync(join(here, "mock-backend.js"), "utf8");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const filter = process.argv[2] ?? "";
const STEP_TIMEOUT_MS = 10_000;
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

if (!existsSync(join(dist, "index.html"))) {
  console.error("ui/dist/index.html is missing: run `npm run build` first");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const browser = await chromium
  .launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  })
  .catch((e) => {
    console.log(`FAILED  starting Chromium (${executablePath}): ${e.message}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  });
const server = await serve(dist);

/** Opens the app on a scenario; returns { page, calls(), close() }. */
async function open(scn, opts = {}) {
  const {
    colorScheme = "light",
    viewport = { width: 1280, height: 800 },
    deviceScaleFactor = 1,
    clock = "fixed",
  } = opts;
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor,
    colorScheme,
    reducedMotion: "reduce",
    locale: "en-GB",
    timezoneId: "Europe/London",
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url.replace(/\/$/, "") });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  if (clock === "fixed") await page.clock.setFixedTime(T * 1000);
  else if (clock === "install") await page.clock.install({ time: T * 1000 });
  await page.addInitScript({ content: `${mockSource}\ninstallMockBackend(${JSON.stringify(scn)});` });
  await page.goto(server.url);
  return {
    page,
    calls: (cmd) => page.evaluate((c) => window.__mock.calls.filter((x) => !c || x.cmd === c), cmd),
    async close() {
      const csp = await page.evaluate(() => window.__mock.cspViolations).catch(() => []);
      await context.close();
      assert.deepEqual(csp, [], "CSP violations");
      assert.deepEqual(problems, [], "page or console errors");
    },
  };
}

/** Runs axe-core on the page as it is; fails listing every violation. */
async function axe(page, label) {
  const loaded = await page.evaluate(() => typeof window.axe === "object");
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(
    async (tags) =>
      (await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })).violations.map(
        (v) => `${v.id} (${v.impact}): ${v.help} -> ${v.nodes.map((n) => n.target.join(" ")).slice(0, 4).join(" | ")}`,
      ),
    AXE_TAGS,
  );
  assert.deepEqual(violations, [], `axe violations (${label})`);
}

/** axe in light and dark, with a screenshot of each: artifacts/ui-<name>.png and ui-<name>-dark.png. */
async function checkBothSchemes(page, name) {
  await page.emulateMedia({ colorScheme: "light" });
  await settle(page);
  await axe(page, `${name}, light`);
  await page.screenshot({ path: join(artifacts, `ui-${name}.png`) });
  await page.emulateMedia({ colorScheme: "dark" });
  await settle(page);
  await axe(page, `${name}, dark`);
  await page.screenshot({ path: join(artifacts, `ui-${name}-dark.png`) });
  await page.emulateMedia({ colorScheme: "light" });
}

/** Lets pending DOM updates land (Svelte flushes in microtasks; works under a paused fake clock too). */
async function settle(page) {
  await page.evaluate(() => new Promise((r) => queueMicrotask(() => queueMicrotask(r))));
}

async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return null;
    const s = getComputedStyle(el);
    return {
      id: el.id,
      tag: el.tagName.toLowerCase(),
      text: (el.getAttribute("aria-label") || el.textContent || "").trim().replace(/\s+/g, " "),
      col: el.getAttribute("data-col"),
      row: el.closest("[data-id]")?.getAttribute("data-id") ?? null,
      ring: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2,
    };
  });
}

const rowTitles = (page) => page.$$eval(".entry .name", (els) => els.map((e) => e.textContent.trim()));
const selectedRow = (page) => page.$eval(".entry.selected .name", (e) => e.textContent.trim()).catch(() => null);

// ---------------------------------------------------------------------------------------------

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test("sign-in: prefilled, locked fields read-only with the IT note, focus order and rings", async () => {
  const app = await open(scenario({ signedIn: false, locked: true }));
  const { page } = app;
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  assert.equal(await page.inputValue("#start-url"), "https://example.awsapps.com/start");
  assert.equal(await page.inputValue("#region"), "eu-west-2");
  assert.equal(await page.getAttribute("#start-url", "readonly"), "");
  assert.equal(await page.getAttribute("#region", "readonly"), "");
  assert.equal(await page.getByText("Set by your IT department").count(), 2);
  // The note is part of the field's description for screen readers.
  assert.match(await page.getAttribute("#start-url", "aria-describedby"), /start-url-locked/);

  // The view opens with focus on its heading; Tab walks the form in reading order.
  assert.equal((await focused(page)).id, "signin-title");
  const order = [];
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    assert.ok(f.ring, `visible focus ring on ${f.id || f.text}`);
    order.push(f.id || f.text);
  }
  assert.deepEqual(order, ["start-url", "region", "device-code", "Sign in"]);
  // Before the form there is only the skip link.
  await page.focus("#start-url");
  await page.keyboard.press("Shift+Tab");
  assert.equal((await focused(page)).text, "Skip to main content");
  assert.ok((await focused(page)).ring, "visible focus ring on the skip link");
  await page.focus("#signin-title");
  await checkBothSchemes(page, "signin");
  await app.close();
});

test("sign-in: unlocked fields validate before calling the shell", async () => {
  const app = await open(scenario({ signedIn: false, locked: false }));
  const { page } = app;
  await page.fill("#start-url", "example.awsapps.com");
  await page.fill("#region", "London");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  assert.equal(await page.getAttribute("#start-url", "aria-invalid"), "true");
  assert.equal(await page.getAttribute("#region", "aria-invalid"), "true");
  assert.equal((await focused(page)).id, "start-url");
  assert.deepEqual(await app.calls("sign_in"), []);
  await page.fill("#start-url", "https://other.awsapps.com/start");
  await page.fill("#region", "us-east-1");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Finish signing in in your browser" }).waitFor();
  assert.deepEqual((await app.calls("sign_in"))[0].args, { startUrl: "https://other.awsapps.com/start", region: "us-east-1", deviceCode: false });
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  assert.equal((await app.calls("cancel_sign_in")).length, 1);
  await app.close();
});

test("device code: shown large with a copy button, then signed in to the catalog", async () => {
  const app = await open(scenario({ signedIn: false, locked: true, useDeviceCode: true }));
  const { page } = app;
  assert.equal(await page.isChecked('input[type="checkbox"]'), true);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const code = page.locator("output.code");
  await code.waitFor();
  assert.equal((await code.textContent()).trim(), "WDJB-MJHT");
  const size = await code.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(size >= 32, `device code font size ${size}px is large`);
  assert.ok(await page.getByText("https://device.sso.eu-west-2.amazonaws.com/").isVisible());
  assert.deepEqual((await app.calls("sign_in"))[0].args, {
    startUrl: "https://example.awsapps.com/start",
    region: "eu-west-2",
    deviceCode: true,
  });
  await page.getByRole("button", { name: "Copy code" }).click();
  await page.getByRole("button", { name: "Copied" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "WDJB-MJHT");
  await checkBothSchemes(page, "device-code");
  await page.evaluate(() => window.__mock.finishSignIn());
  await page.getByRole("heading", { name: "Instances", level: 1 }).waitFor();
  assert.equal((await focused(page)).id, "catalog-search");
  await app.close();
});

test("catalog: favourites first, then recent, then grouped by account; axe light and dark", async () => {
  const app = await open(scenario({ warnings: [] }));
  const { page } = app;
  await page.locator(".entry").first().waitFor();
  const groups = await page.$$eval(".group-title", (els) => els.map((e) => e.firstChild && e.textContent.replace(/\s+/g, " ").trim()));
  assert.deepEqual(groups, [
    "Favourites 1",
    "Recent 1",
    "Contact Centre Prod (111122223333) 1",
    "Contact Centre US (444455556666) 2",
    "Sandbox (777788889999) 1",
    "SAML applications 1",
    "Pinned by IT 1",
  ]);
  assert.deepEqual(await rowTitles(page), [
    "Sales EU", "Support EU", "Back office", "Sales US", "Support US", "Training", "Amazon Connect - Claims", "Escalations",
  ]);
  // Named by its SAML application, with the instance id beside it.
  assert.match(await page.textContent(`[data-id="${ID.claims}"] .meta`), new RegExp(ID.claims));
  // Each entry's destination: the user's preference, else the catalog's default.
  assert.equal(await page.inputValue(`#dest-${ID.supportEu}`), "agent-workspace");
  assert.equal(await page.inputValue(`#dest-${ID.training}`), "ccp-chat");
  assert.equal(await page.inputValue(`#dest-${ID.backoffice}`), "admin");
  assert.equal(await selectedRow(page), "Sales EU");
  assert.equal((await focused(page)).id, "catalog-search");
  await checkBothSchemes(page, "catalog");

  // Group by region, remembered across a reload.
  await page.getByText("Region", { exact: true }).click();
  const regions = await page.$$eval(".group-title", (els) => els.map((e) => e.textContent.replace(/\s+/g, " ").trim()));
  assert.deepEqual(regions.slice(2), [
    "Asia Pacific (Sydney) (ap-southeast-2) 1",
    "Europe (Frankfurt) (eu-central-1) 1",
    "Europe (Ireland) (eu-west-1) 1",
    "Europe (London) (eu-west-2) 1",
    "US East (N. Virginia) (us-east-1) 2",
  ]);
  await page.reload();
  await page.locator(".entry").first().waitFor();
  assert.equal(await page.isChecked('input[name="grouping"][value="region"]'), true);
  await checkBothSchemes(page, "catalog-by-region");

  // A favourite toggled from the star moves to the top and is saved.
  await page.getByRole("button", { name: "Favourite: Training" }).click();
  assert.deepEqual((await app.calls("set_favourite"))[0].args, { instanceId: ID.training, favourite: true });
  assert.deepEqual((await rowTitles(page)).slice(0, 2), ["Sales EU", "Training"]);
  assert.equal(await page.getAttribute(`[data-id="${ID.training}"] [data-col="fav"]`, "aria-pressed"), "true");

  // Refresh: progress while the shell discovers, then the new catalog and its warnings.
  await page.getByRole("button", { name: "Refresh" }).click();
  assert.deepEqual((await app.calls("catalog")).at(-1).args, { refresh: true });
  await page.getByText("Refreshing 1 of 3…").waitFor();
  assert.equal(await page.getByRole("button", { name: "Refresh" }).isDisabled(), true);
  await page.evaluate(() => {
    const c = window.__mock.state.catalog;
    window.__mock.emit("catalog://changed", {
      ...c,
      fetchedAt: c.fetchedAt + 240,
      warnings: ["The portal's application list could not be read (HTTP 500); SAML applications may be missing."],
    });
  });
  await page.getByText("Updated today 09:30").waitFor();
  await page.getByRole("heading", { name: "Some instances may be missing" }).waitFor();
  await axe(page, "catalog with warnings");
  await app.close();
});

test("first paint: the shell is told once, after the catalog (not the start-up heading) has painted", async () => {
  const app = await open(scenario({ warnings: [] }));
  const { page } = app;
  await page.waitForFunction(() => window.__mock.calls.some((c) => c.cmd === "window_ready"));
  const order = (await app.calls()).map((c) => c.cmd);
  // The catalog had arrived before the window said it was ready, and it says so once.
  assert.ok(order.indexOf("catalog") < order.indexOf("window_ready"), order.join(", "));
  assert.ok(await page.locator(".entry").first().isVisible());
  await page.getByRole("button", { name: "Session clocks" }).click();
  await page.getByRole("button", { name: "Instances" }).click();
  assert.equal((await app.calls("window_ready")).length, 1);
  await app.close();

  // Signed out, the sign-in form is the first view.
  const signedOut = await open(scenario({ signedIn: false }));
  await signedOut.page.waitForFunction(() => window.__mock.calls.some((c) => c.cmd === "window_ready"));
  assert.ok(await signedOut.page.getByRole("heading", { name: "Sign in", level: 1 }).isVisible());
  await signedOut.close();
});

test("idle focus: the search box has the focus on start, gives it up while the window is unfocused, and gets it back", async () => {
  const app = await open(scenario());
  const { page } = app;
  await page.locator(".entry").first().waitFor();
  await page.waitForFunction(() => document.activeElement?.id === "catalog-search");
  await page.keyboard.type("sup");
  // The OS focus goes to another window (the contact-centre panel): no text field keeps the focus.
  await page.evaluate(() => window.dispatchEvent(new FocusEvent("blur")));
  assert.notEqual((await focused(page))?.id, "catalog-search");
  await page.evaluate(() => window.dispatchEvent(new FocusEvent("focus")));
  assert.equal((await focused(page)).id, "catalog-search");
  // Where it was, with what was typed.
  assert.equal(await page.inputValue("#catalog-search"), "sup");
  await app.close();
});

test("catalog idle: nothing in it changes with the time of day, so an idle window never repaints it", async () => {
  // A launcher idles for hours; every text change is a repaint (hundreds of wake-ups in WebKitGTK),
  // so the catalog says when (today 09:26), never how long ago (4 min ago, changing each minute).
  const app = await open(scenario({ warnings: [] }), { clock: "install" });
  const { page } = app;
  await page.locator(".entry").first().waitFor();
  await page.clock.pauseAt((T + 30) * 1000);
  await settle(page);
  const before = await page.textContent("[data-catalog]");
  await page.evaluate(() => {
    window.__renders = 0;
    new MutationObserver((m) => (window.__renders += m.length)).observe(document.querySelector("[data-catalog]"), {
      subtree: true, characterData: true, childList: true, attributes: true,
    });
  });
  await page.clock.runFor(3 * 60 * 60 * 1000); // 09:30 to 12:30: the same day
  await settle(page);
  assert.equal(await page.evaluate(() => window.__renders), 0, "changes to the idle catalog over 3 hours");
  assert.equal(await page.textContent("[data-catalog]"), before);
  await page.getByText("Updated today 09:26").waitFor();
  await page.getByText("Opened today 07:30").waitFor();
  await page.getByText("Opened yesterday 07:30").waitFor();
  await app.close();
});

test("catalog keyboard: / and Ctrl+K focus search, typing filters, arrows move, Enter launches, Esc clears", async () => {
  const app = await open(scenario());
  const { page } = app;
  await page.locator(".entry").first().waitFor();
  await page.click("#catalog-title");
  await page.keyboard.press("/");
  assert.equal((await focused(page)).id, "catalog-search");

  await page.keyboard.type("support");
  assert.deepEqual(await rowTitles(page), ["Support EU", "Support US"]);
  assert.equal(await selectedRow(page), "Support EU");
  await page.keyboard.press("ArrowDown");
  assert.equal(await selectedRow(page), "Support US");
  await page.keyboard.press("ArrowDown"); // stops at the end
  assert.equal(await selectedRow(page), "Support US");
  await page.keyboard.press("Enter");
  await page.getByText("Opened Support US").waitFor();
  // Just launched, it moves to the top of Recent; the selection stays on it.
  assert.deepEqual(await rowTitles(page), ["Support US", "Support EU"]);
  assert.equal(await selectedRow(page), "Support US");
  await page.keyboard.press("ArrowDown");
  assert.equal(await selectedRow(page), "Support EU");
  await page.keyboard.press("Enter");
  await page.getByText("Opened Support EU").waitFor();
  assert.deepEqual(
    (await app.calls("launch")).map((c) => c.args),
    [
      { instanceId: ID.supportUs, destination: "agent-workspace" },
      { instanceId: ID.supportEu, destination: "agent-workspace" },
    ],
  );

  // Search covers instance id, account and region (code and name).
  for (const [q, want] of [
    ["0006-4e3c", ["Training"]],
    ["444455556666", ["Support US", "Sales US"]], // Support US was just launched: Recent comes first
    ["ap-southeast", ["Back office"]],
    ["london sales", ["Sales EU"]],
    ["claims", ["Amazon Connect - Claims"]],
  ]) {
    await page.fill("#catalog-search", q);
    assert.deepEqual(await rowTitles(page), want, `search "${q}"`);
  }
  await page.fill("#catalog-search", "nothing like this");
  await page.getByText("No matches").waitFor();
  await page.keyboard.press("Escape");
  assert.equal(await page.inputValue("#catalog-search"), "");
  assert.equal((await rowTitles(page)).length, 8);

  // A destination picked on the row is what Enter launches.
  await page.fill("#catalog-search", "training");
  await page.selectOption(`#dest-${ID.training}`, "agent-workspace");
  await page.focus("#catalog-search");
  await page.keyboard.press("Enter");
  await page.getByText("Opened Training").waitFor();
  assert.deepEqual((await app.calls("launch")).at(-1).args, { instanceId: ID.training, destination: "agent-workspace" });

  // On the rows: Tab reaches a row's controls, arrows move between rows, Ctrl+K returns to search.
  await page.keyboard.press("Escape");
  await page.focus(`[data-id="${ID.salesEu}"] [data-col="launch"]`);
  await page.keyboard.press("ArrowDown");
  let f = await focused(page);
  assert.deepEqual([f.row, f.col, f.ring], [ID.supportEu, "launch", true]);
  await page.keyboard.press("End");
  f = await focused(page);
  assert.equal(f.row, ID.escalations);
  await page.keyboard.press("Home");
  assert.equal((await focused(page)).row, ID.salesEu);
  assert.equal(await selectedRow(page), "Sales EU");
  await page.keyboard.press("Control+k");
  assert.equal((await focused(page)).id, "catalog-search");

  // Ctrl+K from another view comes back to the catalog's search.
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
  await page.keyboard.press("Control+k");
  assert.equal((await focused(page)).id, "catalog-search");
  await app.close();
});

test("clocks: countdowns soonest first, banner inside the lead time, Re-launch now restarts the session", async () => {
  const app = await open(scenario({ soon: true }));
  const { page } = app;
  const banner = page.locator("section.banner");
  await banner.waitFor();
  assert.match(await banner.textContent(), /Sales EU ends in 11 min/);
  await page.getByRole("button", { name: /Session clocks/ }).click();
  await page.getByRole("heading", { name: "Session clocks", level: 1 }).waitFor();
  const rows = await page.$$eval(".clock", (els) =>
    els.map((e) => [e.querySelector(".label").textContent.trim(), e.querySelector(".countdown").textContent.trim(), ["ok", "soon", "expired"].find((c) => e.classList.contains(c))]),
  );
  assert.deepEqual(rows, [
    ["Sales EU", "11 min", "soon"],
    ["Access token", "42 min", "ok"],
    ["Role credentials (Support EU)", "48 min", "ok"],
    ["AWS sign-in", "6 h 00 min", "ok"],
    ["Support EU", "9 h 35 min", "ok"],
    ["App registration", "63 d 00 h", "ok"],
  ]);
  await checkBothSchemes(page, "clocks");

  await banner.getByRole("button", { name: "Re-launch now" }).click();
  await banner.waitFor({ state: "detached" });
  assert.deepEqual((await app.calls("relaunch")).map((c) => c.args), [{ instanceId: ID.salesEu }]);
  assert.equal(await page.locator(`.clock.soon`).count(), 0);
  await page.getByText("Re-launched Sales EU").waitFor();
  await app.close();
});

test("clocks: the banner can be dismissed until the next lead time", async () => {
  const app = await open(scenario({ soon: true }), { clock: "install" });
  const { page } = app;
  const banner = page.locator("section.banner");
  await banner.waitFor();
  await page.clock.pauseAt((T + 5) * 1000);
  await banner.getByRole("button", { name: /Dismiss/ }).click();
  await banner.waitFor({ state: "detached" });
  await page.clock.runFor(6 * 60 * 1000 + 1000); // 11 min -> under 5 min: the second lead time
  await banner.waitFor();
  assert.match(await banner.textContent(), /Sales EU ends in 4 min \d\d s/);
  await app.close();
});

test("clocks: the window counts on the shell's clock, so a shell hours ahead shows its banner", async () => {
  const ahead = scenario();
  ahead.appState.now = T + 5 * 3600 + 50 * 60; // the AWS sign-in (T + 6 h) has 10 min left: inside 15
  const app = await open(ahead);
  const { page } = app;
  const banner = page.locator("section.banner");
  await banner.waitFor();
  assert.match(await banner.textContent(), /Sign in again/);
  await app.close();
  // On the window's own clock (the shell agreeing), nothing is near its end.
  const same = await open(scenario());
  await same.page.locator(".entry").first().waitFor();
  assert.equal(await same.page.locator("section.banner").count(), 0);
  await same.close();
});

test("clocks: re-render at most once a second, only when the text changes, and not while hidden", async () => {
  const app = await open(scenario({ soon: true }), { clock: "install" });
  const { page } = app;
  await page.getByRole("button", { name: /Session clocks/ }).click();
  await page.locator(".clock").first().waitFor();
  await page.clock.pauseAt((T + 30) * 1000);
  await page.evaluate(() => {
    window.__renders = [];
    const list = document.querySelector(".list");
    new MutationObserver(() => window.__renders.push(Date.now())).observe(list, { subtree: true, characterData: true, childList: true });
  });
  const renders = async (ms) => {
    await page.evaluate(() => (window.__renders.length = 0));
    await page.clock.runFor(ms);
    await settle(page);
    return page.evaluate(() => window.__renders.length);
  };
  // 10 min 30 s left: the text changes once a minute.
  const perMinute = await renders(20_000);
  assert.ok(perMinute <= 1, `${perMinute} re-renders in 20 s while only minutes show`);
  await page.clock.runFor(45_000); // under 10 minutes: seconds show
  const perSecond = await renders(10_000);
  assert.ok(perSecond >= 8 && perSecond <= 10, `${perSecond} re-renders in 10 s (at most one a second)`);
  // Hidden window: no re-renders; visible again: one at once.
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  assert.equal(await renders(10_000), 0, "re-renders while hidden");
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await settle(page);
  assert.ok((await page.evaluate(() => window.__renders.length)) >= 1, "re-render on becoming visible");
  await app.close();
});

test("end shift: confirm dialog, Esc cancels, confirming signs out everywhere", async () => {
  const app = await open(scenario());
  const { page } = app;
  await page.locator(".entry").first().waitFor();
  const endShift = page.getByRole("button", { name: "End shift" });
  await endShift.click();
  const dialog = page.getByRole("dialog", { name: "End your shift?" });
  await dialog.waitFor();
  assert.equal((await focused(page)).text, "Cancel");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.equal((await focused(page)).text, "End shift");
  assert.deepEqual(await app.calls("sign_out"), []);

  await endShift.click();
  await dialog.waitFor();
  await checkBothSchemes(page, "end-shift");
  await dialog.getByRole("button", { name: "End shift" }).click();
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  assert.deepEqual((await app.calls("sign_out")).map((c) => c.args), [{ everywhere: true }]);
  assert.match(await page.getByTestId("signin-note").textContent(), /Your shift has ended/);
  assert.equal(await page.getByRole("button", { name: "End shift" }).count(), 0);
  await app.close();
});

test("settings: shows preferences, validates lead times, saves with set_preferences", async () => {
  const app = await open(scenario());
  const { page } = app;
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
  assert.equal(await page.isChecked('input[type="checkbox"]'), true);
  assert.equal(await page.inputValue("#lead-minutes"), "15, 5");
  assert.equal(await page.inputValue(`#pref-browser-${ID.salesEu}`), 'chromium --profile-directory="Profile 2"');
  assert.equal(await page.inputValue(`#pref-dest-${ID.supportEu}`), "agent-workspace");
  assert.equal(await page.inputValue(`#pref-dest-${ID.salesUs}`), "");
  await checkBothSchemes(page, "settings");

  await page.fill("#lead-minutes", "30, soon");
  await page.getByRole("button", { name: "Save settings" }).click();
  assert.equal(await page.getAttribute("#lead-minutes", "aria-invalid"), "true");
  assert.equal((await focused(page)).id, "lead-minutes");
  assert.deepEqual(await app.calls("set_preferences"), []);

  await page.fill("#lead-minutes", "5 30 15");
  await page.uncheck('input[type="checkbox"]');
  await page.selectOption(`#pref-dest-${ID.training}`, "__custom");
  await page.fill(`#pref-path-${ID.training}`, "/ccp-v2/softphone");
  await page.fill(`#pref-browser-${ID.salesUs}`, "firefox -P work");
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByText("Settings saved.").waitFor();
  const saved = (await app.calls("set_preferences"))[0].args.preferences;
  assert.equal(saved.startAtLogin, false);
  assert.deepEqual(saved.leadMinutes, [30, 15, 5]);
  assert.deepEqual(saved.perInstance[ID.training], { destination: "/ccp-v2/softphone", browser: null });
  assert.deepEqual(saved.perInstance[ID.salesUs], { destination: null, browser: "firefox -P work" });
  assert.deepEqual(saved.perInstance[ID.salesEu], { destination: null, browser: 'chromium --profile-directory="Profile 2"' });
  assert.equal(await page.inputValue("#lead-minutes"), "30, 15, 5");

  // A policy refusal is explained by its code.
  await page.evaluate(() => (window.__mock.state.failures.set_preferences = { code: "policy", message: "leadMinutes is locked by policy" }));
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByRole("heading", { name: "Managed by your IT department" }).waitFor();
  assert.match(await page.locator('[data-code="policy"]').textContent(), /leadMinutes is locked by policy/);

  // A value the shell refuses as invalid is explained with the shell's reason.
  await page.evaluate(
    () =>
      (window.__mock.state.failures.set_preferences = {
        code: "invalid_input",
        message: "a warning 0 minutes before is not possible",
      }),
  );
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByRole("heading", { name: "Check what you entered" }).waitFor();
  assert.match(await page.locator('[data-code="invalid_input"]').textContent(), /0 minutes before is not possible/);
  await app.close();
});

test("errors by code: sign_in_again goes to sign-in with a message; keychain_unavailable explains the fix and retries", async () => {
  let app = await open(scenario({ failures: { catalog: { code: "sign_in_again", message: "refresh token revoked" } } }));
  let page = app.page;
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  assert.match(await page.getByTestId("signin-note").textContent(), /Your AWS sign-in has ended/);
  await app.close();

  // The message text is never matched: the same code with any message gives the same result.
  app = await open(scenario({ failures: { app_state: { code: "keychain_unavailable", message: "sign_in_again network policy", times: 1 } } }));
  page = app.page;
  const notice = page.locator('[data-code="keychain_unavailable"]');
  await notice.waitFor();
  assert.match(await notice.textContent(), /system keychain/);
  assert.match(await notice.textContent(), /GNOME Keyring/);
  assert.equal(await page.getByRole("heading", { name: "Sign in", level: 1 }).count(), 0);
  await checkBothSchemes(page, "error-keychain");
  await notice.getByRole("button", { name: "Try again" }).click();
  await page.getByRole("heading", { name: "Instances", level: 1 }).waitFor();
  assert.equal(await notice.count(), 0);
  await app.close();

  // Signed out behind the window's back (the tray's End shift, an expired session).
  app = await open(scenario());
  page = app.page;
  await page.locator(".entry").first().waitFor();
  await page.evaluate(() => window.__mock.emit("session://changed", null));
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  assert.match(await page.getByTestId("signin-note").textContent(), /You were signed out/);
  await app.close();

  // An unknown code is treated as internal, not guessed from the text.
  app = await open(scenario({ failures: { launch: { code: "surprise", message: "not_found" } } }));
  page = app.page;
  await page.locator(".entry").first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator('[data-code="internal"]').waitFor();
  await app.close();
});

test("200% zoom: every view reflows without horizontal scrolling at 1280x800, and at the minimum window size", async () => {
  const zoom = { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 };
  const noHorizontalScroll = async (page, what) => {
    await settle(page);
    const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
    assert.ok(sw <= cw, `${what}: content ${sw}px wide in a ${cw}px window`);
  };
  let app = await open(scenario({ signedIn: false, locked: true }), zoom);
  let page = app.page;
  await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
  await noHorizontalScroll(page, "sign-in");
  await page.getByRole("checkbox").check();
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.locator("output.code").waitFor();
  await noHorizontalScroll(page, "device code");
  await app.close();

  app = await open(scenario({ soon: true }), zoom);
  page = app.page;
  await page.locator(".entry").first().waitFor();
  await noHorizontalScroll(page, "catalog");
  await page.screenshot({ path: join(artifacts, "ui-catalog-zoom200.png") });
  await page.getByRole("button", { name: /Session clocks/ }).click();
  await page.locator(".clock").first().waitFor();
  await noHorizontalScroll(page, "clocks");
  await page.screenshot({ path: join(artifacts, "ui-clocks-zoom200.png") });
  await page.getByRole("button", { name: "Settings" }).click();
  await page.locator("#lead-minutes").waitFor();
  await noHorizontalScroll(page, "settings");
  await page.getByRole("button", { name: "End shift" }).click();
  await page.getByRole("dialog").waitFor();
  await noHorizontalScroll(page, "end-shift dialog");
  await app.close();

  // The desktop window's minimum size (src-tauri/tauri.conf.json: 480x420) at 100 %.
  app = await open(scenario({ soon: true }), { viewport: { width: 480, height: 420 } });
  page = app.page;
  await page.locator(".entry").first().waitFor();
  await noHorizontalScroll(page, "catalog at the minimum window size");
  await page.getByRole("button", { name: /Session clocks/ }).click();
  await page.locator(".clock").first().waitFor();
  await noHorizontalScroll(page, "clocks at the minimum window size");
  await app.close();
});

test("harness: axe, the CSP and the error checks catch what they should", async () => {
  const app = await open(scenario());
  const { page } = app;
  await page.locator(".entry").first().waitFor();
  // An unlabelled field is an axe violation.
  await page.evaluate(() => document.querySelector("main").append(document.createElement("input")));
  await assert.rejects(axe(page, "planted violation"), /label/);
  // Inline script and inline style are refused by the CSP and reported.
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__ran = true";
    document.body.append(s);
    document.body.setAttribute("style", "color: red");
  });
  await page.waitForFunction(() => window.__mock.cspViolations.length >= 2);
  assert.equal(await page.evaluate(() => window.__ran === true), false);
  await assert.rejects(app.close(), /CSP violations/);
});

// ---------------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
for (const t of tests) {
  if (filter && !t.name.includes(filter)) continue;
  const started = Date.now();
  try {
    await t.fn();
    passed++;
    console.log(`ok      ${t.name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAILED  ${t.name}\n        ${String(e?.stack ?? e).split("\n").join("\n        ")}`);
  }
}
await browser.close();
await server.close();
console.log(`screenshots in ${artifacts}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
