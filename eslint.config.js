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

/**
 * Mutable state at module level: a `let` or `var`, or a Map, Set, WeakMap or
 * WeakSet made when the module loads (frozen objects and arrays are fine: the
 * worker freezes what it preloads, but not a collection's entries).
 */
const collection = 'NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet)$/]';
const moduleStateMessage = 'modules preloaded into workflows hold no mutable state at module level: it would be shared by every run; make it inside a function, or a frozen array';
const moduleStateBans = [
  'Program > VariableDeclaration[kind=/^(let|var)$/]',
  'Program > ExportNamedDeclaration > VariableDeclaration[kind=/^(let|var)$/]',
  `Program > VariableDeclaration > VariableDeclarator > ${collection}`,
  `Program > ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > ${collection}`,
  `Program > VariableDeclaration > VariableDeclarator > CallExpression > ${collection}`,
  `Program > ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > CallExpression > ${collection}`,
].map((selector) => ({ selector, message: moduleStateMessage }));

/** The activities depend on the workflows' rules and types; the workflows reach them only through workflows/activity-contract.ts. */
const activityImports = {
  group: ['**/activities', '**/activities/**'],
  message: 'workflows must not import activities/ (an import circle): declare what a workflow calls in workflows/activity-contract.ts',
};

module.exports = tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'console/dist/', '.data/', 'coverage/', 'scripts/ferretdb/'] },
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
      // One entry for every ban: a second no-restricted-imports for these files would replace this one, not add to it.
      'no-restricted-imports': ['error', {
        paths: workflowBans.map((name) => ({ name, message: 'workflow code must stay deterministic: no Node built-ins or I/O here' })),
        patterns: [activityImports, { group: ['**/lib/*', '**/api/*'], message: 'workflow code must stay deterministic: lib/ and api/ hold process code (I/O, config)' }],
      }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
  {
    // workflows/domain is preloaded once per worker and shared by every cached workflow (workers/bundle.ts):
    // state at module level would leak from one run into another, and differ between a replay and the first run.
    files: ['workflows/domain/**/*.ts'],
    ignores: ['workflows/domain/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...moduleStateBans],
    },
  },
  {
    // Workflow tests may use Node and I/O, but importing activities/ would still close the circle.
    files: ['workflows/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [activityImports] }] },
  },
  {
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/scripts', '**/scripts/**'], message: 'scripts/ is the local stack and tooling: what the API needs belongs in the domain (workflows/domain/) or lib/' }] }],
    },
  },
);
