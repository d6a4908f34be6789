import type { Rule } from "../../src/engine/rule.js";
import { checkPython, MENTIONS_PY } from "./python.js";

export const unsafeDeserialization: Rule = {
  meta: {
    id: "unsafe-deserialization",
    title: "Tool input is deserialized with a format that runs code",
    severity: "high",
    cwe: "CWE-502",
    confidence: "high",
    languages: ["python"],
    references: [
      "https://cwe.mitre.org/data/definitions/502.html",
      "https://docs.python.org/3/library/pickle.html#restricting-globals",
      "https://pyyaml.org/wiki/PyYAMLDocumentation",
      "https://owasp.org/www-community/vulnerabilities/Deserialization_of_untrusted_data",
    ],
    description:
      "An MCP tool handler passes its input — or a file its input names — to a deserializer that can run code: pickle, marshal, dill, jsonpickle, joblib, yaml.load without a safe loader, torch.load without weights_only. A crafted payload runs arbitrary code in the server process as it loads.",
    mentionsPython: MENTIONS_PY,
  },
  checkPython,
};
