// Drives the countdowns: calls `onTick` when the display next changes (never more than once a
// second), and only while the window is visible; when it becomes visible again it ticks at once.
// Time, timers and visibility come in as arguments, so tests run it on fake ones.

export interface TickerDeps {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  isVisible: () => boolean;
  /** Subscribes to visibility changes; returns the unsubscribe function. */
  onVisibilityChange: (fn: () => void) => () => void;
}

/**
 * Starts ticking. `onTick` returns how long until the next change (ms, already clamped by the
 * caller, see `msUntilNextChange`). Returns the function that stops the ticker.
 */
export function startTicker(deps: TickerDeps, onTick: () => number): () => void {
  let handle: unknown = null;
  let stopped = false;
  const cancel = () => {
    if (handle !== null) deps.clearTimeout(handle);
    handle = null;
  };
  const tick = () => {
    handle = null;
    if (stopped || !deps.isVisible()) return;
    const delay = onTick();
    handle = deps.setTimeout(tick, Math.max(1000, delay));
  };
  const unsubscribe = deps.onVisibilityChange(() => {
    cancel();
    if (deps.isVisible()) tick();
  });
  tick();
  return () => {
    stopped = true;
    cancel();
    unsubscribe();
  };
}

/** The real timers and document visibility. */
export function browserTickerDeps(): TickerDeps {
  return {
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (h) => window.clearTimeout(h as number),
    isVisible: () => document.visibilityState === "visible",
    onVisibilityChange: (fn) => {
      document.addEventListener("visibilitychange", fn);
      return () => document.removeEventListener("visibilitychange", fn);
    },
  };
}
