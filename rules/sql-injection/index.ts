import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import { describeSources, type ToolHandler } from "../../src/engine/mcp.js";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { abbreviate, constantString, declarationOf, descendantsOfKind, unwrap, withoutComments } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

const QUERY_METHODS = new Set([
  "query", "execute", "exec", "prepare", "raw", "all", "get", "run", "each", "unsafe", "whereRaw", "orderByRaw",
  "havingRaw", "joinRaw", "selectRaw", "$queryRawUnsafe", "$executeRawUnsafe", "sql", "none", "one", "oneOrNone", "many", "any", "manyOrNone",
]);
/** Methods that only run SQL, whatever the receiver is called. */
const SQL_ONLY_METHODS = new Set(["$queryRawUnsafe", "$executeRawUnsafe", "whereRaw", "orderByRaw", "havingRaw", "joinRaw", "selectRaw"]);
const DB_RECEIVER = /(?:^|\.|_)(?:db|database|sql|sqlite|conn|connection|client|pool|pg|mysql|knex|sequelize|prisma|tx|trx|transaction|stmt|statement|store|repo)\w*$/i;
const SQL_TEXT = /\b(?:select\s[\s\S]*\bfrom|insert\s+into|update\s+\S+\s+set|delete\s+from|create\s+(?:table|index|view)|drop\s+(?:table|index|view)|alter\s+table|pragma|where|order\s+by)\b/i;

export const sqlInjection: Rule = {
  meta,
  checkPython,
  check(ctx) {
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (!Node.isPropertyAccessExpression(callee) || !QUERY_METHODS.has(callee.getName())) continue;
      const sql = call.getArguments()[0];
      if (!sql) continue;
      const arg = unwrap(sql);
      if (!Node.isTemplateExpression(arg) && !Node.isBinaryExpression(arg) && !Node.isIdentifier(arg)) continue;
      const receiver = callee.getExpression().getText();
      // Symbol lookups are the cost: a generic method name (`get`, `run`) on a receiver that is not a
      // database handle is only considered when the SQL text is written right there.
      if (Node.isIdentifier(arg) && !SQL_ONLY_METHODS.has(callee.getName()) && !DB_RECEIVER.test(receiver)) continue;
      if (constantString(sql) !== undefined) continue;
      const built = builtFrom(sql);
      const looksLikeSql = SQL_ONLY_METHODS.has(callee.getName()) || (built !== undefined && SQL_TEXT.test(built.literal));
      const wholeStatement = built === undefined && DB_RECEIVER.test(receiver) && /^(?:query|execute|exec|raw|unsafe|\$queryRawUnsafe|\$executeRawUnsafe)$/.test(callee.getName());
      if (!looksLikeSql && !wholeStatement && !(DB_RECEIVER.test(receiver) && built !== undefined && built.literal.trim() !== "")) continue;
      const sources = ctx.taint.sourcesOf(sql);
      if (sources.length === 0) continue;
      if (wholeStatement) {
        reportWholeStatement(ctx, call, sql, sources);
        continue;
      }
      ctx.report({
        node: call,
        message:
          `${describeSources(sources)} is built into the SQL text of \`${abbreviate(call, 60)}\`. ` +
          "A quote in the input ends the string literal and the rest runs as SQL: the caller can read every table the database user can (`' UNION SELECT ...`), change or delete rows, and on some databases run commands.",
        ...remediation(call, sql, built, placeholderStyle(ctx.sourceFile)),
      });
    }
  },
};

/**
 * The tool runs SQL the caller writes (a "query" tool). That may be its purpose, but a read-only
 * transaction around it is no protection: `COMMIT; DROP TABLE ...` ends the transaction first
 * (the flaw of the reference Postgres MCP server).
 */
function reportWholeStatement(ctx: RuleContext, call: CallExpression, sql: Node, sources: ToolHandler[]): void {
  const fn = call.getFirstAncestor((a) => Node.isArrowFunction(a) || Node.isFunctionExpression(a) || Node.isFunctionDeclaration(a) || Node.isMethodDeclaration(a));
  const readOnlyTransaction = !!fn && /READ\s+ONLY/i.test(fn.getText());
  const callee = call.getExpression().getText().replace(/\s+/g, "");
  ctx.report({
    node: call,
    severity: readOnlyTransaction ? "high" : "medium",
    message:
      `${describeSources(sources)} is the entire SQL statement of \`${abbreviate(call, 60)}\`: the caller writes the SQL. ` +
      (readOnlyTransaction
        ? "The read-only transaction around it does not contain it: a statement list such as `COMMIT; DROP TABLE users` ends the transaction and runs with the connection's full rights."
        : "Whatever the database user may do — read every table, change or delete rows — a prompt injection can make the model do."),
    remediation: [
      `If running caller-written SQL is the tool's purpose, enforce "read-only" in the database, not in the session: connect as a role that has only \`SELECT\` on the intended tables, and run exactly one statement — with node-postgres, the extended protocol refuses statement lists:`,
      "",
      "```ts",
      `${callee}({ text: ${sql.getText()}, values: [] })`,
      "```",
      "",
      "Otherwise replace the free-form SQL with tools that take values (`find_user({ name })`) and build the statement with parameters.",
    ].join("\n"),
  });
}

interface Built {
  /** The constant text of the statement, with `?` where values are interpolated. */
  literal: string;
  template?: import("ts-morph").TemplateExpression;
}

/** The statement's constant parts, following one variable, when it is built by a template or `+`. */
function builtFrom(expr: Node, depth = 0): Built | undefined {
  const node = unwrap(expr);
  if (Node.isTemplateExpression(node)) {
    return { literal: node.getHead().getLiteralText() + node.getTemplateSpans().map((s) => "?" + s.getLiteral().getLiteralText()).join(""), template: node };
  }
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left = builtFrom(node.getLeft(), depth + 1)?.literal ?? constantString(node.getLeft()) ?? "?";
    const right = builtFrom(node.getRight(), depth + 1)?.literal ?? constantString(node.getRight()) ?? "?";
    return { literal: left + right };
  }
  if (Node.isIdentifier(node) && depth < 2) {
    const decl = declarationOf(node);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    if (init) return builtFrom(init, depth + 1);
  }
  return undefined;
}

/** The driver's placeholders, from what the file imports: `$1` for node-postgres, `?` for mysql and sqlite drivers; undefined when unknown. */
function placeholderStyle(sourceFile: import("ts-morph").SourceFile): "$" | "?" | undefined {
  const modules = sourceFile.getImportDeclarations().map((d) => d.getModuleSpecifierValue().replace(/^node:/, ""));
  const dollar = modules.some((m) => m === "pg" || m === "postgres");
  const question = modules.some((m) => /^(?:mysql2?(?:\/promise)?|sqlite3?|better-sqlite3|sqlite)$/.test(m));
  // Both kinds of driver in one file: which one this call uses is not known from the imports.
  return dollar === question ? undefined : dollar ? "$" : "?";
}

/**
 * The remediation, and a rewrite of the call with the values bound as parameters when the SQL is a
 * template written in the call, every interpolation is a value, and the driver is known.
 */
function remediation(call: CallExpression, sql: Node, built: Built | undefined, style: "$" | "?" | undefined): { remediation: string; fix?: { node: Node; replacement: string } } {
  const callee = call.getExpression().getText().replace(/\s+/g, "");
  const template = built?.template;
  if (template) {
    const postgres = style ? style === "$" : /\bpg\b|pool|client|\$\d/.test(callee);
    // Walk the pieces: a value becomes a placeholder (its quotes and LIKE wildcards move into the
    // bound value); a table or column name cannot be bound and is kept, to be allowlisted.
    const values: string[] = [];
    const identifiers: string[] = [];
    let text = template.getHead().getLiteralText();
    for (const span of template.getTemplateSpans()) {
      const expr = span.getExpression().getText();
      let after = span.getLiteral().getLiteralText();
      if (/\b(?:from|join|into|update|table|by)\s*["`]?$/i.test(text)) {
        identifiers.push(expr);
        text += "${" + expr + "}" + after;
        continue;
      }
      const before = /(['"])(%?)$/.exec(text);
      const close = before ? new RegExp(`^(%?)${before[1]}`).exec(after) : null;
      if (before && close) {
        text = text.slice(0, -before[0].length);
        after = after.slice(close[0].length);
        values.push(before[2] || close[1] ? `\`${before[2]}\${${expr}}${close[1]}\`` : expr);
      } else {
        values.push(expr);
      }
      text += (postgres ? `$${values.length}` : "?") + after;
    }
    if (identifiers.length > 0) {
      return { remediation: [
        `${identifiers.map((i) => `\`${i}\``).join(", ")} ${identifiers.length === 1 ? "is a table or column name" : "are table or column names"}, which SQL parameters cannot carry: check ${identifiers.length === 1 ? "it" : "them"} against a fixed set before building the statement, and pass any other values as parameters:`,
        "",
        "```ts",
        ...identifiers.map((i) => `if (!ALLOWED_TABLES.has(${i})) throw new Error(\`unknown table \${${i}}\`);`),
        "```",
        "",
        "Better still, declare the choice in the tool's schema (`z.enum([\"users\", \"orders\"])`).",
      ].join("\n") };
    }
    // better-sqlite3 and node:sqlite bind values when the prepared statement runs: db.prepare(sql).all(a, b)
    const parent = call.getParent();
    const runner = /\.prepare$/.test(callee) && parent && Node.isPropertyAccessExpression(parent) ? parent.getName() : undefined;
    const statement = text.includes("${") ? "`" + text + "`" : JSON.stringify(text);
    const rewritten = /\.prepare$/.test(callee) ? `${callee}(${statement}).${runner ?? "all"}(${values.join(", ")})` : `${callee}(${statement}, [${values.join(", ")}])`;
    const inPlace = template === unwrap(sql) && call.getArguments().length === 1 && style !== undefined && withoutComments(call);
    // better-sqlite3's `db.prepare(sql).all()`: the values go to the statement's run, so the rewrite covers both calls.
    const prepared = /\.prepare$/.test(callee) && parent && Node.isPropertyAccessExpression(parent) && Node.isCallExpression(parent.getParent()) && (parent.getParent() as CallExpression).getArguments().length === 0 ? (parent.getParent() as CallExpression) : undefined;
    return {
      remediation: [
        "Pass the values as parameters, never inside the SQL text; the driver sends them separately, so quotes in them are data:",
        "",
        "```ts",
        rewritten,
        "```",
        "",
        `Use the placeholder syntax of your driver (\`?\` for sqlite/mysql, \`$1\` for pg). Identifiers (table or column names) cannot be parameters: map them from a fixed set (\`z.enum([...])\`) instead.`,
      ].join("\n"),
      ...(inPlace && !/\.prepare$/.test(callee) ? { fix: { node: call, replacement: `${call.getExpression().getText()}(${statement}, [${values.join(", ")}])` } } : {}),
      ...(inPlace && prepared ? { fix: { node: prepared, replacement: `${call.getExpression().getText()}(${statement}).${runner}(${values.join(", ")})` } } : {}),
    };
  }
  return {
    remediation: [
      `Keep the SQL text constant and pass \`${abbreviate(sql)}\`'s values as parameters (\`${callee}("SELECT ... WHERE id = ?", [id])\`). ` +
        "If the tool is meant to run caller-written SQL, open the database read-only with a user that can only see the intended tables, and accept only a single `SELECT` statement.",
    ].join("\n"),
  };
}
