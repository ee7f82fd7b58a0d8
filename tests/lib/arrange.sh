#!/usr/bin/env bash
# arrange.sh tracefs=mounted|unmounted kvm=present|absent -- CMD ARGS
#
# Runs CMD in a private mount namespace where tracefs and /dev/kvm are as asked,
# without changing the machine: tracefs is mounted or unmounted there only, and
# /dev/kvm is hidden behind a private /dev that holds everything else. The other
# side of a fact that the machine does not have (a /dev/kvm on a machine with
# none) cannot be arranged: exit 77 with one line saying so. Needs root and
# unshare(1) (util-linux).
set -euo pipefail
want_tracefs="" want_kvm=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	case "$1" in
	tracefs=mounted|tracefs=unmounted) want_tracefs=${1#tracefs=} ;;
	kvm=present|kvm=absent) want_kvm=${1#kvm=} ;;
	*) echo "usage: arrange.sh tracefs=mounted|unmounted kvm=present|absent -- CMD" >&2; exit 2 ;;
	esac
	shift
done
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "arrange.sh: no command" >&2; exit 2; }

if [ -z "${EMUDIFF_ARRANGED:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "cannot arrange: not root"; exit 77; }
	command -v unshare >/dev/null || { echo "cannot arrange: no unshare(1)"; exit 77; }
	if [ "$want_kvm" = present ] && [ ! -e /dev/kvm ]; then
		echo "cannot arrange kvm=present: this machine has no /dev/kvm"
		exit 77
	fi
	unshare -m --propagation private true 2>/dev/null ||
		{ echo "cannot arrange: unshare -m is refused here"; exit 77; }
	EMUDIFF_ARRANGED=1 exec unshare -m --propagation private "$0" \
		${want_tracefs:+tracefs=$want_tracefs} ${want_kvm:+kvm=$want_kvm} -- "$@"
fi

# Inside the namespace.
tracefs_dirs=(/sys/kernel/tracing /sys/kernel/debug/tracing)
case "$want_tracefs" in
mounted)
	if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
			{ echo "cannot arrange tracefs=mounted: mount -t tracefs refused"; exit 77; }
	fi ;;
unmounted)
	for d in "${tracefs_dirs[@]}"; do
		while mountpoint -q "$d" 2>/dev/null; do umount -l "$d" || break; done
	done
	for d in "${tracefs_dirs[@]}"; do
		[ -d "$d/events" ] && { echo "cannot arrange tracefs=unmounted: $d stays mounted"; exit 77; }
	done ;;
esac

if [ "$want_kvm" = absent ] && [ -e /dev/kvm ]; then
	old=$(mktemp -d)
	mount --rbind /dev "$old"
	mount -t tmpfs -o mode=755 emudiff-dev /dev
	for e in "$old"/* "$old"/.[!.]*; do
		[ -e "$e" ] || [ -L "$e" ] || continue
		n=${e##*/}
		[ "$n" = kvm ] && continue
		if [ -L "$e" ]; then
			cp -P "$e" /dev/
		elif [ -d "$e" ]; then
			mkdir "/dev/$n" && mount --rbind "$e" "/dev/$n"
		else
			touch "/dev/$n" && mount --bind "$e" "/dev/$n"
		fi
	done
fi
unset EMUDIFF_ARRANGED
exec "$@"
