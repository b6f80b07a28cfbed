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
    },
  },
  { files: ['bin/**', 'test/**', 'bench/**', 'scripts/**'], rules: { 'no-restricted-properties': 'off' } },
);
