// Keyboard first, without keeping the window busy. The catalog puts the focus in its search box,
// but a focused text field makes WebKitGTK (the Linux window) render frames for as long as it holds
// the focus, hundreds of wake-ups a second, whatever the caret settings say. A launcher spends most
// of the day unfocused behind the contact-centre panel, so no text field keeps the focus while the
// window has none: it is parked when the window loses the focus and given back when the window
// gets it again; focus asked for while the window has none waits for it the same way.

/** What focus needs of an element (an HTMLElement in the window). */
export interface Focusable {
  focus(): void;
  blur(): void;
  readonly isConnected: boolean;
  matches(selector: string): boolean;
}

export interface FocusDeps {
  /** Whether the window has the OS focus (`document.hasFocus()`). */
  hasFocus(): boolean;
  /** The element with the focus, if any but the body (`document.activeElement`). */
  active(): Focusable | null;
}

/** The fields that hold a caret. */
export const TEXT_FIELD = "input, textarea, [contenteditable=''], [contenteditable='true']";

export class IdleFocus {
  private parked: { el: Focusable; then?: () => void } | null = null;

  constructor(private readonly deps: FocusDeps) {}

  /** Focuses `el` (then runs `then`, e.g. selecting its text) now, or when the window gets the focus. */
  focus(el: Focusable, then?: () => void): void {
    if (this.deps.hasFocus()) {
      this.parked = null;
      el.focus();
      then?.();
    } else {
      this.parked = { el, then };
    }
  }

  /** The window lost the OS focus: a text field with the focus gives it up until it returns. */
  windowBlurred(): void {
    const active = this.deps.active();
    if (active && active.matches(TEXT_FIELD)) {
      this.parked = { el: active };
      active.blur();
    }
  }

  /** The window has the OS focus again: the parked field gets it back, unless focus moved meanwhile. */
  windowFocused(): void {
    const parked = this.parked;
    this.parked = null;
    if (!parked || !parked.el.isConnected || this.deps.active() !== null) return;
    parked.el.focus();
    parked.then?.();
  }
}

/** The window's own focus deps. */
export function browserFocusDeps(): FocusDeps {
  return {
    hasFocus: () => document.hasFocus(),
    active: () => {
      const a = document.activeElement;
      return a instanceof HTMLElement && a !== document.body ? a : null;
    },
  };
}
