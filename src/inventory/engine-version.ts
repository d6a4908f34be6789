/**
 * What an organization scan's results depend on besides the files: the engine, the rules and their
 * data, and the parsers. It is the one version whole-tree scans key their result cache by, so a
 * build with any change to them rescans every repository (the engine pass) and reuses no result
 * of another build. Read from disk, never by loading the engine.
 */
export { engineVersion } from "../scan/engine-version.js";
