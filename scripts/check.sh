#!/usr/bin/env bash
# Every check, in one command: format, lint, types, import contracts, tests, and the Linux package.
#
#   bash scripts/check.sh            (after `bash scripts/setup.sh check` has installed everything once)
#   bash scripts/check.sh -k tunnel  (extra arguments go to pytest; a run narrowed that way skips the package)
#
# The package stages build dist/plugboard_<version>_amd64.deb and the .tar.gz (packaging/linux/build.sh), install
# the .deb as a package manager does and run the smoke tests against it (packaging/linux/smoke.sh). They run on a
# Debian/Ubuntu machine when pytest gets no extra arguments; PLUGBOARD_CHECK_PACKAGE=0 skips them, =1 forces them.
#
# Every stage runs even when an earlier one failed, so one run shows every problem. Each stage prints its wall time;
# the last lines are a stage summary and the test counts. Exit status is 0 only when every stage passed and pytest
# ran at least one test (pytest's exit status 5, "no tests collected", is a failure here).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

if [ ! -x .venv/bin/pytest ] || [ ! -x .venv/bin/lint-imports ]; then
    echo "check: .venv is missing or incomplete; run 'bash scripts/setup.sh check' first." >&2
    exit 1
fi

. scripts/node-path.sh

CHECK_STARTED=$SECONDS
report_dir="$(mktemp -d "${TMPDIR:-/tmp}/plugboard-check.XXXXXX")"
trap 'rm -rf "$report_dir"' EXIT

names=()
results=()
times=()
failed=()

stage() {
    local name="$1"
    shift
    local started=$SECONDS status=0
    printf '\n==> %s: %s\n' "$name" "$*"
    "$@" || status=$?
    local took=$((SECONDS - started))
    local result=ok
    if [ "$name" = pytest ] && [ "$status" = 5 ]; then
        echo "check: pytest collected no tests; that counts as a failure."
        result="FAILED (no tests)"
        failed+=("$name")
    elif [ "$status" != 0 ]; then
        result="FAILED (exit $status)"
        failed+=("$name")
    fi
    printf '==> %s: %s in %ss\n' "$name" "$result" "$took"
    names+=("$name")
    results+=("$result")
    times+=("$took")
}

stage "ruff format" .venv/bin/ruff format --check .
stage "ruff check" .venv/bin/ruff check .
stage mypy .venv/bin/mypy
stage lint-imports .venv/bin/lint-imports
stage pytest bash scripts/test-session.sh .venv/bin/pytest --durations=15 --junitxml="$report_dir/pytest.xml" "$@"
package_default=0
if [ "$#" -eq 0 ] && command -v dpkg-deb >/dev/null 2>&1; then package_default=1; fi
if [ "${PLUGBOARD_CHECK_PACKAGE:-$package_default}" = 1 ]; then
    stage "package build" bash packaging/linux/build.sh
    if [ "${results[-1]}" = ok ]; then  # never smoke-test a package left over from an earlier build
        stage "package smoke" bash packaging/linux/smoke.sh
    fi
fi

# Test counts from pytest's own report (absent when pytest could not start at all).
counts="$(
    .venv/bin/python - "$report_dir/pytest.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(f"{total - failed - skipped} passed, {failed} failed, {skipped} skipped")
EOF
)"

printf '\n==> summary\n'
for i in "${!names[@]}"; do
    printf '    %-15s %-22s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
done
total=$((SECONDS - CHECK_STARTED))
if [ "${#failed[@]}" -eq 0 ]; then
    echo "check: every stage passed in ${total}s"
    status=0
else
    failed_list="$(printf '%s, ' "${failed[@]}")"
    echo "check: FAILED (${failed_list%, }) in ${total}s"
    status=1
fi
echo "tests: ${counts:-no test report (pytest did not run)}"
exit "$status"
