import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', 'demo/**', '*.vsix', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The core is editor-independent: it must never reach for the VS Code API
    // (test/unit/core/architecture.test.ts checks the same thing).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/core is pure: use a port and implement it in src/vscode.' }],
        patterns: [{ group: ['**/vscode/**', '../vscode/*'], message: 'src/core must not depend on src/vscode.' }],
      }],
    },
  },
  {
    // Only the transport adapter may speak raw WebSocket.
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/transport/wsTransport.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'vscode', message: 'src/core is pure: use a port and implement it in src/vscode.' },
          { name: 'ws', message: 'Only src/core/transport/wsTransport.ts imports ws.' },
        ],
        patterns: [{ group: ['**/vscode/**', '../vscode/*'], message: 'src/core must not depend on src/vscode.' }],
      }],
    },
  },
  {
    // The naive baseline extension of the latency benchmark: CommonJS, as such an extension is written.
    files: ['bench/naive-extension/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: Object.fromEntries(['require', 'module', 'WebSocket'].map((g) => [g, 'readonly'])),
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Build and host scripts are plain JavaScript: linted without type information.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: Object.fromEntries(
        ['process', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'URL', 'fetch', 'Buffer', 'performance'].map((g) => [g, 'readonly']),
      ),
    },
  },
);
