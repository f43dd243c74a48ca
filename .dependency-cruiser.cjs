// The import rules of src/, checked by `npm run lint:deps` (dependency-cruiser).
// Paths are relative to the repository root, as dependency-cruiser resolves them.

/**
 * The layers of src/, lowest first. A file may import its own layer, any lower layer and the
 * domain files, never a higher layer. '.' stands for the root files src/*.ts.
 * Folders of one layer may import each other; no-circular keeps that from going both ways.
 * A spec (*.spec.ts) sits in its file's folder and keeps its layer; only specs may import test/
 * and devDependencies.
 */
const LAYERS = [
  ['common'],
  ['config'],
  ['database', 'secrets', 'metrics', 'auth-cache', 'logging'],
  ['audit', 'mail', 'passwords', 'rate-limit', 'sessions'],
  ['users'],
  ['mfa', 'passkeys'],
  ['account-export'],
  ['auth'],
  ['admin', 'health', 'retention'],
  ['.'],
];

// Pure words and types (roles, sessions, audit event types): importable from every layer, so the
// Drizzle schema can take its enums from the features that own them.
const DOMAIN_FILES = ['src/users/user.ts', 'src/sessions/session.ts', 'src/audit/audit-event.ts'];

const SPEC = '\\.spec\\.ts$';
const DATABASE_DRIVERS = '(^|/)node_modules/(drizzle-orm|pg|@types/pg|@electric-sql/pglite)/';

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const folderPath = (folder) => (folder === '.' ? '^src/[^/]+\\.ts$' : `^src/${escape(folder)}/`);
const layerName = (folders) =>
  folders.map((folder) => (folder === '.' ? 'src/*.ts' : `${folder}/`)).join(', ');
const layerLabel = (index) => `L${index} (${layerName(LAYERS[index])})`;
const domainPaths = DOMAIN_FILES.map((file) => `^${escape(file)}$`);

const layerRules = LAYERS.slice(0, -1).map((folders, index) => {
  const higher = LAYERS.slice(index + 1);
  const higherLabels = higher.map((_, offset) => layerLabel(index + 1 + offset));
  return {
    name: `layer-L${index}-not-up`,
    severity: 'error',
    comment:
      `${layerLabel(index)} imports only its own layer, lower layers and the domain files, ` +
      `never a higher layer: ${higherLabels.join(', ')}.`,
    from: { path: folders.map(folderPath) },
    to: { path: higher.flat().map(folderPath), pathNot: domainPaths },
  };
});

const knownFolders = LAYERS.flat().filter((folder) => folder !== '.');
const outsideEveryLayer = `^src/(?!(${knownFolders.map(escape).join('|')})/)[^/]+/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-unknown-folder',
      severity: 'error',
      comment:
        'Every folder of src/ belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs ' +
        '(and to the README layout) before importing to or from it.',
      from: { path: '^src/' },
      to: { path: outsideEveryLayer },
    },
    {
      name: 'layer-unknown-folder-imports',
      severity: 'error',
      comment:
        'Every folder of src/ belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs.',
      from: { path: outsideEveryLayer },
      to: {},
    },
    {
      name: 'domain-files-stay-pure',
      severity: 'error',
      comment:
        'Domain files (user.ts, session.ts, audit-event.ts) hold words and types only: they import other ' +
        'domain files and nothing else (no npm package, no Node module, no other src/ file).',
      from: { path: domainPaths },
      to: { pathNot: domainPaths },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycles, type-only imports included: break the cycle by moving the shared piece down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'controllers-not-to-repositories',
      severity: 'error',
      comment: 'A controller speaks HTTP and calls services; only services use repositories.',
      from: { path: '\\.controller\\.ts$' },
      to: { path: '\\.repository\\.ts$' },
    },
    {
      name: 'drizzle-only-in-repositories',
      severity: 'error',
      comment:
        'Only repositories and src/database/ use drizzle-orm, pg or PGlite; services get data through a ' +
        'repository (a repository spec counts as its repository).',
      from: { path: '^src/', pathNot: ['\\.repository(\\.spec)?\\.ts$', '^src/database/'] },
      to: { path: DATABASE_DRIVERS },
    },
    {
      name: 'schema-only-in-repositories',
      severity: 'error',
      comment:
        'The Drizzle tables are read and written by repositories alone (and src/database/), so a service ' +
        'cannot query them without going through one.',
      from: { path: '^src/', pathNot: ['\\.repository(\\.spec)?\\.ts$', '^src/database/'] },
      to: { path: '^src/database/schema\\.ts$' },
    },
    {
      name: 'production-not-to-test',
      severity: 'error',
      comment: 'Production code (src/, not a spec) never imports from test/.',
      from: { path: '^src/', pathNot: SPEC },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-spec',
      severity: 'error',
      comment: 'Nothing imports a spec file; move what two specs share into a helper.',
      from: {},
      to: { path: SPEC },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'This import resolves to no file: a missing package or a wrong path.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment:
        'This package is not in package.json, so a clean install may lack it or bring another version ' +
        '(type-only imports of a dependency of a dependency, like fastify, are left to tsc).',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'Production code imports a devDependency, which `npm ci --omit=dev` leaves out: move the package to ' +
        'dependencies (type-only imports are fine).',
      from: { path: '^src/', pathNot: SPEC },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only'],
        pathNot: 'node_modules/@types/',
      },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'Nothing imports this file: use it or delete it.',
      from: {
        orphan: true,
        pathNot: [SPEC, '^src/database/migrations/', '^src/main\\.ts$', '^src/cluster\\.ts$', '\\.d\\.ts$'],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: they count for layers and cycles.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
      mainFields: ['main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      archi: { collapsePattern: '^src/[^/]+|node_modules/(?:@[^/]+/[^/]+|[^/]+)' },
    },
  },
};
