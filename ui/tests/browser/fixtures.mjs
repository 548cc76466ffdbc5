// The organisation the browser tests show: instances in three accounts and four regions (one
// pinned by IT, one known only through its SAML application), a signed-in session, clocks and preferences, all relative to a fixed time T.

export const T = Date.UTC(2026, 10, 30, 9, 30, 0) / 1000; // Mon 30 Nov 2026, 09:30 UTC
const H = 3600;
const M = 60;

export const ID = {
  salesEu: "a1b2c3d4-0001-4c1a-9e10-5a1e5e000001",
  supportEu: "a1b2c3d4-0002-4c1a-9e10-5a1e5e000002",
  backoffice: "a1b2c3d4-0003-4c1a-9e10-5a1e5e000003",
  salesUs: "b7c8d9e0-0004-4d2b-8f21-6b2f6f000004",
  supportUs: "b7c8d9e0-0005-4d2b-8f21-6b2f6f000005",
  training: "c3d4e5f6-0006-4e3c-9a32-7c3a7a000006",
  escalations: "d9e0f1a2-0007-4f4d-8b43-8d4b8b000007",
  claims: "e5f6a7b8-0008-4a5e-9c54-9e5c9c000008",
};

export function entries() {
  const prod = { accountId: "111122223333", accountName: "Contact Centre Prod" };
  const us = { accountId: "444455556666", accountName: "Contact Centre US" };
  const sandbox = { accountId: "777788889999", accountName: "Sandbox" };
  const base = { alias: null, methods: ["saml"], defaultDestination: "ccp", favourite: false, lastLaunchedAt: null };
  return [
    { ...base, ...prod, instanceId: ID.salesEu, alias: "Sales EU", region: "eu-west-2", favourite: true, lastLaunchedAt: T - 2 * H },
    { ...base, ...prod, instanceId: ID.supportEu, alias: "Support EU", region: "eu-west-2", methods: ["permission-set"], lastLaunchedAt: T - 26 * H },
    { ...base, ...prod, instanceId: ID.backoffice, alias: "Back office", region: "ap-southeast-2", methods: ["saml", "permission-set"], defaultDestination: "admin" },
    { ...base, ...us, instanceId: ID.salesUs, alias: "Sales US", region: "us-east-1" },
    { ...base, ...us, instanceId: ID.supportUs, alias: "Support US", region: "us-east-1", methods: ["permission-set"], defaultDestination: "agent-workspace" },
    { ...base, ...sandbox, instanceId: ID.training, alias: "Training", region: "eu-west-1", methods: ["permission-set"], defaultDestination: "ccp-chat" },
    { ...base, accountId: null, accountName: null, instanceId: ID.escalations, alias: "Escalations", region: "eu-central-1", methods: ["pinned"] },
    // Known only through a SAML application: no alias, no account; the shell names it by the application.
    { ...base, accountId: null, accountName: null, instanceId: ID.claims, name: "Amazon Connect - Claims", region: "eu-west-2" },
  ].map((e) => ({ name: e.alias ?? e.instanceId, ...e }));
}

export function session() {
  return {
    user: "jane.doe@example.com",
    startUrl: "https://example.awsapps.com/start",
    region: "eu-west-2",
    signedInAt: T - 2 * H,
    accessExpiresAt: T + 42 * M,
    portalSessionEndsAt: T + 6 * H,
    portalSessionEstimated: true,
    refreshable: true,
  };
}

/** Clocks; `soon` puts Sales EU's Connect session 11 minutes from its end (inside the 15-minute lead). */
export function clocks({ soon = false } = {}) {
  return [
    { kind: "portal-session", label: "AWS sign-in", endsAt: T + 6 * H, estimated: true, renewsItself: false, instanceId: null },
    { kind: "access-token", label: "Access token", endsAt: T + 42 * M, estimated: false, renewsItself: true, instanceId: null },
    { kind: "connect-session", label: "Sales EU", endsAt: soon ? T + 11 * M : T + 10 * H, estimated: false, renewsItself: false, instanceId: ID.salesEu },
    { kind: "connect-session", label: "Support EU", endsAt: T + 9 * H + 35 * M, estimated: false, renewsItself: false, instanceId: ID.supportEu },
    { kind: "role-credentials", label: "Role credentials (Support EU)", endsAt: T + 48 * M, estimated: false, renewsItself: true, instanceId: ID.supportEu },
    { kind: "client-registration", label: "App registration", endsAt: T + 63 * 24 * H, estimated: false, renewsItself: true, instanceId: null },
  ];
}

/** A whole scenario for mock-backend.js; `opts` switch the variations the tests need. */
export function scenario(opts = {}) {
  const {
    signedIn = true,
    locked = true,
    useDeviceCode = false,
    soon = false,
    failures = {},
    warnings = [],
    catalogEntries = entries(),
  } = opts;
  return {
    appState: {
      now: T,
      version: "0.1.0",
      settings: {
        startUrl: "https://example.awsapps.com/start",
        region: "eu-west-2",
        startUrlLocked: locked,
        regionLocked: locked,
        useDeviceCode,
        leadMinutes: [15, 5],
      },
      session: signedIn ? session() : null,
    },
    signInResult: session(),
    deviceCode: { userCode: "WDJB-MJHT", verificationUri: "https://device.sso.eu-west-2.amazonaws.com/" },
    catalog: { entries: catalogEntries, fetchedAt: T - 4 * M, warnings, refreshing: false },
    clocks: clocks({ soon }),
    preferences: {
      startAtLogin: true,
      leadMinutes: [15, 5],
      perInstance: {
        [ID.salesEu]: { browser: 'chromium --profile-directory="Profile 2"', destination: null },
        [ID.supportEu]: { browser: null, destination: "agent-workspace" },
      },
    },
    failures,
  };
}
