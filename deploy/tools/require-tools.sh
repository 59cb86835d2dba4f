#!/usr/bin/env bash
# require-tools.sh TOOL...: checks that each tool named (helm, kubectl, kind, tilt,
# container) is there and new enough, and says what to install when one is not.
# helm and kubectl are those on PATH; where either is missing or too old and the
# machine is Linux x86_64, the pinned copies of fetch-tools.sh are used instead, and
# their folder is printed on stdout for the caller to put first on PATH. Nothing
# else goes to stdout.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
fetched="${TOOLS_BIN:-$(cd "$here/../.." && pwd)/.tools/bin}"
platform="$("$here/platform.sh")"
failed=0
# In a variable: bash 3.2 (macOS's /bin/bash) reads a regex literal differently.
version_pattern='v([0-9]+)\.([0-9]+)\.([0-9]+)'

minimum() {
    case "$1" in
        helm) echo v3.14.0 ;;
        kubectl) echo v1.30.0 ;;
        # kindnet enforces NetworkPolicies from kind v0.24 on.
        kind) echo v0.24.0 ;;
        # Older Tilt fails on helm v4 ("could not parse Helm version").
        tilt) echo v0.36.0 ;;
    esac
}

install_hint() {
    local page
    case "$1" in
        helm) page=https://helm.sh/docs/intro/install/ ;;
        kubectl) page=https://kubernetes.io/docs/tasks/tools/ ;;
        kind) page=https://kind.sigs.k8s.io/docs/user/quick-start/#installation ;;
        tilt) page=https://docs.tilt.dev/install.html ;;
    esac
    case "$platform/$1" in
        darwin/*/tilt) echo "brew install tilt-dev/tap/tilt, or see $page" ;;
        darwin/*) echo "brew install $1, or see $page" ;;
        *) echo "see $page" ;;
    esac
}

version_output() { # tool path
    case "$1" in
        helm) "$2" version --short ;;
        kubectl) "$2" version --client ;;
        *) "$2" version ;;
    esac
}

at_least() { # found needed, both vX.Y.Z
    local a b c x y z
    IFS=. read -r a b c <<<"${1#v}"
    IFS=. read -r x y z <<<"${2#v}"
    ((10#$a > 10#$x || (10#$a == 10#$x && (10#$b > 10#$y || (10#$b == 10#$y && 10#$c >= 10#$z)))))
}

# check TOOL PATH: prints the problem with it on stderr and returns 1, or reports
# the version found.
check() {
    local tool="$1" path="$2" need output found
    need="$(minimum "$tool")"
    if [[ -z "$path" ]]; then
        echo "$tool: not found on PATH; $need or newer needed; $(install_hint "$tool")" >&2
        return 1
    fi
    if ! output="$(version_output "$tool" "$path" 2>&1)"; then
        echo "$tool: $path does not run here ($platform): ${output%%$'\n'*}; $need or newer needed; $(install_hint "$tool")" >&2
        return 1
    fi
    if [[ ! "$output" =~ $version_pattern ]]; then
        echo "$tool: no version in the output of $path (${output%%$'\n'*}); $need or newer needed" >&2
        return 1
    fi
    found="v${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
    if ! at_least "$found" "$need"; then
        echo "$tool: $found at $path is too old; $need or newer needed; $(install_hint "$tool")" >&2
        return 1
    fi
    echo ">> $tool $found: $path" >&2
}

pair=""
for tool in "$@"; do
    case "$tool" in
        helm | kubectl) pair="$pair $tool" ;;
        kind | tilt) check "$tool" "$(command -v "$tool" || true)" || failed=1 ;;
        container)
            if name="$("$here/container-tool.sh")"; then
                echo ">> container tool: $name" >&2
            else
                failed=1
            fi ;;
        *) echo "require-tools: unknown tool $tool" >&2; exit 2 ;;
    esac
done

reports=""
problems=""
for tool in $pair; do
    if report="$(check "$tool" "$(command -v "$tool" || true)" 2>&1)"; then
        reports="$reports$report"$'\n'
    else
        problems="$problems$report"$'\n'
    fi
done

use_fetched=0
if [[ -z "$problems" ]]; then
    printf '%s' "$reports" >&2
elif [[ "$platform" == linux/amd64 ]]; then
    printf '%s' "$problems" >&2
    echo ">> so helm and kubectl are the pinned copies of fetch-tools.sh in $fetched" >&2
    TOOLS_BIN="$fetched" "$here/fetch-tools.sh" >&2
    for tool in $pair; do
        check "$tool" "$fetched/$tool" || failed=1
    done
    use_fetched=1
else
    printf '%s' "$problems" >&2
    failed=1
fi

if [[ "$failed" -ne 0 ]]; then
    echo "missing or too old on this $platform machine: install or upgrade the tools named above" >&2
    exit 1
fi
if [[ "$use_fetched" -eq 1 ]]; then
    echo "$fetched"
fi
