#!/bin/sh
# The quantized-activation reference against ggml itself (tests/ggml/build.sh:
# ggml's sources from the pinned llama-cpp-python sdist on PyPI, cached in
# build/ggml-cache; ggml's quantize_row_q8_0/q8_1/q8_K_ref bit for bit, its
# generic vec_dot within qcts's bound, bit for bit on exact fills).
# Skipped (77) only when PyPI cannot be reached and nothing is cached.
#   QCTS=build/native/qcts sh tests/cli/test-qact-ggml.sh
set -u
: "${QCTS:?set QCTS to the qcts binary}"
out=$(dirname "$QCTS")/ggml-qact
sh tests/ggml/build.sh "$out"
rc=$?
[ $rc -eq 3 ] && exit 77
exit $rc
