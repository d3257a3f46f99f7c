/**
 * `npm run test:cluster`: the fault suites on a self-hosted Temporal cluster
 * (test/cluster/). Not part of `npm test`: each suite starts a cluster of its
 * own, and the first run builds the cluster binary (minutes).
 */
const transform = { '^.+\\.ts$': ['ts-jest', {}] };

module.exports = {
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'cluster',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
      globalSetup: '<rootDir>/test/cluster/global-setup.ts',
      globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
    },
  ],
};
