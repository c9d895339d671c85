/** Unit tests sit beside the code (*.spec.ts); end-to-end and fault suites live in test/ (*.e2e-spec.ts). */
const moduleNameMapper = {
  '^@bulk-export/(.*)$': '<rootDir>/libs/$1/src',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};

module.exports = {
  testTimeout: 240_000,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
      testEnvironment: 'node',
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/cleanup.ts'],
      testEnvironment: 'node',
      // In-process tests of use cases load the services' code, and with it this ES module.
      moduleNameMapper: {
        '^@platformatic/kafka$': '<rootDir>/test/support/platformatic-kafka.js',
        ...moduleNameMapper,
      },
      transform,
    },
  ],
};
