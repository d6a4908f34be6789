import type { Rule } from "../src/engine/rule.js";
import { bindAllInterfaces } from "./bind-all-interfaces/index.js";
import { commandInjection } from "./command-injection/index.js";
import { pathTraversal } from "./path-traversal/index.js";
import { toolPoisoning } from "./tool-poisoning/index.js";

/** Every rule, sorted by id. A test checks that this list and the rule folders agree. */
export const RULES: readonly Rule[] = [bindAllInterfaces, commandInjection, pathTraversal, toolPoisoning];
