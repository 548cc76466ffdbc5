// What the catalog view shows, as plain functions over the contract's entries: search as you type,
// favourites first, then the recently launched, then the rest grouped by account or by region.
// Promises: every entry appears at most once, in a stable order, so keyboard selection (selection.ts)
// can walk the flattened list.
import type { Entry } from "./contract";
import { regionName } from "./regions";

export type Grouping = "account" | "region";

/** How many recently launched entries the "Recent" section lists. */
export const RECENT_LIMIT = 5;

export interface Section {
  /** Stable id, also used for the heading's element id. */
  id: string;
  title: string;
  kind: "favourites" | "recent" | "group";
  entries: Entry[];
}

/** The name a person knows an instance by (the shell's: alias, else SAML application, else id). */
export function entryTitle(entry: Entry): string {
  return entry.name;
}

/** Whether an entry without an account comes through a SAML application rather than IT's pin. */
function viaSamlOnly(entry: Entry): boolean {
  return entry.methods.includes("saml") && !entry.methods.includes("pinned");
}

/**
 * The account a person recognises: "Name (id)", the id alone, or, without an account, "SAML
 * applications" when it comes through one and "Pinned by IT" for IT's pins.
 */
export function accountLabel(entry: Entry): string {
  if (entry.accountName && entry.accountId) return `${entry.accountName} (${entry.accountId})`;
  return entry.accountName ?? entry.accountId ?? (viaSamlOnly(entry) ? "SAML applications" : "Pinned by IT");
}

function haystack(entry: Entry): string {
  return [
    entry.name,
    entry.alias,
    entry.instanceId,
    entry.accountId,
    entry.accountName,
    entry.region,
    regionName(entry.region),
  ]
    .filter((s): s is string => typeof s === "string")
    .join("\n")
    .toLowerCase();
}

/** Whether an entry matches a query: every whitespace-separated word appears somewhere in it. */
export function matches(entry: Entry, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = haystack(entry);
  return words.every((w) => text.includes(w));
}

const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });

/** Alphabetical by title, then by instance id so equal titles keep a fixed order. */
export function byTitle(a: Entry, b: Entry): number {
  return collator.compare(entryTitle(a), entryTitle(b)) || collator.compare(a.instanceId, b.instanceId);
}

/** Groups without an account: after every account, SAML applications before IT's pins. */
const NO_ACCOUNT_ORDER = ["~saml", "~pinned"];

function groupKey(entry: Entry, grouping: Grouping): string {
  if (grouping === "region") return entry.region;
  return entry.accountId ?? (viaSamlOnly(entry) ? "~saml" : "~pinned");
}

function groupTitle(entry: Entry, grouping: Grouping): string {
  if (grouping === "region") {
    const name = regionName(entry.region);
    return name ? `${name} (${entry.region})` : entry.region;
  }
  return accountLabel(entry);
}

/**
 * Splits the entries that match `query` into sections: Favourites, Recent (the `RECENT_LIMIT` most
 * recently launched non-favourites), then one section per account or region. Empty sections are
 * left out; entries without an account come last when grouping by account: those that come
 * through a SAML application, then those pinned by IT.
 */
export function arrange(entries: Entry[], query: string, grouping: Grouping): Section[] {
  const found = entries.filter((e) => matches(e, query));
  const favourites = found.filter((e) => e.favourite).sort(byTitle);
  const recent = found
    .filter((e) => !e.favourite && e.lastLaunchedAt !== null)
    .sort((a, b) => (b.lastLaunchedAt ?? 0) - (a.lastLaunchedAt ?? 0) || byTitle(a, b))
    .slice(0, RECENT_LIMIT);
  const shown = new Set([...favourites, ...recent].map((e) => e.instanceId));

  const groups = new Map<string, { title: string; entries: Entry[] }>();
  for (const e of found) {
    if (shown.has(e.instanceId)) continue;
    const key = groupKey(e, grouping);
    const group = groups.get(key) ?? { title: groupTitle(e, grouping), entries: [] };
    group.entries.push(e);
    groups.set(key, group);
  }
  const grouped = [...groups.entries()]
    .sort(([ka, a], [kb, b]) => {
      const ra = NO_ACCOUNT_ORDER.indexOf(ka);
      const rb = NO_ACCOUNT_ORDER.indexOf(kb);
      if (ra !== rb) return ra - rb;
      return collator.compare(a.title, b.title);
    })
    .map(([key, g]): Section => ({
      id: `group-${grouping}-${key.replace(/^~/, "")}`,
      title: g.title,
      kind: "group",
      entries: g.entries.sort(byTitle),
    }));

  const sections: Section[] = [];
  if (favourites.length) sections.push({ id: "favourites", title: "Favourites", kind: "favourites", entries: favourites });
  if (recent.length) sections.push({ id: "recent", title: "Recent", kind: "recent", entries: recent });
  return [...sections, ...grouped];
}

/** The entries in the order the view shows them: what ↑ and ↓ walk through. */
export function flatten(sections: Section[]): Entry[] {
  return sections.flatMap((s) => s.entries);
}

/** A human label for the ways an entry can be opened. */
export function methodLabel(method: Entry["methods"][number]): string {
  switch (method) {
    case "saml":
      return "SAML application";
    case "permission-set":
      return "Permission set";
    case "pinned":
      return "Pinned by IT";
  }
}
