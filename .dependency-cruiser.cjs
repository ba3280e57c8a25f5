/** The layer rule of ARCHITECTURE.md, checked on every `npm test`. Paths are relative to where depcruise runs. */
const ROOT_FILES = '^(container|index|cli|client)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ imports only domain/: no node: modules, no npm packages',
      severity: 'error',
      from: { path: '^domain/' },
      to: { pathNot: '^domain/' },
    },
    {
      name: 'application-sees-only-domain',
      comment: 'application/ imports only application/ and domain/ (ports are interfaces; adapters are wired in container.ts)',
      severity: 'error',
      from: { path: '^application/' },
      to: { pathNot: '^(application|domain)/' },
    },
    {
      name: 'infrastructure-not-interfaces',
      comment: 'driven adapters never reach for driving adapters or the composition root',
      severity: 'error',
      from: { path: '^infrastructure/' },
      to: { path: ['^interfaces/', ROOT_FILES] },
    },
    {
      name: 'interfaces-not-infrastructure',
      comment: 'driving adapters talk to the application, never to a concrete driven adapter',
      severity: 'error',
      from: { path: '^interfaces/' },
      to: { path: ['^infrastructure/', ROOT_FILES] },
    },
    {
      name: 'client-entry-loads-no-server',
      comment:
        'parley/client (client.ts) is for programs that talk to a server: nothing it loads, however indirectly, may be the ' +
        'application, the domain, storage or the composition root, nor the npm packages they bring',
      severity: 'error',
      from: { path: '^client\\.ts$' },
      to: {
        reachable: true,
        path: ['^(application|domain|infrastructure)/', '^container\\.ts$', '(^|/)node_modules/(knex|better-sqlite3|pg|ioredis|inversify)/'],
      },
    },
    {
      name: 'web-sees-only-wire-types',
      comment: 'the browser code (web/, but its build config) imports web/ and the wire types, never server code',
      severity: 'error',
      from: { path: '^web/', pathNot: '^web/vite\\.config\\.ts$' },
      to: { pathNot: ['^web/', '^interfaces/wire/operations\\.ts$'] },
    },
    {
      name: 'web-imports-wire-types-as-types',
      comment: 'the wire types reach the browser as types only (erased by the build): nothing of interfaces/ is bundled',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^interfaces/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-dev-dependencies-outside-tests',
      comment: 'what ships may not need a devDependency',
      severity: 'error',
      from: { pathNot: ['^(test|bench)/', '^web/vite\\.config\\.ts$'] },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
