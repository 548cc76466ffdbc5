import { expect, test } from "vitest";
import { afterPaint, firstViewReady, type PaintDeps } from "../../src/lib/first_paint";

test("the start-up heading is not a first view; the catalog counts once it has arrived", () => {
  expect(firstViewReady("loading", false, false)).toBe(false);
  expect(firstViewReady("catalog", false, false)).toBe(false);
  expect(firstViewReady("catalog", true, false)).toBe(true);
  expect(firstViewReady("signin", false, false)).toBe(true);
  expect(firstViewReady("clocks", false, false)).toBe(true);
  expect(firstViewReady("settings", false, false)).toBe(true);
});

test("a notice (the app could not start, the catalog failed) is a first view", () => {
  expect(firstViewReady("loading", false, true)).toBe(true);
  expect(firstViewReady("catalog", false, true)).toBe(true);
});

function fakeFrames(visible: boolean) {
  const frames: (() => void)[] = [];
  const tasks: (() => void)[] = [];
  const deps: PaintDeps = {
    requestAnimationFrame: (fn) => frames.push(fn),
    isVisible: () => visible,
    setTimeout: (fn) => tasks.push(fn),
  };
  return { deps, frames, tasks };
}

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

test("a visible page has painted after the second animation frame, not the first", async () => {
  const { deps, frames, tasks } = fakeFrames(true);
  const painted = afterPaint(deps);
  expect(await settled(painted)).toBe(false);
  frames.shift()!();
  expect(await settled(painted)).toBe(false);
  frames.shift()!();
  expect(await settled(painted)).toBe(true);
  expect(tasks).toEqual([]);
});

test("a hidden page, which gets no animation frames, resolves on the next task", async () => {
  const { deps, frames, tasks } = fakeFrames(false);
  const painted = afterPaint(deps);
  expect(await settled(painted)).toBe(false);
  expect(frames).toEqual([]);
  tasks.shift()!();
  expect(await settled(painted)).toBe(true);
});
