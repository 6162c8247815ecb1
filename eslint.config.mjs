// Type-aware lint for the whole project, plus the determinism and layering rules docs/architecture.md relies on.
import { builtinModules } from "node:module";
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const storageSdks = ["@azure/data-tables", "@azure/storage-queue", "@azure/storage-blob"];
const ioLayers = ["**/src/store", "**/src/store/**", "**/src/integrations", "**/src/integrations/**"];
const devhost = ["devhost", "devhost/**", "**/devhost", "**/devhost/**"];

/** Imports that would give code I/O: banned where code must stay pure or replayable. */
const noIo = (what) => ({
  paths: [...nodeBuiltins, ...storageSdks].map((name) => ({ name, message: `${what} must not do I/O.` })),
  patterns: [
    { group: [...ioLayers, ...devhost], message: `${what} must not reach storage or integrations.` },
  ],
});

export default tseslint.config(
  { ignores: ["dist/**", "**/dist/**", "node_modules/**", "coverage/**", ".data/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.mjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Production code never depends on the local host: it runs on Azure Functions.
    files: ["functions/**/*.ts", "src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: devhost, message: "Only tests use the local host." }] },
      ],
    },
  },
  {
    // Domain rules are pure: same input, same answer, no I/O.
    files: ["src/domain/**/*.ts"],
    rules: { "no-restricted-imports": ["error", noIo("Domain code")] },
  },
  {
    // Orchestrators are replayed: they decide from their history alone (time and IDs come from context.df).
    files: ["functions/orchestrators/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", noIo("An orchestrator")],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "Use context.df.currentUtcDateTime." },
        { object: "Math", property: "random", message: "Orchestrators must be deterministic." },
        { object: "crypto", property: "randomUUID", message: "Use context.df.newGuid." },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "Use context.df.currentUtcDateTime.",
        },
        { selector: "CallExpression[callee.name='randomUUID']", message: "Use context.df.newGuid." },
      ],
      "no-restricted-globals": [
        "error",
        { name: "setTimeout", message: "Use context.df.createTimer." },
        { name: "setInterval", message: "Use context.df.createTimer." },
        { name: "fetch", message: "Orchestrators must not do I/O; call an activity." },
        { name: "process", message: "Orchestrators read configuration from their input." },
      ],
    },
  },
  {
    files: ["**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Fixture apps are plain CommonJS JavaScript, as many Functions apps are: no type information.
    files: ["devhost/test/fixtures/**/*.js", "test/fixtures/**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: "commonjs",
      globals: globals.node,
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, "@typescript-eslint/no-require-imports": "off" },
  },
);
