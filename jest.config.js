/**
 * Two projects: `unit` runs pure logic with no servers; `integration` starts one
 * Temporal dev server and one FerretDB for the whole run (globalSetup) and runs
 * every test that touches them against those real servers.
 */
const transform = { '^.+\\.ts$': ['ts-jest', {}] };

module.exports = {
  // Integration tests wait on real timers and servers; a project-level testTimeout is ignored by jest.
  testTimeout: 60_000,
  // Two files at a time even on two cores (jest's default there is one): most of an integration file's
  // time is spent waiting on deadlines and servers, so the run takes about half as long (745 s to 417 s).
  maxWorkers: 2,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/{lib,workflows,activities,api,workers,scripts}/**/*.test.ts', '<rootDir>/console/src/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
