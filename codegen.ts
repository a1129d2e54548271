import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * `npm run codegen`: the typed SDK (TypedDocumentNode documents and their
 * result/variable types) from the operations in sdk/operations against the
 * committed schema.graphql. The CLI and the tests use it.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['sdk/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'sdk/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string' },
        strictScalars: true,
        skipTypename: true,
      },
    },
  },
};

export default config;
