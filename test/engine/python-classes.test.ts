import { PythonClasses } from "../../src/engine/python/classes.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { PythonProject } from "../../src/engine/python/project.js";

const BASE = `class Executor:
    def run_tool(self, command):
        return self.execute(command)

    def execute(self, command):
        raise NotImplementedError


class ShellMixin:
    def sh(self, command):
        return command
`;

const IMPL = `from .base import Executor, ShellMixin


class ShellExecutor(Executor):
    def execute(self, command):
        return command


class GitMixin:
    def log(self, ref):
        return self.sh(ref)


class Tools(GitMixin, ShellMixin):
    def __init__(self, root: str):
        self.root = root
        self.executor = ShellExecutor()


def make() -> "Tools":
    return Tools(".")
`;

const USE = `from .impl import Tools, make


def handler(command: str, tools: Tools):
    made = make()
    made.log(command)
    tools.executor.run_tool(command)
    Tools(command).log(command)
`;

const projects: PythonProject[] = [];
afterEach(() => projects.splice(0).forEach((p) => p.dispose()));

function setup() {
  const project = new PythonProject(new Map([["pkg/base.py", BASE], ["pkg/impl.py", IMPL], ["pkg/use.py", USE], ["pkg/__init__.py", ""]]));
  projects.push(project);
  return { project, classes: new PythonClasses(project) };
}

function call(project: PythonProject, path: string, text: string): PyNode {
  const found = project.module(path)!.nodesOf("call").find((c) => c.text === text);
  if (!found) throw new Error(`no call ${text}`);
  return found;
}

const names = (targets: { module: { path: string }; fn: PyNode }[]) => targets.map((t) => `${t.module.path}:${t.fn.childForFieldName("name")!.text}`).sort();

describe("Python classes", () => {
  it("dispatches a call on a base class to the base's method and the overrides of its subclasses", () => {
    const { project, classes } = setup();
    const targets = classes.targetsOf(project.module("pkg/base.py")!, call(project, "pkg/base.py", "self.execute(command)"));
    expect(names(targets)).toEqual(["pkg/base.py:execute", "pkg/impl.py:execute"]);
    expect(targets.every((t) => t.boundSelf)).toBe(true);
  });

  it("finds a sibling mixin's method through the class that combines them", () => {
    const { project, classes } = setup();
    expect(names(classes.targetsOf(project.module("pkg/impl.py")!, call(project, "pkg/impl.py", "self.sh(ref)")))).toEqual(["pkg/base.py:sh"]);
  });

  it("types receivers by return annotations, parameter annotations, attributes set in __init__ and constructor calls", () => {
    const { project, classes } = setup();
    const use = project.module("pkg/use.py")!;
    expect(names(classes.targetsOf(use, call(project, "pkg/use.py", "made.log(command)")))).toEqual(["pkg/impl.py:log"]);
    expect(names(classes.targetsOf(use, call(project, "pkg/use.py", "tools.executor.run_tool(command)")))).toEqual(["pkg/base.py:run_tool"]);
    expect(names(classes.targetsOf(use, call(project, "pkg/use.py", "Tools(command).log(command)")))).toEqual(["pkg/impl.py:log"]);
    const construct = classes.targetsOf(use, call(project, "pkg/use.py", "Tools(command)"));
    expect(names(construct)).toEqual(["pkg/impl.py:__init__"]);
    expect(construct[0]!.constructs?.name).toBe("Tools");
  });

  it("lists where instances get an attribute", () => {
    const { project, classes } = setup();
    const impl = project.module("pkg/impl.py")!;
    const tools = classes.classAt(impl, impl.classes.get("Tools")!);
    expect(classes.attributeAssignments(tools, "root").map((a) => a.value.text)).toEqual(["root"]);
    expect(classes.attributeAssignments(tools, "missing")).toEqual([]);
  });
});
