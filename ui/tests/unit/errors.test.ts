import { expect, test } from "vitest";
import { ERROR_CODES } from "../../src/lib/contract";
import { explain } from "../../src/lib/errors";

test("every code in the contract has an explanation", () => {
  for (const code of ERROR_CODES) {
    const ex = explain(code);
    expect(ex.quiet || ex.title.length > 0, code).toBe(true);
  }
});

test("sign-in codes send the person to the sign-in view", () => {
  expect(explain("sign_in_again").action).toBe("sign-in");
  expect(explain("not_signed_in").action).toBe("sign-in");
});

test("an unreachable keychain explains the fix and offers a retry", () => {
  const ex = explain("keychain_unavailable");
  expect(ex.action).toBe("retry");
  expect(ex.fix?.join(" ")).toMatch(/GNOME Keyring/);
  expect(ex.fix?.join(" ")).toMatch(/Credential Manager/);
  expect(ex.fix?.join(" ")).toMatch(/Keychain Access/);
});

test("cancelling is quiet; a vanished instance offers a catalog refresh", () => {
  expect(explain("cancelled").quiet).toBe(true);
  expect(explain("not_found").action).toBe("refresh-catalog");
  expect(explain("network").action).toBe("retry");
  expect(explain("policy").action).toBe("none");
});
