"""What the spec generators share (schema/isa/gen_isa.py,
schema/protocol/gen_protocol.py, schema/pcie/gen_pcie.py): naming, the spec
error, writing outputs only when they change, and one command line:

  --spec PATH      the JSON spec (default: the generator's own, beside it)
  --out-dir DIR    writes the generated sources under DIR/schema/...
  --doc PATH       writes the document (or its generated part)
  --check-doc PATH exits 1 if PATH is not what --doc would write (ctest *_doc_fresh)

Exit codes: 0 done, 1 a document is stale or unreadable, 2 the spec is invalid.
Python 3 standard library only.
"""

import argparse
import json
import os
import sys


class SpecError(Exception):
    pass


def camel(name):
    """MATMUL -> Matmul, LOAD_WEIGHTS -> LoadWeights, a_inner_count -> AInnerCount."""
    return "".join(p[:1].upper() + p[1:].lower() for p in name.split("_") if p)


def kconst(name):
    return "k" + camel(name)


def cpp_enum(e):
    """Lines of C++ for a spec enum {name, doc, values: [{name, value, doc}]}:
    an `enum class NAME : uint32_t` and `const char* NAMEName(uint32_t)`."""
    o = [f"// {e['doc']}", f"enum class {e['name']} : uint32_t {{"]
    o += [f"  {kconst(v['name'])} = {v['value']},  // {v['doc']}" for v in e["values"]]
    o += ["};", f"// The spec's name of a {e['name']} value; nullptr when it has none.",
          f"inline const char* {e['name']}Name(uint32_t v) {{", "  switch (v) {"]
    o += [f"    case {v['value']}: return \"{v['name']}\";" for v in e["values"]]
    o += ["    default: return nullptr;", "  }", "}", ""]
    return o


def load_json(path, validate):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    validate(spec)
    return spec


def read_text(path):
    """The file's text, or None when it does not exist."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_if_changed(path, text):
    """Writes text to path unless it already holds it (keeps the timestamp: no needless rebuilds)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if read_text(path) == text:
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv, tool, default_spec, load_spec, outputs, make_doc):
    """The generators' command line.

    tool: the script's path in the repository ("schema/isa/gen_isa.py"), for
    messages; load_spec(path) ->
    spec (raises SpecError, KeyError, ValueError, TypeError or OSError);
    outputs(spec) -> [(path under --out-dir, text)]; make_doc(spec, existing)
    -> the document's text given its current text (None when absent).
    """
    name = os.path.basename(tool)
    ap = argparse.ArgumentParser(prog=name, description=f"{tool}: see schema/specgen.py for the options")
    ap.add_argument("--spec", default=default_spec)
    ap.add_argument("--out-dir")
    ap.add_argument("--doc")
    ap.add_argument("--check-doc")
    args = ap.parse_args(argv)
    try:
        spec = load_spec(args.spec)
    except (SpecError, KeyError, ValueError, TypeError, OSError) as e:
        print(f"{name}: {args.spec}: {e}", file=sys.stderr)
        return 2
    if args.out_dir:
        for rel, text in outputs(spec):
            write_if_changed(os.path.join(args.out_dir, rel), text)
    for path, check in ((args.doc, False), (args.check_doc, True)):
        if not path:
            continue
        try:
            have = read_text(path)
            if check and have is None:
                raise OSError("no such file")
            want = make_doc(spec, have)
        except (OSError, SpecError) as e:
            print(f"{name}: {path}: {e}", file=sys.stderr)
            return 1
        if not check:
            write_if_changed(path, want)
        elif have != want:
            print(f"{path} is stale; regenerate with: python3 {tool} --doc {path}", file=sys.stderr)
            return 1
    return 0
