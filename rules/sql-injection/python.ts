import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import { stringPieces, type Piece } from "../../src/engine/python/pieces.js";
import type { PythonModule } from "../../src/engine/python/module.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, calleeOf, unwrapPy } from "../../src/engine/python/values.js";

/** DB-API, asyncpg, SQLAlchemy and pandas calls whose first argument is SQL text. */
const SQL_METHODS = new Set(["execute", "executemany", "executescript", "fetch", "fetchrow", "fetchval", "mogrify", "exec_driver_sql", "raw"]);
const SQL_FUNCTIONS = new Set(["sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "pandas.read_sql", "pandas.read_sql_query", "psycopg.sql.SQL", "psycopg2.sql.SQL"]);
const SQL_WORDS = /\b(?:select|insert|update|delete|from|where|into|values|create|drop|alter|order\s+by|limit|pragma|join|table)\b/i;
/**
 * A project's own query runner, by name: `run_query(sql)`, `db._execute_query(q)`,
 * `client.query(...)`, `execute_sql(...)`. The SQL is built at the call; the runner executes it.
 */
const SQL_RUNNER = /^_*(?:(?:execute|exec|run)_?(?:query|queries|sql|statement|stmt|raw)|(?:read|write|raw)_?(?:query|sql)|run_?sql|sql_?query)$/i;
const SQL_METHOD_RUNNER = /^_*(?:query|sql)$/i;

/** Text pre-filter: a database call, or SQL text handed to a helper. */
export const MENTIONS_PY = /\b(?:\w*execute\w*|fetch\w*|text|read_sql\w*|SQL|raw|exec_driver_sql|\w*[qQ]uery\w*|\w*sql\w*)\s*\(|\b(?:SELECT|INSERT|UPDATE|DELETE|PRAGMA)\b|\bselect\s[^\n]*\sfrom\b/;

/** The SQL text a call runs: the first argument (or `sql=`, `query=`, `statement=`) of a driver call or a query runner. */
export function sqlArgument(module: PythonModule, call: PyNode): PyNode | undefined {
  const callee = calleeOf(call)!;
  const fn = module.qualifiedName(callee) ?? "";
  const method = callee.type === "attribute" ? callee.childForFieldName("attribute")!.text : undefined;
  const name = method ?? (callee.type === "identifier" ? callee.text : "");
  const driver = SQL_FUNCTIONS.has(fn) || (!!method && SQL_METHODS.has(method));
  if (!driver && !SQL_RUNNER.test(name) && !(method && SQL_METHOD_RUNNER.test(method))) return undefined;
  const args = callArgs(call);
  return args.positional[0] ?? args.keywords.get("sql") ?? args.keywords.get("query") ?? args.keywords.get("statement");
}

function isDriverCall(module: PythonModule, call: PyNode): boolean {
  const callee = calleeOf(call)!;
  return SQL_FUNCTIONS.has(module.qualifiedName(callee) ?? "") || (callee.type === "attribute" && SQL_METHODS.has(callee.childForFieldName("attribute")!.text));
}

/**
 * The Python check of sql-injection: SQL text built with f-strings, `%`, `.format` or `+` from tool input, passed to `execute`,
 * `text()`, `read_sql`, to a query runner of the project (`run_query(sql)`), or to any helper that hands it on to one of those.
 */
export function checkPython(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const direct = sqlArgument(ctx.module, call);
    // A runner of this project is judged by what it does with the text; a driver call, or a runner out of sight, by its name.
    const forwarded = direct && isDriverCall(ctx.module, call) ? [] : ctx.taint.forwardedArguments(call, sqlArgument).map((f) => ({ argument: f.argument, via: f }));
    const queries = forwarded.length > 0 ? forwarded : direct ? [{ argument: direct, via: undefined }] : [];
    for (const { argument: query, via } of queries) {
      // SQL that is built here, not a whole query the tool was asked to run (that is the tool's purpose, e.g. an SQL console).
      const pieces = stringPieces(ctx.module, query);
      if (!pieces || !pieces.some((p) => "literal" in p && SQL_WORDS.test(p.literal))) continue;
      const tainted = pieces.filter((p): p is Extract<Piece, { expr: string }> => "expr" in p && ctx.taint.isTainted(p.node, "sql"));
      if (tainted.length === 0) continue;
      // The SQL may be built before the call: asking about the argument itself gives the finding its trace.
      ctx.taint.isTainted(query, "sql");
      report(ctx, call, query, pieces, tainted.map((p) => p.node), via && { sink: via.sink, path: via.sinkModule.path });
      break;
    }
  }
}

function report(ctx: PythonRuleContext, call: PyNode, query: PyNode, pieces: Piece[], inputs: PyNode[], via?: { sink: PyNode; path: string }): void {
  const callee = calleeOf(call)!.text;
  const isText = /(?:^|\.)text$/.test(callee);
  const driver = isDriverCall(ctx.module, call);
  const where = via ? ` \`${callee}\` runs it with \`${abbreviatePy(via.sink, 40)}\` (${via.path === ctx.path ? "" : `${via.path}, `}line ${via.sink.startPosition.row + 1}).` : driver ? "" : ` \`${callee}\` runs it as SQL.`;
  const m = ctx.module;
  const style = isText ? ":" : m.importsModule("asyncpg") ? "$" : m.importsModule("sqlite3", "aiosqlite", "duckdb") ? "?" : "%s";
  let sql = "";
  const params: string[] = [];
  pieces.forEach((p, i) => {
    if ("literal" in p) {
      sql += p.literal;
      return;
    }
    // A value inside a quoted literal ('...{x}...') becomes one parameter, LIKE wildcards included.
    const before = /'(%?)$/.exec(sql);
    const next = pieces[i + 1];
    const after = next && "literal" in next ? /^(%?)'/.exec(next.literal) : null;
    if (before && after && next && "literal" in next) {
      sql = sql.slice(0, -before[0].length);
      pieces[i + 1] = { literal: next.literal.slice(after[0].length) };
      params.push(before[1] || after[1] ? `f"${before[1]}{${p.expr}}${after[1]}"` : p.expr);
    } else params.push(p.expr);
    const n = params.length;
    sql += style === ":" ? `:p${n}` : style === "$" ? `$${n}` : style;
  });
  const code = isText
    ? `conn.execute(${callee}(${JSON.stringify(sql)}), {${params.map((v, i) => `"p${i + 1}": ${v}`).join(", ")}})`
    : `${callee}(${JSON.stringify(sql)}, (${params.join(", ")}${params.length === 1 ? "," : ""}))`;
  ctx.report({
    node: call,
    message:
      `${inputLabel(ctx.taint.sourcesOf(inputs[0]!, "sql"))} is interpolated into the SQL of \`${callee}(${abbreviatePy(unwrapPy(query))})\` (${inputs.map((i) => `\`${abbreviatePy(i, 24)}\``).join(", ")}).${where} ` +
      "A quote in the input ends the string literal and the rest runs as SQL: `' OR '1'='1`, `'; DROP TABLE ...`, or `UNION SELECT` to read other tables.",
    remediation: [
      "Pass values as parameters, never in the SQL text:",
      "",
      "```python",
      code,
      "```",
      "",
      (driver ? "" : `If \`${callee}\` takes no parameters yet, give it a parameters argument and pass it on to the driver's \`execute\`. `) +
        "The driver sends parameters separately from the statement, so quotes in them are data. Table or column names cannot be parameters: check them against a fixed set (`if column not in {\"name\", \"created\"}: raise ValueError(...)`).",
    ].join("\n"),
  });
}
