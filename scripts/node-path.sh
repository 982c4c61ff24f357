# Sourced by setup.sh and check.sh: put the private Node that setup.sh installs on machines whose Node is older
# than 20 (.tools/node, from the npm registry's node-linux-* packages) first on PATH. No-op when it is not there.
for _plugboard_node_bin in "$(dirname "${BASH_SOURCE[0]}")"/../.tools/node/node_modules/node-linux-*/bin; do
    if [ -x "$_plugboard_node_bin/node" ]; then
        PATH="$(cd "$_plugboard_node_bin" && pwd):$PATH"
        export PATH
    fi
done
unset _plugboard_node_bin
