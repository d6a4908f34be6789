/** Real-size lockfiles, generated: a package-lock.json of thousands of packages, a uv.lock of hundreds. */

/** A package-lock.json (v3) with `count` packages; `pinned` sits in the middle. Returns the text and the 1-based line of the pinned version. */
export function bigPackageLock(count: number, pinned: { name: string; version: string }): { text: string; line: number } {
  const lines = ["{", '  "name": "big-app",', '  "version": "1.0.0",', '  "lockfileVersion": 3,', '  "requires": true,', '  "packages": {', '    "": {', '      "name": "big-app",', '      "version": "1.0.0"', "    },"];
  let line = 0;
  for (let i = 0; i < count; i++) {
    const name = i === Math.floor(count / 2) ? pinned.name : `pkg-${i.toString(36)}`;
    const version = name === pinned.name ? pinned.version : `${i % 7}.${i % 13}.${i % 5}`;
    lines.push(`    "node_modules/${name}": {`);
    if (name === pinned.name) line = lines.length + 1;
    lines.push(`      "version": "${version}",`);
    lines.push(`      "resolved": "https://registry.npmjs.org/${name}/-/${name}-${version}.tgz",`);
    lines.push(`      "integrity": "sha512-${"A".repeat(86)}==",`);
    lines.push(`      "license": "MIT"`);
    lines.push(i === count - 1 ? "    }" : "    },");
  }
  lines.push("  }", "}", "");
  return { text: lines.join("\n"), line };
}

/** A uv.lock with `count` packages, `pinned` among them, each with wheels as uv writes them. */
export function bigUvLock(count: number, pinned: { name: string; version: string }): { text: string; line: number } {
  const lines = ["version = 1", "revision = 2", 'requires-python = ">=3.10"', ""];
  let line = 0;
  for (let i = 0; i < count; i++) {
    const name = i === Math.floor(count / 2) ? pinned.name : `pkg-${i.toString(36)}`;
    const version = name === pinned.name ? pinned.version : `${i % 9}.${i % 11}.${i % 4}`;
    lines.push("[[package]]", `name = "${name}"`);
    if (name === pinned.name) line = lines.length + 1;
    lines.push(`version = "${version}"`, 'source = { registry = "https://pypi.org/simple" }');
    lines.push(`sdist = { url = "https://files.pythonhosted.org/packages/${name}-${version}.tar.gz", hash = "sha256:${"0".repeat(64)}", size = 123456 }`);
    lines.push("wheels = [");
    for (let w = 0; w < 3; w++) lines.push(`    { url = "https://files.pythonhosted.org/packages/${name}-${version}-py3-none-any-${w}.whl", hash = "sha256:${"1".repeat(64)}", size = 65432 },`);
    lines.push("]", "");
  }
  return { text: lines.join("\n"), line };
}
