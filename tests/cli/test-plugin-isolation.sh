#!/bin/sh
# Plugins isolated by default, and --in-process (kernels/README.md, "Plugin
# isolation"); the hostile plugins themselves are in tests/hostile/plugin-*.sh.
#   - check of the example plugin and of a broken one gives the same TAP
#     isolated, isolated with -j 3, and --in-process;
#   - --in-process really loads the plugin into qcts: a plugin that calls
#     exit(0) then ends qcts (status 0, no summary), which is why it is not
#     the default;
#   - bench times a plugin in-process and says so on stderr.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

build=$(dirname "$QCTS")
example=$build/examples/plugin_example.so
skip_last=$build/plugins/broken_skip_last.so
exit0=$build/plugins/hostile_exit0.so
for so in "$example" "$skip_last" "$exit0"; do
    [ -f "$so" ] || fail "$so is not built (make builds it)"
done
file=vectors/golden/dequant/int8_per_channel.safetensors
backends="plugin:$example,plugin:$skip_last"

run check --backend "$backends" --vectors "$file" --no-db --tap -j 1
same "isolated (exit status; broken_skip_last fails)" 1 "$rc"
tap=$out
printf '%s\n' "$tap" | grep -q '^ok .*plugin_example.so dequant/int8_per_channel/c000' || fail "no ok line: $tap"
printf '%s\n' "$tap" | grep -q '^not ok .*broken_skip_last.so dequant/int8_per_channel/c002' || fail "no failure: $tap"
checks=$((checks + 2))
run check --backend "$backends" --vectors "$file" --no-db --tap -j 3
same "isolated -j 3 equals -j 1" "$tap" "$out"
run check --backend "$backends" --vectors "$file" --no-db --tap -j 1 --in-process
same "--in-process equals isolated" "$tap" "$out"

run check --backend "plugin:$exit0" --vectors "$file" --no-db -j 1 --in-process
same "in-process exit(0) ends qcts with its status" 0 "$rc"
checks=$((checks + 1))
case $out in *"passed:"*) fail "in-process exit(0): qcts went on to a summary: $out" ;; esac

cat >"$tmp/shapes.json" <<'JSON'
{"name": "t", "source": "test", "schemes": ["int8_per_channel"],
 "shapes": [{"name": "dq", "phase": "decode", "op": "dequant", "N": 16, "K": 64, "per_token": 1}]}
JSON
run bench --backend "plugin:$example" --shapes "$tmp/shapes.json" --no-db --min-time 0.01 --min-samples 3 \
    --quick-roofline
same "bench (exit status; stderr: $err)" 0 "$rc"
checks=$((checks + 1))
printf '%s\n' "$err" | grep -F -q "qcts bench: plugin:$example runs in-process (timed without isolation" \
    || fail "bench does not say the plugin runs in-process: $err"
done_checks
