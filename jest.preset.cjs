// Shared Jest settings: ts-jest transpiles only (the `typecheck` task type-checks tests too).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testTimeout: 30000,
  // Redis servers, fake providers and worker processes must be closed by each suite.
  detectOpenHandles: false,
  forceExit: false,
};
