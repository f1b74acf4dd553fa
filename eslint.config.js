import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local/', 'coverage/', 'test-results/', 'packages/*/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'only', message: 'No focused tests.' },
        { object: 'describe', property: 'only', message: 'No focused tests.' },
        { object: 'it', property: 'skip', message: 'No skipped tests.' },
        { object: 'describe', property: 'skip', message: 'No skipped tests.' },
        { object: 'test', property: 'only', message: 'No focused tests.' },
        { object: 'test', property: 'skip', message: 'No skipped tests.' },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    // One program from tsconfig.json for every file: here 72 to 76 s for `eslint .`, against 94 to 105 s
    // with projectService, and ESLint is the slowest of npm test's checks.
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // The domain depends only on its ports: infrastructure, Lambda and the outer layers stay outside.
    files: ['functions/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(@aws-sdk|@smithy|@aws-lambda-powertools|@middy)/',
              message: 'The domain imports no AWS SDK, Powertools or middy: take a port from ports.ts.',
            },
            {
              regex: '^(@types/)?aws-lambda$',
              message: 'The domain knows no Lambda event types: the entry points and app factories do.',
            },
            {
              regex: '^(node:)?fs(/|$)',
              message: 'The domain reads no files: an adapter does (see adapters/catalog-file.ts).',
            },
            {
              regex: '^((\\.\\./)+(functions/)?|#)(adapters|commons|http|functions)(/|$)',
              message: 'The domain imports no adapter, wiring or HTTP code: they import the domain.',
            },
            {
              regex: '^((\\.\\./)+|#)(local|lib|test-support|bench|cli)(/|$)',
              message:
                'The domain imports nothing from the local run, the stack, the CLI, the bench or the tests.',
            },
          ],
        },
      ],
    },
  },
);
