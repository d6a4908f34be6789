import { Writable } from "node:stream";
import { createRedactingLog, redactLogLine } from "../../src/app/redacting-log.js";

describe("the web process's log", () => {
  it("scrubs credential headers, sign-in parameters, the hub's cookies and GitHub tokens from each line", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = await createRedactingLog({ LOG_FORMAT: "json", LOG_LEVEL: "info" }, sink);
    log.info(
      {
        req: { url: "/hub/callback?code=4c0de&state=st4te", headers: { cookie: "mcp_review_session=s3ssion-id-0123456789", authorization: "Bearer ghu_abcdefghijklmnopqrstuvwxyz" } },
        res: { headers: { "set-cookie": ["mcp_review_session=n3w-id-0123456789; Path=/hub", "other=x"] } },
        body: 'access_token=gho_0123456789abcdefghij&refresh_token=ghr_0123456789abcdefghij',
        quoted: 'token abcdefghijklmnop0123 and github_pat_11AAAAAAAAAAAAAAAAAAAA_bbbb',
      },
      "GET /hub/callback?code=4c0de&state=st4te 303",
    );
    await new Promise((resolve) => setImmediate(resolve));
    const out = lines.join("");
    expect(out).toContain('"url":"/hub/callback?code=[redacted]&state=[redacted]"');
    expect(out).toContain('"cookie":"[redacted]"');
    expect(out).toContain('"authorization":"[redacted]"');
    expect(out).toContain('"set-cookie":"[redacted]"');
    for (const secret of ["4c0de", "st4te", "s3ssion-id", "n3w-id", "ghu_", "gho_", "ghr_", "abcdefghijklmnop0123", "github_pat_"]) expect(out).not.toContain(secret);
    // What is not a credential stays readable.
    expect(out).toContain("GET /hub/callback?code=[redacted]&state=[redacted] 303");
  });

  it("leaves ordinary lines as they are", () => {
    const line = '{"msg":"GET /hub/repos?severity=high&sort=name 200","repository":"acme/tools"}';
    expect(redactLogLine(line)).toBe(line);
  });
});
