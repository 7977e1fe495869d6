// ESLint 9 flat config: the recommended rules of ESLint and typescript-eslint (syntax only, no
// type information, so it stays fast), relaxed only where the code base has a settled reason.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'reports/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      // For the few plain JavaScript files; TypeScript checks names in .ts files itself.
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly' },
    },
    rules: {
      // A leading underscore marks a value left unused on purpose (a key destructured away).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      // Control characters are matched on purpose: names and report text are cleaned of them.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read parsed JSON and JSON Schema documents loosely.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
