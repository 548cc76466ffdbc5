// The window's first paint. The shell starts the window hidden and shows it when the UI says its
// first real view has painted, so a person never sees a blank or half-built window, and the
// desktop benchmark (`cargo xtask bench`) reads the same moment as "first painted catalog".
// Which views count and how "painted" is detected are here; the wiring is in Root.svelte.

import type { View } from "./app.svelte";

/**
 * Whether the window shows what it is for: the sign-in form, a notice saying why it could not
 * start, or (signed in) a view with its data; the catalog only once the catalog has arrived.
 */
export function firstViewReady(view: View, hasCatalog: boolean, hasNotice: boolean): boolean {
  if (hasNotice) return true;
  switch (view) {
    case "loading":
      return false;
    case "catalog":
      return hasCatalog;
    default:
      return true;
  }
}

export interface PaintDeps {
  requestAnimationFrame: (fn: () => void) => unknown;
  isVisible: () => boolean;
  setTimeout: (fn: () => void, ms: number) => unknown;
}

/**
 * Resolves once what is in the DOM now has been painted: two animation frames (the first runs
 * before the paint, the second after it). A hidden page gets no animation frames, so there it
 * resolves on the next task instead: the shell shows the window, which then paints at once.
 */
export function afterPaint(deps: PaintDeps): Promise<void> {
  return new Promise((resolve) => {
    if (!deps.isVisible()) {
      deps.setTimeout(resolve, 0);
      return;
    }
    deps.requestAnimationFrame(() => deps.requestAnimationFrame(() => resolve()));
  });
}

export function browserPaintDeps(): PaintDeps {
  return {
    requestAnimationFrame: (fn) => window.requestAnimationFrame(fn),
    isVisible: () => document.visibilityState === "visible",
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  };
}
