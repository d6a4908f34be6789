/** `.helpers` seen from `pkg/server.py` → `pkg/helpers.py`; `..` climbs one package. */
export function resolveRelative(fromPath: string, spec: string): string {
  const dots = spec.match(/^\.+/)![0].length;
  const parts = fromPath.split("/").slice(0, -1);
  for (let i = 1; i < dots; i++) parts.pop();
  const rest = spec.slice(dots);
  return rest ? joinModule(parts.join("/"), rest) : parts.join("/");
}

/** A dotted module name under a folder, as a path without extension. */
export function joinModule(dir: string, dotted: string): string {
  const tail = dotted.split(".").join("/");
  return dir ? `${dir}/${tail}` : tail;
}
