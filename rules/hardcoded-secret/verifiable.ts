import { crc32 } from "node:zlib";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const GITHUB_TOKEN = /^gh[pousr]_([A-Za-z0-9]{30})([A-Za-z0-9]{6})$/;
const AWS_KEY_ID = /^(?:AKIA|ASIA)[0-9A-Z]{16}$/;
/** An AWS secret access key beside its id: 40 characters of base64, assigned to a name that says so. */
const AWS_SECRET = /(?:secret[_-]?access[_-]?key|aws[_-]?secret|secretAccessKey)\w*["']?\s*[:=]\s*["'`]([A-Za-z0-9/+]{40})["'`]/i;
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?:\\n|\s)*[A-Za-z0-9+/=]{40,}/;

/**
 * A credential in a provider's verifiable format: a GitHub token whose last six characters are
 * the CRC32 of the rest (base62), an AWS key id with its secret key in the same file, a PEM
 * private key with its body. These leak from test code as well; a value that only looks like
 * one (`ghp_xxxx…`, a wrong checksum) is a mock. Returns what it is, or undefined.
 */
export function verifiableCredential(value: string, fileText: string): string | undefined {
  const github = GITHUB_TOKEN.exec(value);
  if (github && base62(crc32(github[1]!)).padStart(6, "0") === github[2]) return "GitHub token with a valid checksum";
  if (AWS_KEY_ID.test(value) && !/EXAMPLE/.test(value)) {
    const secret = AWS_SECRET.exec(fileText)?.[1];
    if (secret && !/EXAMPLE/i.test(secret)) return "AWS access key id with its secret key";
  }
  if (PRIVATE_KEY.test(value)) return "PEM private key";
  return undefined;
}

function base62(n: number): string {
  let out = "";
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out;
}
