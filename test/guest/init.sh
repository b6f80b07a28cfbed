#!/bin/busybox sh
# PID 1 of a kerno test guest (busybox, in the initramfs built by initramfs.ts). It loads the boot modules,
# mounts the host's root (virtiofs, read-only) as the lower layer of an overlay whose upper layer is a
# tmpfs, so the guest runs this very checkout without changing the host, and runs /kerno/run.sh in a chroot
# with its output on the second serial port. The last line there is KERNO_GUEST_EXIT=<code>; then power off.
# Options come on the kernel command line: kerno.cgroup=v1|v2, kerno.ip=ADDR/PREFIX (virtio_net eth0).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

out=/dev/ttyS1
# Raw: no \n → \r\n translation or echo on the result channel.
stty -F $out raw -echo 2>/dev/null
die() {
  echo "kerno-guest init: $*" >$out
  echo "KERNO_GUEST_EXIT=125" >$out
  poweroff -f
}

cgroup=v2 ip=
for a in $(cat /proc/cmdline); do
  case $a in
    kerno.cgroup=*) cgroup=${a#kerno.cgroup=} ;;
    kerno.ip=*) ip=${a#kerno.ip=} ;;
  esac
done

# Boot modules in dependency order (modules.order, from the kernel's modules.dep on the host).
while read -r m; do
  insmod "/modules/$m" || die "insmod $m failed"
done </modules.order

mkdir -p /lower /upper /newroot
mount -t virtiofs -o ro kernohost /lower || die "mount virtiofs (tag kernohost) failed"
mount -t tmpfs -o mode=0755 upper /upper
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot ||
  die "overlay on the host root failed"

r=/newroot
mount -t proc proc $r/proc
mount -t sysfs sys $r/sys
mount -t devtmpfs dev $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts devpts $r/dev/pts
mount -t tmpfs shm $r/dev/shm
# The host's /run (sockets, netns files, pid files) means nothing here.
mount -t tmpfs -o mode=0755 run $r/run
# The guest kernel's own modules for modprobe (veth, nf_tables, netconsole, dm-mod, …).
kver=$(uname -r)
mkdir -p $r/lib/modules/$kver
mount --bind "$r$(cat /kerno/modules-dir)" $r/lib/modules/$kver || die "bind modules failed"

case $cgroup in
  v1)
    # The layout of the machines kerno's tests were written on: a v1 memory hierarchy beside cgroup2.
    mount -t tmpfs -o mode=0755 cgroup $r/sys/fs/cgroup
    mkdir -p $r/sys/fs/cgroup/memory $r/sys/fs/cgroup/unified
    mount -t cgroup -o memory memory $r/sys/fs/cgroup/memory ||
      die "cgroup v1 memory mount failed (kernel without CONFIG_MEMCG_V1? use kerno.cgroup=v2)"
    mount -t cgroup2 cgroup2 $r/sys/fs/cgroup/unified
    ;;
  v2)
    # Pure v2, as systemd mounts it: every controller on one hierarchy at /sys/fs/cgroup.
    mount -t cgroup2 -o nsdelegate cgroup2 $r/sys/fs/cgroup || die "cgroup2 mount failed"
    ;;
  *) die "unknown kerno.cgroup=$cgroup" ;;
esac

# A scratch ext4 disk (virtio_blk) at /var/tmp gives block I/O a real device.
if [ -b /dev/vda ]; then
  mount -t ext4 /dev/vda $r/var/tmp || die "mount scratch disk failed"
fi

# The kernel runs its module loader (request_module: veth, nf_tables, …) in PID 1's root, the initramfs,
# not in the chroot: point it at a wrapper that runs the host root's modprobe in there.
printf '#!/bin/sh\nexec chroot /newroot /sbin/modprobe "$@"\n' >/kerno/modprobe
chmod 755 /kerno/modprobe
echo /kerno/modprobe >/proc/sys/kernel/modprobe

ip link set lo up
if [ -n "$ip" ]; then
  ip link set eth0 up && ip addr add "$ip" dev eth0 || die "eth0 $ip failed"
fi
hostname kerno-guest

mkdir -p $r/run/kerno-guest
cp /kerno/run.sh $r/run/kerno-guest/run.sh
# Through a pipe, as under CI: programs see no terminal (no colours, no progress bars). The script runs in
# a process group of its own; what it left running in the background is killed when it exits, so that
# nothing holds the pipe open (and anything that escaped the group gets two seconds).
mkfifo /kerno/out.fifo
cat /kerno/out.fifo >$out &
cat_pid=$!
setsid chroot $r /bin/sh /run/kerno-guest/run.sh </dev/null >/kerno/out.fifo 2>&1 &
pid=$!
wait $pid
rc=$?
kill -9 -$pid 2>/dev/null
(sleep 2; kill -9 -1) &
wait $cat_pid
sync
echo "KERNO_GUEST_EXIT=$rc" >$out
poweroff -f
