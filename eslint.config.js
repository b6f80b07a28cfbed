import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/*.gen.ts',
      'dist/**',
      'build/**',
      'node_modules/**',
      'bpf/**',
      'native/**',
      'bench/out/**',
      'deploy/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // process.exit belongs to bin/ entry points only (design §1)
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only bin/ may call process.exit' },
      ],
      // `import { z }` keeps all of zod in the chunk every command loads (291 -> 751 KB to parse);
      // `import * as z` lets the bundler keep only what is used (bench/README.md doctor-startup).
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z']",
          message: "use import * as z from 'zod'",
        },
      ],
    },
  },
  { files: ['bin/**', 'test/**', 'bench/**', 'scripts/**'], rules: { 'no-restricted-properties': 'off' } },
);
