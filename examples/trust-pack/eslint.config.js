// Lint configuration of the trust-pack example only: it lints the project's
// sources to produce real SARIF evidence. It is not part of the project's
// build (tsc is), so nothing here can fail `pnpm build`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**'] },
  {
    files: ['packages/*/src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      // The CLI and library deliberately use control characters in a few regexps (input validation).
      'no-control-regex': 'off',
    },
  },
);
