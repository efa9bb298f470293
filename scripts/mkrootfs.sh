#!/bin/sh
# Builds a busybox root filesystem from Debian's busybox-static into DIR (default: work/rootfs).
set -eu
dir=${1:-work/rootfs}
[ -x /bin/busybox ] || { echo "mkrootfs: /bin/busybox missing: apt-get install busybox-static" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin etc proc sys dev tmp root usr/bin usr/sbin var run
cp /bin/busybox bin/busybox
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > etc/group
chmod 1777 tmp
echo "mkrootfs: busybox root filesystem in $dir"
