// The IPC contract with src-tauri (ui/IPC.md, v1), as types. Nothing here runs: `ipc.ts` is the
// only module that talks to the shell, and it speaks in these types.

/** Epoch seconds, as every timestamp in the contract is. */
export type EpochSeconds = number;

/** The closed set of error codes the UI acts on. The message is for people, never for `if`. */
export const ERROR_CODES = [
  "not_signed_in",
  "sign_in_again",
  "keychain_unavailable",
  "network",
  "policy",
  "invalid_input",
  "not_found",
  "refused_url",
  "cancelled",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface IpcErrorBody {
  code: ErrorCode;
  message: string;
}

export interface Settings {
  startUrl: string;
  region: string;
  startUrlLocked: boolean;
  regionLocked: boolean;
  useDeviceCode: boolean;
  leadMinutes: number[];
}

export interface Session {
  user: string | null;
  startUrl: string;
  region: string;
  signedInAt: EpochSeconds;
  accessExpiresAt: EpochSeconds;
  portalSessionEndsAt: EpochSeconds;
  portalSessionEstimated: boolean;
  refreshable: boolean;
}

export interface AppState {
  version: string;
  /** The shell's clock when it answered; the window counts from it. */
  now: EpochSeconds;
  settings: Settings;
  session: Session | null;
}

export type Method = "saml" | "permission-set" | "pinned";

export interface Entry {
  instanceId: string;
  /** What to call it: the alias, else its SAML application's name, else the instance id. */
  name: string;
  alias: string | null;
  region: string;
  accountId: string | null;
  accountName: string | null;
  methods: Method[];
  defaultDestination: string | null;
  favourite: boolean;
  lastLaunchedAt: EpochSeconds | null;
}

export interface Catalog {
  entries: Entry[];
  fetchedAt: EpochSeconds | null;
  warnings: string[];
  refreshing: boolean;
}

/** `ccp` | `ccp-chat` | `agent-workspace` | `admin`, or a path on the instance. */
export type Destination = string;

export interface Launched {
  launchedAt: EpochSeconds;
}

export type ClockKind =
  | "portal-session"
  | "access-token"
  | "role-credentials"
  | "connect-session"
  | "client-registration";

export interface Clock {
  kind: ClockKind;
  label: string;
  endsAt: EpochSeconds;
  estimated: boolean;
  renewsItself: boolean;
  instanceId: string | null;
}

export interface InstancePreferences {
  browser: string | null;
  destination: Destination | null;
}

export interface Preferences {
  startAtLogin: boolean;
  leadMinutes: number[];
  perInstance: Record<string, InstancePreferences>;
}

export interface DeviceCode {
  userCode: string;
  verificationUri: string;
}

export interface CatalogProgress {
  done: number;
  total: number;
}

export interface ClockWarning {
  kind: ClockKind;
  instanceId: string | null;
  message: string;
  endsAt: EpochSeconds;
  leadMinutes: number;
}

export interface ClockExpired {
  kind: ClockKind;
  instanceId: string | null;
  message: string;
}

/** Every command: its arguments and what it resolves to. */
export interface Commands {
  app_state: { args: Record<string, never>; result: AppState };
  sign_in: { args: { startUrl: string; region: string; deviceCode: boolean }; result: Session };
  cancel_sign_in: { args: Record<string, never>; result: null };
  sign_out: { args: { everywhere: boolean }; result: null };
  catalog: { args: { refresh: boolean }; result: Catalog };
  launch: { args: { instanceId: string; destination: Destination }; result: Launched };
  relaunch: { args: { instanceId: string }; result: Launched };
  clocks: { args: Record<string, never>; result: Clock[] };
  set_favourite: { args: { instanceId: string; favourite: boolean }; result: null };
  preferences: { args: Record<string, never>; result: Preferences };
  set_preferences: { args: { preferences: Preferences }; result: null };
  window_ready: { args: Record<string, never>; result: null };
}

/** Every event: its name and payload. */
export interface Events {
  "signin://device-code": DeviceCode;
  "catalog://progress": CatalogProgress;
  "catalog://changed": Catalog;
  "clocks://warning": ClockWarning;
  "clocks://expired": ClockExpired;
  "session://changed": Session | null;
}
