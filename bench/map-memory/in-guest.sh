#!/bin/sh
# Run INSIDE a guest with many vCPUs (bench/README.md, map-memory): the model against the guest kernel's
# memlock at its CPU count (the kernel test), then the collectors' maps measured and modelled there.
#   node --import tsx test/guest/run.ts run --kernel 6.12 --cpus 16 --timeout 1200 -- sh bench/map-memory/in-guest.sh
set -u
echo "kernel: $(uname -r), possible CPUs: $(cat /sys/devices/system/cpu/possible)"
t0=$(date +%s)
node --import tsx --test --test-reporter=tap test/kernel/map-memory.test.ts 2>&1 | grep -E '^(not )?ok|^# (pass|fail)|kernel [0-9]+ B, model|B now'
t1=$(date +%s)
echo "kernel test: $((t1 - t0)) s"
n=$(($(nproc --all)))
node --import tsx bench/map-memory/run.ts --cpus "$n,64,192"
echo "bench: $(($(date +%s) - t1)) s"
