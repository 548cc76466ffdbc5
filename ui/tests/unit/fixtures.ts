// Small builders for the contract's types, so each test states only what it is about.
import type { Clock, Entry } from "../../src/lib/contract";

export function entry(over: Partial<Entry> & { instanceId: string }): Entry {
  return {
    name: over.alias ?? over.instanceId,
    alias: null,
    region: "eu-west-2",
    accountId: "111122223333",
    accountName: "Prod",
    methods: ["saml"],
    defaultDestination: null,
    favourite: false,
    lastLaunchedAt: null,
    ...over,
  };
}

export function clock(over: Partial<Clock> & { endsAt: number }): Clock {
  return {
    kind: "connect-session",
    label: "Sales",
    estimated: false,
    renewsItself: false,
    instanceId: "i-sales",
    ...over,
  };
}
