import { readFileSync } from "node:fs";
import { analyze } from "../../src/engine/analyze.js";

const FIXTURE = readFileSync(new URL("../../rules/tls-verification-disabled/fixtures/upstream_client.py", import.meta.url), "utf8");

describe("tls-verification-disabled in Python", () => {
  const findings = analyze([{ path: "upstream_client.py", content: FIXTURE }]).findings.filter((f) => f.ruleId === "tls-verification-disabled");
  const lineOf = (text: string) => FIXTURE.split("\n").findIndex((l) => l.includes(text)) + 1;

  it("reports verification turned off in the code's own right at the rule's severity", () => {
    expect(findings.find((f) => f.line === lineOf("ctx.check_hostname = False"))?.severity).toBe("high");
    expect(findings.find((f) => f.line === lineOf("requests.get("))?.severity).toBe("high");
  });

  it("reports an operator's opt-in as info, in a branch on the setting or in a class used only there", () => {
    const optIn = findings.filter((f) => f.severity === "info").map((f) => f.line);
    expect(optIn).toEqual([lineOf("context.check_hostname = False"), lineOf("context.verify_mode = ssl.CERT_NONE"), lineOf("httpx.Client(verify=False)")]);
    const message = findings.find((f) => f.line === lineOf("httpx.Client(verify=False)"))!.message;
    expect(message).toContain("only where the operator turns verification off (`if settings.insecure_skip_tls_verify`)");
  });
});
