import { createRequire } from 'node:module';

/**
 * The AWS SDK, loaded with require(). Both packages are CommonJS bundles; an ESM `import` of one
 * makes Node scan its whole source for export names first (cjs-module-lexer), which cost ~30 ms
 * of every start (measured: 75-79 ms import vs 47-50 ms require for these two). Types still come
 * from the packages themselves.
 */
const require = createRequire(import.meta.url);

export const sdk = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
export const { NodeHttpHandler } = require('@smithy/node-http-handler') as typeof import('@smithy/node-http-handler');

/**
 * The schema serde middleware of the @smithy/core that client-s3 itself loads (resolved from its
 * place, not ours: it is its dependency), bound again to the fast copy of the client config (see
 * fast-config.ts): it spreads that config twice per request.
 */
export const { getSchemaSerdePlugin } = createRequire(require.resolve('@aws-sdk/client-s3'))('@smithy/core/schema') as {
  getSchemaSerdePlugin: (
    config: object,
  ) => Parameters<import('@aws-sdk/client-s3').S3Client['middlewareStack']['use']>[0];
};
