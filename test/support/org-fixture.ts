import { createHash } from "node:crypto";
import nock from "nock";
import { API } from "./test-app.js";

/** A repository as GitHub would serve it to the inventory scan: a default branch whose head has these files. */
export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  private?: boolean;
  defaultBranch?: string;
  /** Undefined: an empty repository (no commit yet). */
  head?: string;
  files: Record<string, string>;
  /** GitHub cut the recursive tree short. */
  truncated?: boolean;
}

export function blobSha(text: string): string {
  return createHash("sha1").update(`blob ${Buffer.byteLength(text)}\0`).update(text).digest("hex");
}

export function commitSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

/** What the scan asked for: file paths read through GraphQL, per repository, and the heads asked with an ETag. */
export interface Reads {
  files: Map<string, string[]>;
  conditional: string[];
}

/**
 * Persistent nock interceptors for everything an organization scan reads of these repositories:
 * the repository (its default branch), the branch's head (with ETag and 304), the repository
 * config (absent), the recursive tree and the files through GraphQL. `repos` is read at request
 * time, so a test changes a repository's head and files between scans.
 */
export function mockOrganization(repos: Map<string, FakeRepo>, reads: Reads): nock.Scope {
  const find = (owner: string, name: string) => repos.get(`${owner}/${name}`);
  const etag = (sha: string) => `"${sha}"`;
  return nock(API)
    .persist()
    .get(/^\/repos\/[^/]+\/[^/]+$/)
    .reply((uri) => {
      const [, , owner, name] = uri.split("/");
      const repo = find(owner!, name!);
      return repo ? [200, { id: repo.id, full_name: `${repo.owner}/${repo.name}`, private: !!repo.private, default_branch: repo.defaultBranch ?? "main", archived: false }] : [404, { message: "Not Found" }];
    })
    .get(/^\/repos\/[^/]+\/[^/]+\/commits\/[^/?]+$/)
    .reply(function (uri) {
      const [, , owner, name] = uri.split("/");
      const repo = find(owner!, name!)!;
      if (!repo.head) return [409, { message: "Git Repository is empty." }];
      const given = this.req.headers["if-none-match"];
      if (given) reads.conditional.push(`${owner}/${name}`);
      if (given === etag(repo.head)) return [304, ""];
      return [200, repo.head, { etag: etag(repo.head), "content-type": "application/vnd.github.sha; charset=utf-8" }];
    })
    .get(/^\/repos\/[^/]+\/[^/]+\/contents\/\.github%2Fmcp-review\.yml/)
    .reply(404, { message: "Not Found" })
    .get(/^\/repos\/[^/]+\/[^/]+\/git\/trees\/[0-9a-f]+\?recursive=1$/)
    .reply((uri) => {
      const [, , owner, name] = uri.split("/");
      const repo = find(owner!, name!)!;
      const tree = Object.entries(repo.files).map(([path, text]) => ({ path, mode: "100644", type: "blob", sha: blobSha(text), size: Buffer.byteLength(text) }));
      return [200, { sha: repo.head, truncated: !!repo.truncated, tree }];
    })
    .post("/graphql")
    .reply((_uri, body) => {
      const { variables } = body as { variables: Record<string, string> };
      const repo = find(variables.owner!, variables.name!)!;
      const repository: Record<string, unknown> = {};
      const list = reads.files.get(`${repo.owner}/${repo.name}`) ?? [];
      reads.files.set(`${repo.owner}/${repo.name}`, list);
      for (const [key, expression] of Object.entries(variables)) {
        const index = /^e(\d+)$/.exec(key)?.[1];
        if (index === undefined) continue;
        const path = expression.slice(expression.indexOf(":") + 1);
        list.push(path);
        const text = repo.files[path];
        repository[`f${index}`] = text === undefined ? null : { __typename: "Blob", byteSize: Buffer.byteLength(text), isBinary: false, isTruncated: false, text };
      }
      return [200, { data: { repository } }];
    });
}

/** The organization's `.github` repository, with no shared config. */
export function mockNoOrgConfig(owner: string): nock.Scope {
  return nock(API).persist().get(`/repos/${owner}/.github/contents/.github%2Fmcp-review.yml`).reply(404, { message: "Not Found" });
}
