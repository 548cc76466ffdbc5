import { describe, expect, test } from "vitest";
import { accountLabel, arrange, entryTitle, flatten, matches, RECENT_LIMIT } from "../../src/lib/catalog";
import { entry } from "./fixtures";

const sales = entry({ instanceId: "aaaa-1111", alias: "Sales EU", region: "eu-west-2", favourite: true });
const support = entry({ instanceId: "bbbb-2222", alias: "Support EU", lastLaunchedAt: 1_000 });
const backoffice = entry({ instanceId: "cccc-3333", alias: "Back office", region: "ap-southeast-2" });
const us = entry({ instanceId: "dddd-4444", alias: "Sales US", region: "us-east-1", accountId: "444455556666", accountName: "US" });
const pinned = entry({ instanceId: "eeee-5555", alias: null, region: "eu-central-1", accountId: null, accountName: null, methods: ["pinned"] });
const viaSaml = entry({ instanceId: "ffff-6666", name: "Amazon Connect - Claims", accountId: null, accountName: null, methods: ["saml"] });
const all = [us, pinned, viaSaml, backoffice, support, sales];

describe("matches", () => {
  test("an empty query matches everything", () => {
    expect(all.every((e) => matches(e, "  "))).toBe(true);
  });
  test("alias, instance id, account id, account name, region code and region name, case-insensitively", () => {
    expect(matches(sales, "sales")).toBe(true);
    expect(matches(sales, "AAAA-11")).toBe(true);
    expect(matches(us, "444455")).toBe(true);
    expect(matches(us, "us")).toBe(true);
    expect(matches(backoffice, "ap-southeast")).toBe(true);
    expect(matches(backoffice, "sydney")).toBe(true);
    expect(matches(backoffice, "london")).toBe(false);
  });
  test("the name the shell gives, so a SAML application's name finds its instance", () => {
    expect(matches(viaSaml, "claims")).toBe(true);
    expect(matches(viaSaml, "ffff-66")).toBe(true);
  });
  test("every word must match somewhere", () => {
    expect(matches(sales, "london sales")).toBe(true);
    expect(matches(us, "london sales")).toBe(false);
  });
});

describe("arrange", () => {
  test("favourites, then recent, then accounts alphabetically, then SAML applications, with the pinned last", () => {
    const sections = arrange(all, "", "account");
    expect(sections.map((s) => [s.title, s.entries.map(entryTitle)])).toEqual([
      ["Favourites", ["Sales EU"]],
      ["Recent", ["Support EU"]],
      ["Prod (111122223333)", ["Back office"]],
      ["US (444455556666)", ["Sales US"]],
      ["SAML applications", ["Amazon Connect - Claims"]],
      ["Pinned by IT", ["eeee-5555"]],
    ]);
    expect(new Set(sections.map((s) => s.id)).size).toBe(sections.length);
  });

  test("an entry pinned by IT stays under Pinned by IT even when it also comes through a SAML application", () => {
    const both = entry({ instanceId: "p", accountId: null, accountName: null, methods: ["saml", "pinned"] });
    expect(arrange([both, viaSaml], "", "account").map((s) => s.title)).toEqual(["SAML applications", "Pinned by IT"]);
  });

  test("by region, titled with the region's name and code", () => {
    const sections = arrange(all, "", "region");
    expect(sections.slice(2).map((s) => s.title)).toEqual([
      "Asia Pacific (Sydney) (ap-southeast-2)",
      "Europe (Frankfurt) (eu-central-1)",
      "Europe (London) (eu-west-2)",
      "US East (N. Virginia) (us-east-1)",
    ]);
  });

  test("an unknown region is titled by its code", () => {
    const odd = entry({ instanceId: "x", region: "xx-new-1" });
    expect(arrange([odd], "", "region")[0]?.title).toBe("xx-new-1");
  });

  test("every entry appears once, and the flattened order is the display order", () => {
    const flat = flatten(arrange(all, "", "account"));
    expect(flat.map((e) => e.instanceId)).toEqual(["aaaa-1111", "bbbb-2222", "cccc-3333", "dddd-4444", "ffff-6666", "eeee-5555"]);
    expect(new Set(flat).size).toBe(all.length);
  });

  test("recent is the most recent first, favourites excluded, at most RECENT_LIMIT", () => {
    const many = Array.from({ length: RECENT_LIMIT + 2 }, (_, i) =>
      entry({ instanceId: `r${i}`, alias: `R${i}`, lastLaunchedAt: 100 + i }),
    );
    const fav = entry({ instanceId: "fav", alias: "Fav", favourite: true, lastLaunchedAt: 999 });
    const sections = arrange([...many, fav], "", "account");
    const recent = sections.find((s) => s.kind === "recent")!;
    expect(recent.entries.map((e) => e.instanceId)).toEqual(["r6", "r5", "r4", "r3", "r2"]);
    expect(sections.find((s) => s.kind === "group")!.entries.map((e) => e.instanceId)).toEqual(["r0", "r1"]);
  });

  test("the search applies to every section, and empty sections are left out", () => {
    const sections = arrange(all, "support", "account");
    expect(sections.map((s) => s.kind)).toEqual(["recent"]);
    expect(arrange(all, "no such thing", "region")).toEqual([]);
  });

  test("titles sort naturally and ties keep a fixed order", () => {
    const a = entry({ instanceId: "2", alias: "Site 10" });
    const b = entry({ instanceId: "1", alias: "Site 9" });
    const c = entry({ instanceId: "0", alias: "site 9" });
    expect(flatten(arrange([a, b, c], "", "account")).map((e) => e.instanceId)).toEqual(["0", "1", "2"]);
  });
});

test("accountLabel names the account as people know it", () => {
  expect(accountLabel(sales)).toBe("Prod (111122223333)");
  expect(accountLabel(entry({ instanceId: "x", accountName: null }))).toBe("111122223333");
  expect(accountLabel(pinned)).toBe("Pinned by IT");
  expect(accountLabel(viaSaml)).toBe("SAML applications");
});
