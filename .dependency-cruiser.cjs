/**
 * The architecture as rules (each rule's comment says why): `npm test` runs these before the test
 * runner, so a broken boundary fails in seconds, not in review.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be understood, tested or moved alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'plan-is-pure',
      severity: 'error',
      comment: 'Decisions are pure functions of their inputs: no file system, network, journal, S3, watcher or engine.',
      from: { path: '^src/plan/' },
      to: {
        path: [
          '^src/(store|s3|watch|sync|local|status)/',
          '^(node:)?(fs|fs/promises|child_process|net|http|https|dgram|worker_threads)$',
          '(^|/)node_modules/',
        ],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'plan-types-from-model',
      severity: 'error',
      comment: 'The planner knows the shared value types (src/model.ts), not the journal that stores them.',
      from: { path: '^src/plan/' },
      to: { path: '^src/(store|s3|watch|sync|local|status)/' },
    },
    {
      name: 'local-knows-no-sync',
      severity: 'error',
      comment:
        'Local-file I/O (reading, hashing, the byte budget) serves the engine; it never reaches back into it, the watcher, the journal or S3.',
      from: { path: '^src/local/' },
      to: { path: '^src/(sync|store|s3|status|watch)/' },
    },
    {
      name: 'sdk-only-in-s3',
      severity: 'error',
      comment: 'Only src/s3/ knows the AWS SDK: the rest talks to the Bucket interface (src/bucket.ts).',
      from: { path: '^src/', pathNot: '^src/s3/' },
      to: { path: '(^|/)node_modules/(@aws-sdk|@smithy)/' },
    },
    {
      name: 'chokidar-only-in-watch',
      severity: 'error',
      comment: 'Only src/watch/ knows which library produces file events.',
      from: { path: '^src/', pathNot: '^src/watch/' },
      to: { path: '(^|/)node_modules/(chokidar|@parcel/watcher)/' },
    },
    {
      name: 'sqlite-only-in-store',
      severity: 'error',
      comment: 'Only src/store/ speaks SQL.',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '(^|/)node_modules/better-sqlite3/' },
    },
    {
      name: 'watch-knows-no-journal',
      severity: 'error',
      comment:
        'src/watch/ turns the file system into paths (events in, path batches out); what becomes of them is for src/sync/ to decide.',
      from: { path: '^src/watch/' },
      to: { path: '^src/(store|sync|s3|status)/' },
    },
    {
      name: 'status-reads-the-journal',
      severity: 'error',
      comment:
        'status reads what the running process wrote to the journal (src/status/record.ts): it works without that process, so it never reaches into the engine, S3 or the watcher.',
      from: { path: '^src/status/' },
      to: { path: ['^src/(sync|s3|watch)/', '(^|/)node_modules/(@aws-sdk|@smithy|chokidar|@parcel/watcher)/'] },
    },
    {
      name: 'store-knows-no-network',
      severity: 'error',
      comment: 'The journal is local state: it never reaches S3 or the network.',
      from: { path: '^src/store/' },
      to: { path: ['^src/(s3|sync|watch)/', '(^|/)node_modules/(@aws-sdk|@smithy)/', '^(node:)?(net|http|https)$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    exclude: { path: '^dist/' },
  },
};
