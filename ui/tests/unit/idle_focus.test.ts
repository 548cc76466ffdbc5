// No text field keeps the focus while the window has none (WebKitGTK renders continuously for a
// focused field), and the focus comes back where it was when the window gets it again.
import { expect, test } from "vitest";
import { IdleFocus, TEXT_FIELD, type Focusable } from "../../src/lib/idle_focus";

class Field implements Focusable {
  isConnected = true;
  constructor(
    private readonly page: Page,
    private readonly selector: string,
  ) {}
  focus() {
    this.page.active = this;
  }
  blur() {
    if (this.page.active === this) this.page.active = null;
  }
  matches(selector: string) {
    return selector === TEXT_FIELD && this.selector === "input";
  }
}

class Page {
  active: Focusable | null = null;
  windowFocused = false;
  focus = new IdleFocus({ hasFocus: () => this.windowFocused, active: () => this.active });
}

test("focus asked for while the window has none waits for the window", () => {
  const page = new Page();
  const search = new Field(page, "input");
  let selected = 0;
  page.focus.focus(search, () => selected++);
  expect(page.active).toBeNull();
  page.windowFocused = true;
  page.focus.windowFocused();
  expect(page.active).toBe(search);
  expect(selected).toBe(1);
  // Only once.
  page.focus.windowFocused();
  expect(selected).toBe(1);
});

test("a text field gives the focus up while the window is unfocused and gets it back", () => {
  const page = new Page();
  page.windowFocused = true;
  const search = new Field(page, "input");
  page.focus.focus(search);
  expect(page.active).toBe(search);
  page.windowFocused = false;
  page.focus.windowBlurred();
  expect(page.active).toBeNull();
  page.windowFocused = true;
  page.focus.windowFocused();
  expect(page.active).toBe(search);
});

test("a button keeps the focus, and focus moved meanwhile or a removed field is left alone", () => {
  const page = new Page();
  page.windowFocused = true;
  const button = new Field(page, "button");
  button.focus();
  page.focus.windowBlurred();
  expect(page.active).toBe(button);

  const search = new Field(page, "input");
  search.focus();
  page.focus.windowBlurred();
  button.focus();
  page.focus.windowFocused();
  expect(page.active).toBe(button);

  search.focus();
  page.focus.windowBlurred();
  search.isConnected = false;
  page.focus.windowFocused();
  expect(page.active).toBeNull();
});
