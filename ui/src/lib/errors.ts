// What the UI does with each error code from the shell. Decided by `code` only: the message is shown
// as detail for people, never inspected.
import type { ErrorCode } from "./contract";

export interface Explanation {
  title: string;
  body: string;
  /** What the notice offers, or what the app does at once. */
  action: "sign-in" | "retry" | "refresh-catalog" | "none";
  /** Quiet codes are not shown at all (the person cancelled). */
  quiet: boolean;
  /** Steps that fix it, where the person can. */
  fix?: string[];
}

export function explain(code: ErrorCode): Explanation {
  switch (code) {
    case "not_signed_in":
      return { title: "Please sign in", body: "Sign in to see your Amazon Connect instances.", action: "sign-in", quiet: false };
    case "sign_in_again":
      return {
        title: "Your sign-in has ended",
        body: "Your AWS sign-in has ended or was revoked. Sign in again to continue.",
        action: "sign-in",
        quiet: false,
      };
    case "keychain_unavailable":
      return {
        title: "The system keychain can’t be reached",
        body: "Connect Launcher keeps your sign-in in the system keychain and couldn’t reach it. To fix it:",
        fix: [
          "Linux: make sure GNOME Keyring or KWallet is running and unlocked.",
          "Windows: make sure Credential Manager is available to your account.",
          "macOS: unlock your login keychain in Keychain Access.",
          "Then choose Try again. If it keeps happening, ask IT to run “connect-launcher doctor”.",
        ],
        action: "retry",
        quiet: false,
      };
    case "network":
      return {
        title: "Can’t reach AWS",
        body: "Check your network connection or VPN, then try again.",
        action: "retry",
        quiet: false,
      };
    case "policy":
      return {
        title: "Managed by your IT department",
        body: "This setting is locked or invalid in the policy your IT department set.",
        action: "none",
        quiet: false,
      };
    case "invalid_input":
      return { title: "Check what you entered", body: "Some of what you entered isn’t valid.", action: "none", quiet: false };
    case "not_found":
      return {
        title: "Instance not found",
        body: "That instance is no longer in your catalog. Refresh the catalog and try again.",
        action: "refresh-catalog",
        quiet: false,
      };
    case "refused_url":
      return {
        title: "Address refused",
        body: "The launcher only opens Amazon Connect and AWS sign-in addresses. Ask IT to check this instance’s settings.",
        action: "none",
        quiet: false,
      };
    case "cancelled":
      return { title: "Cancelled", body: "", action: "none", quiet: true };
    case "internal":
      return {
        title: "Something went wrong",
        body: "Try again. If it keeps happening, ask IT to run “connect-launcher doctor”.",
        action: "retry",
        quiet: false,
      };
  }
}
