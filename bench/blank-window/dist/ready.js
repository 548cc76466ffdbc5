// The same signal as the app's window (ui/src/lib/first_paint.ts): once the page has painted (two
// animation frames; a hidden page gets none, so there on the next task), tell the shell, which
// shows the window and prints the line the benchmark waits for.
const ready = () => window.__TAURI_INTERNALS__.invoke("window_ready");
if (document.visibilityState === "visible") {
  requestAnimationFrame(() => requestAnimationFrame(ready));
} else {
  setTimeout(ready, 0);
}
