import { Node, type Identifier } from "ts-morph";
import { exportedDeclaration, linkedModule } from "../imports.js";
import { constantString, constInitializer, declarationOf, propertyValue, resolveConst, unwrap } from "../values.js";

const MAX_STEPS = 8;

/**
 * An expression followed to what it stands for, across the files of the analysis: a constant's
 * initializer in this file or in the file it is imported from (`import { argSchema as schema }
 * from "./tools/exec.js"`), and the shape of an object schema named by `.shape` (`z.object({...})`,
 * `Base.extend({...})`). Tools are often
 * registered in one file with schemas written in another; without this their schemas could not be
 * read. What cannot be followed (a package, a file outside the analysis) is returned as it is.
 */
export function followAcross(expr: Node, steps = 0): Node {
  const node = unwrap(expr);
  if (steps > MAX_STEPS) return node;
  if (Node.isIdentifier(node)) {
    const local = resolveConst(node);
    if (local) return followAcross(local, steps + 1);
    const decl = importedDeclaration(node);
    const init = decl ? constInitializer(decl) : undefined;
    return init ? followAcross(init, steps + 1) : node;
  }
  if (Node.isPropertyAccessExpression(node) && node.getName() !== "shape") {
    // `tool.parameters` with `export const tool = { parameters, ... }` (here or in another file).
    const owner = followAcross(node.getExpression(), steps + 1);
    const value = Node.isObjectLiteralExpression(owner) ? memberValue(owner, node.getName()) : undefined;
    return value ? followAcross(value, steps + 1) : node;
  }
  if (Node.isPropertyAccessExpression(node) && node.getName() === "shape") {
    const target = followAcross(node.getExpression(), steps + 1);
    if (Node.isCallExpression(target)) {
      const callee = unwrap(target.getExpression());
      const shape = target.getArguments()[0];
      if (Node.isPropertyAccessExpression(callee) && callee.getName() === "object" && shape) return followAcross(shape, steps + 1);
      // `Base.extend({...}).shape`: the object schema stands for its shape.
      return target;
    }
  }
  return node;
}

/** The declaration an identifier names: in its own file, or the export of another file of the analysis it is imported from. */
export function declarationAcross(id: Identifier): Node | undefined {
  return importedDeclaration(id) ?? declarationOf(id);
}

function importedDeclaration(id: Identifier): Node | undefined {
  const decl = declarationOf(id);
  if (!decl) return undefined;
  let imported: { specifier: string; name: string } | undefined;
  if (Node.isImportSpecifier(decl)) imported = { specifier: decl.getImportDeclaration().getModuleSpecifierValue(), name: decl.getName() };
  else if (Node.isImportClause(decl)) {
    const owner = decl.getParent();
    if (Node.isImportDeclaration(owner)) imported = { specifier: owner.getModuleSpecifierValue(), name: "default" };
  }
  if (!imported) return undefined;
  const target = linkedModule(id.getSourceFile(), imported.specifier);
  return target ? exportedDeclaration(target, imported.name) : undefined;
}

/**
 * A compile-time string, following constants across files and into constant objects:
 * `serverConfig.name` with `export const serverConfig = { name: "kubernetes" }` in another file.
 */
export function stringAcross(expr: Node, steps = 0): string | undefined {
  const direct = constantString(expr);
  if (direct !== undefined || steps > MAX_STEPS) return direct;
  const node = unwrap(expr);
  if (Node.isIdentifier(node)) {
    const followed = followAcross(node);
    return followed === node ? undefined : stringAcross(followed, steps + 1);
  }
  if (Node.isPropertyAccessExpression(node)) {
    const owner = followAcross(node.getExpression());
    const value = memberValue(owner, node.getName());
    return value ? stringAcross(value, steps + 1) : undefined;
  }
  return undefined;
}

/** The value of a member of an object literal; a shorthand `{ parameters }` leads to the constant it names. */
function memberValue(object: Node, name: string): Node | undefined {
  if (!Node.isObjectLiteralExpression(object)) return undefined;
  const prop = object.getProperty(name);
  if (prop && Node.isShorthandPropertyAssignment(prop)) {
    const decl = declarationOf(prop);
    const init = decl ? constInitializer(decl) : undefined;
    return init ? unwrap(init) : undefined;
  }
  return propertyValue(object, name);
}
