// `pnpm test:scale-out`: the whole stack on a Redis Cluster and a sentinel group, with failover drills.
module.exports = { ...require('../jest.preset.cjs'), testMatch: ['<rootDir>/scale-out/**/*.test.ts'], testTimeout: 240000 };
