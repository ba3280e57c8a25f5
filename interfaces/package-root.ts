/**
 * The root folder of the parley package, found through its self-reference (its "exports" list
 * ./package.json): the same from any of its modules, compiled or bundled, and in a project
 * that depends on parley, parley's folder rather than that project's.
 */
export const PACKAGE_ROOT = new URL('./', import.meta.resolve('parley/package.json'));
