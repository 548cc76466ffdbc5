// A stand-in for the Tauri shell, installed in the page before the app starts (page.addInitScript),
// the way @tauri-apps/api/mocks does it: it defines window.__TAURI_INTERNALS__ (invoke,
// transformCallback, ...) and window.__TAURI_EVENT_PLUGIN_INTERNALS__, and answers the IPC contract
// (ui/IPC.md) from a scenario. Tests read and steer it through window.__mock:
// calls (every command with its args), emit(event, payload), finishSignIn(), state, cspViolations.
// Runs in the page, so it is plain browser JavaScript and takes its data as the one argument.

/* eslint-disable */
function installMockBackend(scenario) {
  const state = JSON.parse(JSON.stringify(scenario));
  const calls = [];
  const callbacks = new Map();
  const listeners = new Map();
  const cspViolations = [];
  let nextCallback = 1;
  let pendingSignIn = null;

  const now = () => Math.floor(Date.now() / 1000);
  const later = (fn) => Promise.resolve().then(fn);
  const fail = (code, message) => Promise.reject({ code, message });

  function emit(event, payload) {
    for (const id of [...(listeners.get(event) || [])]) {
      const cb = callbacks.get(id);
      if (cb) cb({ event, id, payload });
    }
  }

  function entry(instanceId) {
    return state.catalog.entries.find((e) => e.instanceId === instanceId);
  }

  async function invoke(cmd, args) {
    if (cmd === "plugin:event|listen") {
      if (!listeners.has(args.event)) listeners.set(args.event, []);
      listeners.get(args.event).push(args.handler);
      return args.handler;
    }
    if (cmd === "plugin:event|unlisten") {
      const list = listeners.get(args.event) || [];
      const at = list.indexOf(args.eventId);
      if (at >= 0) list.splice(at, 1);
      return null;
    }
    calls.push({ cmd, args: JSON.parse(JSON.stringify(args ?? {})) });
    const failure = state.failures && state.failures[cmd];
    if (failure) {
      if (failure.times !== undefined && --failure.times <= 0) delete state.failures[cmd];
      return fail(failure.code, failure.message);
    }
    switch (cmd) {
      case "app_state":
        return state.appState;
      case "sign_in":
        if (args.deviceCode) later(() => emit("signin://device-code", state.deviceCode));
        return new Promise((resolve, reject) => {
          pendingSignIn = { resolve, reject };
        });
      case "cancel_sign_in":
        if (pendingSignIn) pendingSignIn.reject({ code: "cancelled", message: "sign-in cancelled" });
        pendingSignIn = null;
        return null;
      case "sign_out":
        state.appState.session = null;
        later(() => emit("session://changed", null));
        return null;
      case "catalog":
        // Like the shell: the cached catalog at once, the refresh reported by events
        // (progress here; the test sends catalog://changed when it wants the refresh to end).
        if (args.refresh) {
          setTimeout(() => emit("catalog://progress", { done: 1, total: 3 }), 0);
          return { ...state.catalog, refreshing: true };
        }
        return state.catalog;
      case "launch": {
        const e = entry(args.instanceId);
        if (!e) return fail("not_found", `no instance ${args.instanceId}`);
        e.lastLaunchedAt = now();
        return { launchedAt: now() };
      }
      case "relaunch": {
        const e = entry(args.instanceId);
        if (!e) return fail("not_found", `no instance ${args.instanceId}`);
        for (const c of state.clocks) {
          if (c.kind === "connect-session" && c.instanceId === args.instanceId) c.endsAt = now() + 12 * 3600;
        }
        e.lastLaunchedAt = now();
        return { launchedAt: now() };
      }
      case "clocks":
        return [...state.clocks].sort((a, b) => a.endsAt - b.endsAt);
      case "set_favourite": {
        const e = entry(args.instanceId);
        if (!e) return fail("not_found", `no instance ${args.instanceId}`);
        e.favourite = args.favourite;
        return null;
      }
      case "preferences":
        return state.preferences;
      case "set_preferences":
        state.preferences = args.preferences;
        state.appState.settings.leadMinutes = args.preferences.leadMinutes;
        return null;
      case "window_ready":
        return null;
      default:
        return fail("internal", `the mock has no command ${cmd}`);
    }
  }

  window.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback(callback, once) {
      const id = nextCallback++;
      callbacks.set(id, (data) => {
        if (once) callbacks.delete(id);
        return callback && callback(data);
      });
      return id;
    },
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    runCallback(id, data) {
      const cb = callbacks.get(id);
      if (cb) cb(data);
    },
    callbacks,
    convertFileSrc(path, protocol = "asset") {
      return `${protocol}://localhost/${encodeURIComponent(path)}`;
    },
    metadata: {
      currentWindow: { label: "main" },
      currentWebview: { windowLabel: "main", label: "main" },
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = {
    unregisterListener(_event, id) {
      callbacks.delete(id);
    },
  };
  document.addEventListener("securitypolicyviolation", (e) => {
    cspViolations.push(`${e.violatedDirective} ${e.blockedURI || "inline"}`);
  });
  // tauri.conf.json sets freezePrototype: the app must run with a frozen Object.prototype.
  Object.freeze(Object.prototype);
  window.__mock = {
    calls,
    state,
    emit,
    cspViolations,
    finishSignIn() {
      const session = state.signInResult;
      state.appState.session = session;
      if (pendingSignIn) pendingSignIn.resolve(session);
      pendingSignIn = null;
    },
  };
}
