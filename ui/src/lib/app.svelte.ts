// The window's state and what the views can ask of it: one reactive object, built once in main.ts.
// It calls the shell only through ipc.ts, reacts to the shell's events, and routes every failure by
// its code (errors.ts): sign-in codes go to the sign-in view with a message, the rest become a
// notice with a retry where one makes sense. It is the only module that reads the wall clock.
import { SvelteSet } from "svelte/reactivity";
import type {
  AppState,
  Catalog,
  CatalogProgress,
  Clock,
  DeviceCode,
  Destination,
  Entry,
  ErrorCode,
  Preferences,
  Session,
} from "./contract";
import * as ipc from "./ipc";
import { explain } from "./errors";
import { bannerFor, msUntilNextChange, MAX_TICK_MS } from "./clocks";
import { destinationLabel } from "./destinations";
import { entryTitle } from "./catalog";
import { clockSkew } from "./time";

export type View = "loading" | "signin" | "catalog" | "clocks" | "settings";

/** Lead times used until the shell says otherwise. */
export const FALLBACK_LEAD_MINUTES = [15, 5];

export interface Notice {
  code: ErrorCode;
  title: string;
  body: string;
  fix: string[];
  detail: string;
  retry: (() => void) | null;
  action: "retry" | "refresh-catalog" | "none";
}

export type SignInStage = { kind: "form" } | { kind: "waiting"; deviceCode: DeviceCode | null };

/** How far the shell's clock is ahead of this window's (see `clockSkew`). */
let skew = 0;

/** Now, on the shell's clock. */
export function readNow(): number {
  return Date.now() / 1000 + skew;
}

export class App {
  view = $state<View>("loading");
  info = $state<AppState | null>(null);
  session = $state<Session | null>(null);
  catalog = $state<Catalog | null>(null);
  progress = $state<CatalogProgress | null>(null);
  clocks = $state<Clock[]>([]);
  prefs = $state<Preferences | null>(null);
  notice = $state<Notice | null>(null);
  /** A message for the sign-in view (why the person is there). */
  signInNote = $state<{ tone: "info" | "warning" | "success"; text: string } | null>(null);
  signIn = $state<SignInStage>({ kind: "form" });
  now = $state(readNow());
  dismissed = new SvelteSet<string>();
  /** Polite announcements for screen readers (and the visible status line). */
  status = $state("");
  busy = $state<Record<string, boolean>>({});
  private endingShift = false;

  leadMinutes = $derived(this.info?.settings.leadMinutes ?? FALLBACK_LEAD_MINUTES);
  banner = $derived(this.session ? bannerFor(this.clocks, this.now, this.leadMinutes, this.dismissed) : null);

  async start(): Promise<void> {
    await Promise.all([
      ipc.on("session://changed", (s) => this.sessionChanged(s)),
      ipc.on("signin://device-code", (d) => {
        if (this.signIn.kind === "waiting") this.signIn = { kind: "waiting", deviceCode: d };
      }),
      ipc.on("catalog://progress", (p) => (this.progress = p)),
      ipc.on("catalog://changed", (c) => {
        this.catalog = c;
        if (!c.refreshing) this.progress = null;
      }),
      ipc.on("clocks://warning", () => void this.loadClocks()),
      ipc.on("clocks://expired", () => void this.loadClocks()),
    ]).catch((e) => this.fail(e, null));
    await this.load();
  }

  /** Reads the app state and, when signed in, everything the views show. */
  async load(): Promise<void> {
    try {
      const info = await ipc.appState();
      skew = clockSkew(info.now, Date.now() / 1000);
      this.now = readNow();
      this.info = info;
      this.session = info.session;
      if (!info.session) {
        this.view = "signin";
        return;
      }
      if (this.view === "loading" || this.view === "signin") this.view = "catalog";
      await Promise.all([this.loadCatalog(false), this.loadClocks(), this.loadPrefs()]);
    } catch (e) {
      this.fail(e, () => void this.load());
    }
  }

  tick(): number {
    this.now = readNow();
    const next = this.clocks.map((c) => msUntilNextChange((c.endsAt - this.now) * 1000));
    return Math.min(MAX_TICK_MS, ...next);
  }

  /** Routes a failure by its code. */
  fail(raw: unknown, retry: (() => void) | null): void {
    const err = ipc.toIpcError(raw);
    const ex = explain(err.code);
    if (ex.quiet) return;
    if (ex.action === "sign-in") {
      this.toSignIn({ tone: "warning", text: ex.body });
      return;
    }
    this.notice = {
      code: err.code,
      title: ex.title,
      body: ex.body,
      fix: ex.fix ?? [],
      detail: err.message,
      retry: ex.action === "retry" ? retry : null,
      action: ex.action,
    };
  }

  toSignIn(note: App["signInNote"]): void {
    this.session = null;
    this.catalog = null;
    this.clocks = [];
    this.progress = null;
    this.notice = null;
    this.signIn = { kind: "form" };
    this.signInNote = note;
    this.view = "signin";
  }

  /** Leaves a signed-in session in place but goes to the sign-in form (to restart the portal session). */
  signInAgain(): void {
    this.signInNote = { tone: "info", text: "Sign in again to restart your AWS sign-in." };
    this.signIn = { kind: "form" };
    this.view = "signin";
  }

  private sessionChanged(s: Session | null): void {
    if (s === null) {
      if (!this.endingShift && this.view !== "signin") {
        this.toSignIn({ tone: "warning", text: "You were signed out. Sign in again to continue." });
      }
      return;
    }
    this.session = s;
  }

  go(view: Exclude<View, "loading" | "signin">): void {
    this.view = view;
  }

  async startSignIn(startUrl: string, region: string, deviceCode: boolean): Promise<void> {
    this.notice = null;
    this.signIn = { kind: "waiting", deviceCode: null };
    try {
      const session = await ipc.signIn(startUrl, region, deviceCode);
      this.session = session;
      this.signIn = { kind: "form" };
      this.signInNote = null;
      this.view = "catalog";
      this.status = session.user ? `Signed in as ${session.user}.` : "Signed in.";
      await this.load();
    } catch (e) {
      this.signIn = { kind: "form" };
      this.fail(e, null);
    }
  }

  async cancelSignIn(): Promise<void> {
    try {
      await ipc.cancelSignIn();
    } catch (e) {
      this.fail(e, null);
    }
    this.signIn = { kind: "form" };
  }

  async endShift(): Promise<boolean> {
    this.endingShift = true;
    try {
      await ipc.signOut(true);
      this.toSignIn({
        tone: "success",
        text: "Your shift has ended. You are signed out of Amazon Connect and AWS, and your sign-in was removed from this computer.",
      });
      this.dismissed.clear();
      return true;
    } catch (e) {
      this.fail(e, () => void this.endShift());
      return false;
    } finally {
      this.endingShift = false;
    }
  }

  async loadCatalog(refresh: boolean): Promise<void> {
    try {
      const c = await ipc.catalog(refresh);
      this.catalog = c;
      if (!c.refreshing) this.progress = null;
    } catch (e) {
      this.fail(e, () => void this.loadCatalog(refresh));
    }
  }

  async loadClocks(): Promise<void> {
    try {
      this.clocks = await ipc.clocks();
      this.now = readNow();
    } catch (e) {
      this.fail(e, () => void this.loadClocks());
    }
  }

  async loadPrefs(): Promise<void> {
    try {
      this.prefs = await ipc.preferences();
    } catch (e) {
      this.fail(e, () => void this.loadPrefs());
    }
  }

  async launch(entry: Entry, destination: Destination): Promise<void> {
    const name = entryTitle(entry);
    const key = `launch:${entry.instanceId}`;
    if (this.busy[key]) return;
    this.busy[key] = true;
    this.status = `Opening ${name} (${destinationLabel(destination)})…`;
    try {
      await ipc.launch(entry.instanceId, destination);
      this.status = `Opened ${name} (${destinationLabel(destination)}) in your browser.`;
      await Promise.all([this.loadCatalog(false), this.loadClocks()]);
    } catch (e) {
      this.status = "";
      this.fail(e, () => void this.launch(entry, destination));
    } finally {
      this.busy[key] = false;
    }
  }

  async relaunch(instanceId: string, label: string): Promise<void> {
    const key = `relaunch:${instanceId}`;
    if (this.busy[key]) return;
    this.busy[key] = true;
    this.status = `Re-launching ${label}…`;
    try {
      await ipc.relaunch(instanceId);
      this.status = `Re-launched ${label}. Its 12 hours start now.`;
      await this.loadClocks();
    } catch (e) {
      this.status = "";
      this.fail(e, () => void this.relaunch(instanceId, label));
    } finally {
      this.busy[key] = false;
    }
  }

  async toggleFavourite(entry: Entry): Promise<void> {
    const favourite = !entry.favourite;
    const set = (value: boolean) => {
      if (!this.catalog) return;
      this.catalog.entries = this.catalog.entries.map((e) =>
        e.instanceId === entry.instanceId ? { ...e, favourite: value } : e,
      );
    };
    set(favourite);
    this.status = `${entryTitle(entry)} ${favourite ? "added to" : "removed from"} favourites.`;
    try {
      await ipc.setFavourite(entry.instanceId, favourite);
    } catch (e) {
      set(!favourite);
      this.status = "";
      this.fail(e, null);
    }
  }

  /** Saves preferences; resolves to whether they were saved. */
  async savePrefs(prefs: Preferences): Promise<boolean> {
    try {
      await ipc.setPreferences(prefs);
      this.prefs = prefs;
      this.notice = null;
      const info = await ipc.appState();
      this.info = info;
      return true;
    } catch (e) {
      this.fail(e, null);
      return false;
    }
  }

  dismissBanner(key: string): void {
    this.dismissed.add(key);
  }
}
