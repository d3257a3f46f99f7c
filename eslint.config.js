// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

/** Workflow code is replayed deterministically: no Node built-ins, no I/O clients, no zod. */
const workflowBans = [
  ...builtinModules.flatMap((m) => [m, `node:${m}`]),
  'mongodb',
  'express',
  'zod',
  'pino',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

module.exports = tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'scripts/ferretdb/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: workflowBans.map((name) => ({ name, message: 'workflow code must stay deterministic: no Node built-ins or I/O here' })), patterns: ['**/activities/store*', '**/lib/*', '**/api/*'] }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
);
