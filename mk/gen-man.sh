#!/bin/sh
# Writes the qcts(1) man page to stdout from the program's own help:
# `qcts help` (the command list) and `qcts help COMMAND` for each command,
# so the page never drifts from the program. Used by make install.
# usage: sh mk/gen-man.sh QCTS VERSION
set -eu
qcts=$1
version=$2
# roff-safe preformatted text: backslashes doubled, a leading '.' or "'" escaped.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
cmds=$("$qcts" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$cmds" ] || { echo "gen-man.sh: '$qcts help' listed no commands" >&2; exit 1; }
cat <<HEAD
.TH QCTS 1 "" "qcts $version" "User Commands"
.SH NAME
qcts \\- conformance and throughput suite for quantized LLM kernels
.SH SYNOPSIS
.B qcts
[\\fB\\-\\-data\\-dir\\fR \\fIDIR\\fR] \\fIcommand\\fR [\\fIoptions\\fR]
.br
.B qcts help
[\\fIcommand\\fR]
.SH DESCRIPTION
.nf
HEAD
"$qcts" help | esc
echo ".fi"
echo ".SH COMMANDS"
for c in $cmds; do
    [ "$c" = help ] && continue
    echo ".SS qcts $c"
    echo ".nf"
    "$qcts" help "$c" | esc
    echo ".fi"
done
cat <<'TAIL'
.SH ENVIRONMENT
.TP
.B QCTS_DATA_DIR
folder holding golden/ (the golden vectors) and suites/; default: the
installed share/qcts, else vectors/ in the working directory.
.TP
.B QCTS_DB
the results database; default for an installed qcts:
$XDG_DATA_HOME/qcts/qcts.db (~/.local/share/qcts/qcts.db), else db/qcts.db.
.SH FILES
.TP
.I PREFIX/share/qcts/golden
the golden vectors and their MANIFEST.json
.TP
.I PREFIX/include/qcts/backend.h
the backend plugin ABI (pkg-config --cflags qcts)
.SH SEE ALSO
The README.md and docs/ of the qcts source tree.
TAIL
