# Sourced by scripts/qemu-versions and scripts/debian13 (bash, set -euo pipefail):
# the machine's own Debian release and archive entries, read at run time, so that no
# mirror is ever named in the repository.
#
#   debian_codename            the release's codename (VERSION_CODENAME of /etc/os-release)
#   debian_next CODENAME       the release after CODENAME ("" when unknown)
#   debian_entries             the machine's Debian entries, one a line: URI SIGNED-BY SUITE...
#                              (SIGNED-BY is "-" when the entry names none)
#   debian_entry CODENAME      URI SIGNED-BY of the entry holding the release's own suite

debian_codename() {
	local c
	c=$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}")
	[ -n "$c" ] || { printf '%s\n' "no VERSION_CODENAME in /etc/os-release: not a Debian release?" >&2; return 1; }
	printf '%s\n' "$c"
}

debian_next() {
	case "$1" in
	buster) echo bullseye ;;
	bullseye) echo bookworm ;;
	bookworm) echo trixie ;;
	trixie) echo forky ;;
	forky) echo duke ;;
	*) echo "" ;;
	esac
}

debian_entries() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		case "$(basename "$f")" in emudiff-*) continue ;; esac
		# deb822 stanzas of type deb that are Debian's (its keyring or a .../debian URI)
		awk 'BEGIN{RS=""} /Types:[^\n]*deb([ \t\n]|$)/ && /debian-archive-keyring|URIs:[^\n]*debian/ {
			uri = ""; key = "-"; suites = ""
			n = split($0, l, "\n")
			for (i = 1; i <= n; i++) {
				if (l[i] ~ /^URIs:/) { split(l[i], w, /[ \t]+/); uri = w[2] }
				else if (l[i] ~ /^Signed-By:/) { split(l[i], w, /[ \t]+/); key = w[2] }
				else if (l[i] ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", l[i]); suites = l[i] }
			}
			if (uri != "" && suites != "") print uri, key, suites }' "$f"
	done
	if [ -f /etc/apt/sources.list ]; then
		# one-line entries: deb [options] URI SUITE COMPONENT...
		awk '$1 == "deb" {
			key = "-"; i = 2
			if ($2 ~ /^\[/) {
				while (i <= NF) {
					if ($i ~ /signed-by=/) { key = $i; sub(/.*signed-by=/, "", key); sub(/\]$/, "", key) }
					if ($i ~ /\]$/) { i++; break }
					i++
				}
			}
			if ($i ~ /debian/) print $i, key, $(i + 1) }' /etc/apt/sources.list
	fi
}

# The entry whose suites include the release itself (not -security, -updates).
debian_entry() {
	local codename=$1
	debian_entries | awk -v c="$codename" '{ for (i = 3; i <= NF; i++) if ($i == c) { print $1, $2; exit } }'
}
