import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { startTicker, type TickerDeps } from "../../src/lib/ticker";

let visible = true;
let listeners: (() => void)[] = [];

function deps(): TickerDeps {
  return {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    isVisible: () => visible,
    onVisibilityChange: (fn) => {
      listeners.push(fn);
      return () => (listeners = listeners.filter((l) => l !== fn));
    },
  };
}

function setVisible(v: boolean) {
  visible = v;
  for (const l of listeners) l();
}

beforeEach(() => {
  vi.useFakeTimers();
  visible = true;
  listeners = [];
});
afterEach(() => vi.useRealTimers());

test("ticks at once, then after the delay the tick asks for", () => {
  const onTick = vi.fn(() => 5000);
  const stop = startTicker(deps(), onTick);
  expect(onTick).toHaveBeenCalledTimes(1);
  vi.advanceTimersByTime(4999);
  expect(onTick).toHaveBeenCalledTimes(1);
  vi.advanceTimersByTime(1);
  expect(onTick).toHaveBeenCalledTimes(2);
  stop();
});

test("never more than once a second, whatever the tick asks for", () => {
  const onTick = vi.fn(() => 10);
  const stop = startTicker(deps(), onTick);
  vi.advanceTimersByTime(10_000);
  expect(onTick).toHaveBeenCalledTimes(11);
  stop();
});

test("stops while hidden and ticks at once when visible again", () => {
  const onTick = vi.fn(() => 1000);
  const stop = startTicker(deps(), onTick);
  setVisible(false);
  vi.advanceTimersByTime(60_000);
  expect(onTick).toHaveBeenCalledTimes(1);
  setVisible(true);
  expect(onTick).toHaveBeenCalledTimes(2);
  vi.advanceTimersByTime(1000);
  expect(onTick).toHaveBeenCalledTimes(3);
  stop();
});

test("a visibility event while visible does not double the ticking", () => {
  const onTick = vi.fn(() => 1000);
  const stop = startTicker(deps(), onTick);
  setVisible(true);
  setVisible(true);
  vi.advanceTimersByTime(3000);
  expect(onTick).toHaveBeenCalledTimes(6); // 1 at start + 2 on the events + 3 a second
  stop();
});

test("stop ends the ticking and unsubscribes", () => {
  const onTick = vi.fn(() => 1000);
  const stop = startTicker(deps(), onTick);
  stop();
  vi.advanceTimersByTime(10_000);
  setVisible(true);
  expect(onTick).toHaveBeenCalledTimes(1);
  expect(listeners).toEqual([]);
});
