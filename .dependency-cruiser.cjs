// The house's import rules, checked by `npm run check:imports` (part of `npm test`).
//
// Libs form layers and an import only ever points down: a lib may import libs of lower layers, through
// their front door (`src/index.ts`), and nothing else of the project. Apps, the migrations and scripts
// compose the libs and enter each by its front door too. Tests and benchmarks may open a lib's files
// (white-box tests of a rule or a hot path), but no lib imports them.
//
// What a lower lib needs from a higher one (the migrations, the job schedules, a hook into the patient
// record) is handed down by the app that composes them, or registered through an extension point.

/** Bottom first. A lib imports only libs of the layers before its own (never one of its own layer). */
const LAYERS = [
  ['crypto', 'time'], // no lib below them: sealing and digests; instants, London days, the injected Clock
  ['config'], // the validated configuration (and the process's Clock provided with it)
  ['database'], // DataSource, transactions with their audit context, PostgreSQL errors classified
  ['audit', 'observability'], // the audit trail; the HTTP shell, logs, metrics and health
  ['queue', 'messaging'], // BullMQ catalogue, outbox and schedules; reminder providers
  ['access'], // users, roles, sites, sign-in, tokens, the guard, site scope
  ['registry'], // the clinical core and its extension point
  ['followup'], // visits, appointments, reminders, worklist (hooks into the registry)
  ['exports'], // audit exports (reads registry and follow-up through their front doors)
];

const layerRules = LAYERS.flatMap((layer, rank) =>
  layer.map((lib) => {
    const notBelow = LAYERS.slice(rank)
      .flat()
      .filter((other) => other !== lib);
    return {
      name: 'layer-upward',
      comment: `libs/${lib} may import only libs of lower layers (${
        LAYERS.slice(0, rank).flat().join(', ') || 'none'
      }); see the layers in .dependency-cruiser.cjs and the README`,
      severity: 'error',
      from: { path: `^libs/${lib}/` },
      to: { path: `^libs/(${notBelow.join('|')})/` },
    };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules that import each other, directly or round a loop (type-only imports count too)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-back-door',
      comment: 'Another lib is entered through its front door only: libs/<lib>/src/index.ts',
      severity: 'error',
      from: { path: '^(libs/[^/]+|apps/[^/]+|migrations|scripts)/' },
      to: { path: '^libs/[^/]+/', pathNot: ['^$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'lib-imports-above',
      comment: 'A lib never imports an app, the migrations, a test or a benchmark: they are handed down',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(apps|migrations|test|bench|scripts)/' },
    },
    ...layerRules,
    {
      name: 'no-unresolvable',
      comment:
        'An import that resolves to nothing (the Jest global hooks import the build, dist/, which a fresh clone has not made yet)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^(\\.\\./)+dist/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The generated OpenAPI client is the generator's code, not ours (its own modules import each other); the
    // web application's browser script imports nhsuk-frontend by the name the asset build gives it.
    exclude: {
      path: '^(dist|node_modules|coverage)/|^test/e2e/generated-client/api/|^apps/web/assets/',
    },
    // Type-only imports are dependencies too: a type that crosses a layer ties the layers together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
