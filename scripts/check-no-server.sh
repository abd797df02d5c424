#!/usr/bin/env bash
# Fails when libbedrock_lite references a socket-server call: an application that links the
# library gets no socket server (the fixture server lives with the CLI, docs/architecture.md).
# Usage: check-no-server.sh LIBRARY (the .a or .so)
set -euo pipefail
lib=${1:?usage: check-no-server.sh LIBRARY}
symbols=$(nm --undefined-only "$lib" 2>/dev/null; nm -D --undefined-only "$lib" 2>/dev/null || true)
found=$(awk '{print $NF}' <<<"$symbols" | sed 's/@.*//' | grep -xE 'bind|listen|accept|accept4' | sort -u || true)
if [ -n "$found" ]; then
  echo "$lib references socket-server calls: $(tr '\n' ' ' <<<"$found")"
  exit 1
fi
echo "$lib references no bind, listen or accept"
