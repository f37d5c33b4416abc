#!/usr/bin/env python3
"""Fails when an #include crosses an edge of the allowed component graph.

  scripts/check_layering.py [--root DIR]   check the tree (default: this checkout)
  scripts/check_layering.py --self-test    check the checker on a small fake tree

Every tracked *.h, *.cc, *.cpp, *.inc, *.sv and *.svh file is scanned for
`#include "..."` (and SystemVerilog `` `include "..." ``). A file belongs to
the component named by its top-level folder; an include names the component
of its first path segment (includes are rooted at the project folder). Each
forbidden edge is reported as

  FILE:LINE: component A may not include component B (allowed: ...)

The graph below is the one README.md's "Architecture" section shows between
the `layering:begin` / `layering:end` markers; the check fails when the two
differ, so the README cannot drift from what is enforced.

Python 3 standard library only. Run by scripts/test.sh (before building) and
by ctest (layering_check, layering_check_self_test).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

# The allowed graph: component -> the components its files may include
# (besides itself). Written out in full, not as a transitive closure, so the
# table reads the same here and in README.md. Dependencies point down only.
ALLOWED = {
    "common": [],
    "schema": ["common"],
    "arch": ["schema", "common"],
    "interpreter": ["schema", "common"],
    # modelgen/: the shipped model writer (ModelBuilder, built-in models), from
    # issue 12's CLI branch (mainjob); testing/ keeps the test-only models.
    "modelgen": ["schema", "common"],
    "testing": ["modelgen", "schema", "common"],
    "simulator": ["arch", "schema", "common"],
    "rtl": ["arch", "schema", "common"],
    "compiler": ["arch", "interpreter", "schema", "common"],
    "driver": ["arch", "schema", "common"],
    "delegate": ["compiler", "driver", "arch", "interpreter", "schema", "common"],
    "tools": ["delegate", "compiler", "driver", "arch", "interpreter", "modelgen", "schema", "common"],
    "bench": ["delegate", "compiler", "driver", "simulator", "arch", "interpreter", "modelgen", "testing",
              "schema", "common"],
    "tests": ["delegate", "compiler", "driver", "simulator", "arch", "interpreter", "modelgen", "testing",
              "schema", "common"],
}

# Test code (see IsTestCode) of any component may also include these: the
# model builders, and the simulator and driver to run what they made.
TEST_EXTRA = ["modelgen", "testing", "simulator", "driver"]

# Single files allowed one more edge than their component.
FILE_EXTRA = {
    # The driver's in-process transport is its only door to the models.
    "driver/sim_transport.cc": ["simulator"],
}

# Folders internal to a component: only that component (and test code) may
# include from them.
INTERNAL = {
    "interpreter/kernels/": "interpreter",
}

# Known violations, tolerated until the branch that removes them is merged.
# (file or folder prefix, included path prefix, reason). Delete a line once its file no longer
# has the include; the check prints a note for entries that match nothing.
ALLOWLIST = [
    # tools -> interpreter/kernels internals (kernels::TypeName, AffineQuantization for `systole
    # inspect` / `run`): a folder prefix, as the CLI split moves the include between files.
    ("tools/", "interpreter/kernels/",
     "known: tools/cmd_run.cc uses kernel_util.h (TypeName, AffineQuantization); to be replaced by a "
     "public interpreter helper"),
]

SOURCE_SUFFIXES = (".h", ".cc", ".cpp", ".inc", ".sv", ".svh")
INCLUDE_RE = re.compile(r'^\s*(?:#\s*include|`include)\s*"([^"]+)"')
README_BEGIN = "<!-- layering:begin -->"
README_END = "<!-- layering:end -->"


def IsTestCode(path):
    name = os.path.basename(path)
    stem = name.rsplit(".", 1)[0]
    return (stem.endswith("_test") or stem.endswith("_bench") or stem.startswith("test_util")
            or stem.endswith("_testing") or stem.endswith("_test_util") or "/testdata/" in path)


def TrackedSources(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True, capture_output=True).stdout
        files = [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(("build", "."))]
            for f in filenames:
                files.append(os.path.relpath(os.path.join(dirpath, f), root))
    return sorted(f for f in files if f.endswith(SOURCE_SUFFIXES) and "/" in f)


def Component(path):
    return path.split("/", 1)[0]


def ResolveInclude(root, src, inc):
    """The project-relative path an include names, or None for a system/third-party header."""
    local = os.path.normpath(os.path.join(os.path.dirname(src), inc))
    if not local.startswith("..") and os.path.exists(os.path.join(root, local)) and (
            inc.startswith("../") or "/" not in inc):
        return local  # relative to the including file
    if "/" in inc and Component(inc) in ALLOWED:
        return inc
    return None  # "verilated.h", "Vsystole_core_8x8.h", "nlohmann/json.hpp", ...


def Check(root, out):
    errors = 0
    used = set()
    for src in TrackedSources(root):
        comp = Component(src)
        if comp not in ALLOWED:
            if not src.startswith(("docs/", "scripts/", ".")):
                print(f"{src}:1: component {comp} is not in the layering table of scripts/check_layering.py "
                      f"(add it there and to README.md)", file=out)
                errors += 1
            continue
        allowed = set(ALLOWED[comp]) | set(FILE_EXTRA.get(src, []))
        test = IsTestCode(src)
        if test:
            allowed |= set(TEST_EXTRA)
        try:
            with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError:
            continue
        for lineno, line in enumerate(lines, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            target = ResolveInclude(root, src, m.group(1))
            if target is None:
                continue
            dst = Component(target)
            problem = None
            if dst != comp and dst not in allowed:
                problem = (f"component {comp} may not include component {dst} "
                           f"(allowed: {', '.join(sorted(allowed)) or 'nothing'})")
            else:
                for prefix, owner in INTERNAL.items():
                    if target.startswith(prefix) and comp != owner and not test:
                        problem = (f"component {comp} may not include {prefix} "
                                   f"(internal to {owner}; use its public headers)")
            if problem is None:
                continue
            waived = False
            for i, (f, prefix, _reason) in enumerate(ALLOWLIST):
                if (src == f or (f.endswith("/") and src.startswith(f))) and target.startswith(prefix):
                    used.add(i)
                    waived = True
            if not waived:
                print(f"{src}:{lineno}: {problem}", file=out)
                errors += 1
    for i, (f, prefix, reason) in enumerate(ALLOWLIST):
        if i not in used:
            print(f"note: allowlist entry ({f}, {prefix}) matches nothing any more ({reason}): "
                  f"delete it from scripts/check_layering.py", file=out)
    errors += CheckReadme(root, out)
    return errors


def ReadmeTable():
    rows = ["| component | may include |", "|---|---|"]
    for comp, deps in ALLOWED.items():
        rows.append(f"| `{comp}/` | {', '.join(deps) if deps else '(nothing)'} |")
    rows.append("| test code (`*_test.*`, `*_bench.*`, `test_util.*`, `*_test_util.*`, `*_testing.h`) | also "
                + ", ".join(TEST_EXTRA) + " |")
    for f, extra in FILE_EXTRA.items():
        rows.append(f"| `{f}` | also {', '.join(extra)} |")
    for prefix, owner in INTERNAL.items():
        rows.append(f"| `{prefix}` | internal: only `{owner}/` and test code include it |")
    return rows


def CheckReadme(root, out):
    path = os.path.join(root, "README.md")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        print("README.md:1: missing (the allowed graph is written down there)", file=out)
        return 1
    if README_BEGIN not in text or README_END not in text:
        print(f"README.md:1: no {README_BEGIN} ... {README_END} block with the allowed graph", file=out)
        return 1
    begin = text.index(README_BEGIN)
    block = text[begin + len(README_BEGIN):text.index(README_END)]
    have = [l.strip() for l in block.strip().splitlines() if l.strip()]
    want = ReadmeTable()
    if have != want:
        line = text[:begin].count("\n") + 1
        print(f"README.md:{line}: the layering table differs from scripts/check_layering.py; it should read:",
              file=out)
        for row in want:
            print("  " + row, file=out)
        return 1
    return 0


def SelfTest():
    """The checker on a fake tree: each planted violation is reported, nothing else."""
    import io
    files = {
        "common/status.h": "",
        "schema/isa/isa.h": '#include "common/status.h"\n',
        "arch/validate.h": '#include "schema/isa/isa.h"\n#include "common/status.h"\n',
        "simulator/device.h": '#include "arch/validate.h"\n',
        "rtl/sim/core.h": '#include "arch/validate.h"\n#include "verilated.h"\n',
        "rtl/core.sv": '`include "simulator/device.h"\n',                  # violation: rtl -> simulator
        "interpreter/kernels/util.h": '#include "common/status.h"\n',
        "interpreter/interpreter.h": '#include "kernels/util.h"\n',
        "testing/model_builder.h": '#include "schema/isa/isa.h"\n',
        "compiler/compiler.cc": ('#include "arch/validate.h"\n'
                                 '#include "simulator/device.h"\n'          # violation: compiler -> simulator
                                 '#include "testing/model_builder.h"\n'     # violation: compiler -> testing
                                 '#include "interpreter/kernels/util.h"\n'  # violation: internal
                                 '#include <vector>\n#include "nlohmann/json.hpp"\n'),
        "compiler/compiler_test.cc": '#include "testing/model_builder.h"\n#include "simulator/device.h"\n',
        "driver/driver.cc": '#include "../rtl/sim/core.h"\n',               # violation: driver -> rtl
        "driver/sim_transport.cc": '#include "simulator/device.h"\n',
        "delegate/delegate.cc": '#include "tools/main.h"\n',                # violation: delegate -> tools
        "tools/main.h": "",
        "README.md": README_BEGIN + "\n" + "\n".join(ReadmeTable()) + "\n" + README_END + "\n",
    }
    expected = [
        "compiler/compiler.cc:2: component compiler may not include component simulator",
        "compiler/compiler.cc:3: component compiler may not include component testing",
        "compiler/compiler.cc:4: component compiler may not include interpreter/kernels/",
        "delegate/delegate.cc:1: component delegate may not include component tools",
        "driver/driver.cc:1: component driver may not include component rtl",
        "rtl/core.sv:1: component rtl may not include component simulator",
    ]
    global ALLOWLIST
    saved = ALLOWLIST
    ALLOWLIST = []
    ok = True
    try:
        with tempfile.TemporaryDirectory() as root:
            for path, body in files.items():
                os.makedirs(os.path.dirname(os.path.join(root, path)) or root, exist_ok=True)
                with open(os.path.join(root, path), "w") as f:
                    f.write(body)
            buf = io.StringIO()
            n = Check(root, buf)
            got = buf.getvalue().splitlines()
            if n != len(expected) or len(got) != len(expected) or any(
                    not g.startswith(e) for g, e in zip(got, expected)):
                print("self-test: unexpected report:\n  " + "\n  ".join(got) + f"\n({n} errors; expected:)\n  "
                      + "\n  ".join(expected))
                ok = False
            # A README whose table differs is an error too.
            with open(os.path.join(root, "README.md"), "w") as f:
                f.write(README_BEGIN + "\n| `common/` | arch |\n" + README_END + "\n")
            buf = io.StringIO()
            if Check(root, buf) != len(expected) + 1 or "layering table differs" not in buf.getvalue():
                print("self-test: a README out of sync was not reported")
                ok = False
    finally:
        ALLOWLIST = saved
    print("self-test: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--print-readme-table", action="store_true",
                    help="print the table README.md must hold between the layering markers")
    args = ap.parse_args()
    if args.self_test:
        return SelfTest()
    if args.print_readme_table:
        print("\n".join([README_BEGIN] + ReadmeTable() + [README_END]))
        return 0
    n = Check(args.root, sys.stdout)
    if n:
        print(f"layering: {n} problem(s); the allowed graph is in scripts/check_layering.py "
              f"and README.md (Architecture)")
        return 1
    print("layering: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
