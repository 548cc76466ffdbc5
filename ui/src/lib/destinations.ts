// Where in an instance a launch lands: the contract's named destinations, or a path on the
// instance. Promises: an entry's destination is, in order, the user's per-instance preference, the
// catalog's default for it, then the CCP.
import type { Destination, Entry, Preferences } from "./contract";

export interface DestinationOption {
  value: Destination;
  label: string;
}

export const DESTINATIONS: readonly DestinationOption[] = [
  { value: "ccp", label: "Contact Control Panel (CCP)" },
  { value: "ccp-chat", label: "CCP, chat" },
  { value: "agent-workspace", label: "Agent Workspace" },
  { value: "admin", label: "Admin website" },
];

export const DEFAULT_DESTINATION: Destination = "ccp";

export function destinationLabel(value: Destination): string {
  return DESTINATIONS.find((d) => d.value === value)?.label ?? `Path ${value}`;
}

/** The named destinations, plus `current` when it is a custom path. */
export function destinationOptions(current: Destination | null): DestinationOption[] {
  const options = [...DESTINATIONS];
  if (current && !options.some((d) => d.value === current)) {
    options.push({ value: current, label: destinationLabel(current) });
  }
  return options;
}

/** The destination an entry launches to until the person picks another. */
export function initialDestination(entry: Entry, prefs: Preferences | null): Destination {
  return prefs?.perInstance[entry.instanceId]?.destination ?? entry.defaultDestination ?? DEFAULT_DESTINATION;
}

/** Whether a destination typed in settings is acceptable: a named one, or an absolute path. */
export function isValidDestination(value: string): boolean {
  if (DESTINATIONS.some((d) => d.value === value)) return true;
  return /^\/[^\s/][^\s]*$/.test(value) || value === "/";
}
