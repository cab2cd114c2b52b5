// Jest runs the ESM-only Nest 12 packages in ESM mode (NODE_OPTIONS=--experimental-vm-modules, set by the
// npm scripts), with @swc/jest compiling TypeScript with legacy decorators and decorator metadata.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'es6' },
  },
];

// Jest (before Node 24.9) cannot require() an ESM-only package from a CommonJS one, as Node 20.19+ itself
// can: @fastify/static (API docs) requires content-disposition, light-my-request (inject) requires cookie. Such
// packages are compiled by @swc/jest, which emits CommonJS when Jest asks for it.
const ESM_ONLY_REQUIRED_FROM_CJS = ['content-disposition', 'cookie'];
// CommonJS Nest add-ons that require() @nestjs/common or @nestjs/core: see test/support/esm-bridge-transform.cjs.
const CJS_REQUIRING_NEST = ['@nestjs/throttler'];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': swc,
    [`/node_modules/(${ESM_ONLY_REQUIRED_FROM_CJS.join('|')})/.+\\.js$`]: ['@swc/jest', {}],
    [`/node_modules/(${CJS_REQUIRING_NEST.join('|')})/.+\\.js$`]:
      '<rootDir>/test/support/esm-bridge-transform.cjs',
  },
  transformIgnorePatterns: [
    `/node_modules/(?!(${[...ESM_ONLY_REQUIRED_FROM_CJS, ...CJS_REQUIRING_NEST].join('|')})/)`,
  ],
  // Sources import each other with the `.js` extension that Node's ESM resolution needs after compilation.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  // A global option (a project's own testTimeout is ignored): the e2e hooks sign users in with argon2id, which
  // takes seconds when both Jest workers hash at once on a 2-core machine.
  testTimeout: 30000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      setupFiles: ['<rootDir>/test/support/esm-bridge.ts'],
      testMatch: [
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/test/unit/**/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
      setupFiles: ['<rootDir>/test/support/esm-bridge.ts', '<rootDir>/test/support/worker-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-guards.ts'],
    },
    {
      // Tests taken out of the test command while they are flaky (`npm run test:quarantine`): each goes back to
      // test/e2e once fixed and green ten runs in a row. See the README's Tests section.
      ...common,
      displayName: 'quarantine',
      testMatch: ['<rootDir>/test/quarantine/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
      setupFiles: ['<rootDir>/test/support/esm-bridge.ts', '<rootDir>/test/support/worker-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-guards.ts'],
    },
    {
      // Real Chromium (Debian's, driven by playwright-core) against the compiled web app: `npm run test:browser`.
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
      setupFiles: ['<rootDir>/test/support/esm-bridge.ts', '<rootDir>/test/support/worker-env.ts'],
    },
  ],
};
