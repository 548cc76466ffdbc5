// The only module that talks to the Tauri shell: every `invoke` and `listen` in the UI goes through
// here, typed by the contract (contract.ts, ui/IPC.md). It promises that every failure reaches the
// caller as an `IpcError` with a `code` from the contract's closed set, so views decide what to do
// by code and never by message text. Tests replace the shell by installing
// `window.__TAURI_INTERNALS__` (Tauri's own mock approach) before the app starts.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import {
  ERROR_CODES,
  type AppState,
  type Catalog,
  type Clock,
  type Commands,
  type Destination,
  type ErrorCode,
  type Events,
  type Launched,
  type Preferences,
  type Session,
} from "./contract";

/** A failed command, as the shell reported it (or as `internal` when it said nothing usable). */
export class IpcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "IpcError";
    this.code = code;
  }
}

/** Turns whatever a rejected command carried into an `IpcError`. */
export function toIpcError(raw: unknown): IpcError {
  if (raw instanceof IpcError) return raw;
  if (typeof raw === "object" && raw !== null && "code" in raw) {
    const { code, message } = raw as { code: unknown; message?: unknown };
    const text = typeof message === "string" ? message : "";
    if (typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code)) {
      return new IpcError(code as ErrorCode, text);
    }
    return new IpcError("internal", text);
  }
  if (typeof raw === "string") return new IpcError("internal", raw);
  if (raw instanceof Error) return new IpcError("internal", raw.message);
  return new IpcError("internal", "");
}

async function call<C extends keyof Commands>(
  command: C,
  args: Commands[C]["args"],
): Promise<Commands[C]["result"]> {
  try {
    return (await invoke(command, args)) as Commands[C]["result"];
  } catch (raw) {
    throw toIpcError(raw);
  }
}

const none = {} as Record<string, never>;

export const appState = (): Promise<AppState> => call("app_state", none);

export const signIn = (startUrl: string, region: string, deviceCode: boolean): Promise<Session> =>
  call("sign_in", { startUrl, region, deviceCode });

export const cancelSignIn = (): Promise<null> => call("cancel_sign_in", none);

export const signOut = (everywhere: boolean): Promise<null> => call("sign_out", { everywhere });

export const catalog = (refresh: boolean): Promise<Catalog> => call("catalog", { refresh });

export const launch = (instanceId: string, destination: Destination): Promise<Launched> =>
  call("launch", { instanceId, destination });

export const relaunch = (instanceId: string): Promise<Launched> => call("relaunch", { instanceId });

export const clocks = (): Promise<Clock[]> => call("clocks", none);

export const setFavourite = (instanceId: string, favourite: boolean): Promise<null> =>
  call("set_favourite", { instanceId, favourite });

export const preferences = (): Promise<Preferences> => call("preferences", none);

export const setPreferences = (preferences: Preferences): Promise<null> =>
  call("set_preferences", { preferences });

/** Tells the shell the first view has painted (it shows the window then). */
export const windowReady = (): Promise<null> => call("window_ready", none);

/** Subscribes to one of the contract's events; resolves to the function that unsubscribes. */
export async function on<E extends keyof Events>(
  event: E,
  handler: (payload: Events[E]) => void,
): Promise<UnlistenFn> {
  return listen<Events[E]>(event, (e) => handler(e.payload));
}
