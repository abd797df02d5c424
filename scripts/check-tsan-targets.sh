#!/usr/bin/env bash
# The `tsan` build preset builds only the test executables that hold concurrency tests (the
# `tsan` test preset runs the tests whose names contain "concurrency"). This fails when a test
# case named "...concurrency..." lives in an executable the preset does not build, which would
# otherwise leave it out of the ThreadSanitizer run without a word.
# Usage: scripts/check-tsan-targets.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
python3 - <<'PY'
import glob, json, os, re, sys
presets = json.load(open("CMakePresets.json"))
targets = set(next(p for p in presets["buildPresets"] if p["name"] == "tsan")["targets"])
# tests/<name>*.cpp -> executable <name> (bedrock_lite_add_test in tests/CMakeLists.txt).
names = re.findall(r"^\s*bedrock_lite_add_test\((\w+)", open("tests/CMakeLists.txt").read(), re.M)
missing = []
for path in sorted(glob.glob("tests/*.cpp")):
    base = os.path.basename(path)
    owners = [n for n in names if base.startswith(n)]
    if not owners:
        continue
    owner = max(owners, key=len)
    for m in re.finditer(r'TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', open(path).read()):
        name = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        if "concurrency" in name and owner not in targets:
            missing.append(f"{path}: '{name}' is in {owner}, which the tsan build preset does not build")
if missing:
    print("check-tsan-targets: add these executables to the tsan build preset's targets "
          "(CMakePresets.json):", file=sys.stderr)
    for line in missing:
        print("  " + line, file=sys.stderr)
    sys.exit(1)
print(f"check-tsan-targets: every concurrency test is in one of {len(targets)} tsan targets")
PY
