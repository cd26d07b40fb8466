#!/usr/bin/env bash
# The installation, tested for real (make install-test, part of make test; root):
#   1. make static: a static tool runs in a chroot that holds only it plus /proc, /sys
#      and /dev: header and readiness line, exit 0 with -d; a static execs_by_user
#      there counts an exec the test makes, under user "?" (no passwd in the chroot).
#   2. make install into a temporary DESTDIR: every tool, its section-8 man page renders
#      (man -l) with its EXAMPLES, its completions load in bash, zsh and fish, and
#      --version names the commit; make uninstall leaves no file behind.
#   3. make deb: its contents and Depends; dpkg -i beside libbpf-tools; a tool from PATH
#      sees an open the test makes; the exporter unit verifies; dpkg -r leaves nothing.
# Without root it says SKIPPED (and fails under CI=true: in CI everything runs).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
step() { echo "install-test: $*"; }
fail() { echo "install-test: FAILED: $*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && fail "needs root (chroot, mount, dpkg) and CI must run it"
	echo "install-test: SKIPPED (needs root: chroot, mount, dpkg)"
	exit 0
fi

work=$(mktemp -d /tmp/ebpf-tracers-install-test.XXXXXX)
jail="$work/jail"
cleanup() {
	for mnt in dev sys proc; do
		mountpoint -q "$jail/$mnt" 2>/dev/null && umount -R "$jail/$mnt"
	done
	if dpkg-query -W -f='${Status}' ebpf-tracers 2>/dev/null | grep -q installed; then
		dpkg -r ebpf-tracers >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# Waits (deadline 60 s) until file $1 has a line matching $2.
wait_for_line() {
	local deadline=$((SECONDS + 60))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || fail "no '$2' in $1: $(cat "$1")"
		sleep 0.1
	done
}

# Runs COMMAND... (a tracer) in the background with stdout in $work/out and stderr in
# $work/err; returns once its readiness line is there. Both files are emptied here,
# before the tracer starts: the background child's own redirection truncates them only
# when it gets to run, and until then the previous tracer's readiness line would do.
start_tracer() {
	: >"$work/out"
	: >"$work/err"
	"$@" >"$work/out" 2>"$work/err" &
	tracer=$!
	wait_for_line "$work/err" "Hit Ctrl-C to end"
}

# Stops the tracer with SIGINT; it must exit 0.
stop_tracer() {
	kill -INT "$tracer"
	wait "$tracer" || fail "tracer exited with $?: $(cat "$work/err")"
}

# --- 1. static, in a chroot -------------------------------------------------------
step "make static"
make --no-print-directory static
mkdir -p "$jail/proc" "$jail/sys" "$jail/dev"
mount -t proc proc "$jail/proc"
mount --rbind /sys "$jail/sys" && mount --make-rslave "$jail/sys"
mount --rbind /dev "$jail/dev" && mount --make-rslave "$jail/dev"

install -m 0755 target/static/opensnoop "$jail/opensnoop"
chroot "$jail" /opensnoop -d 1 >"$work/out" 2>"$work/err" ||
	fail "static opensnoop in a chroot exited with $?: $(cat "$work/err")"
head -n 1 "$work/out" | grep -q 'PID.*COMM.*PATH' || fail "no header: $(head -n 3 "$work/out")"
grep -q 'Tracing file opens... Hit Ctrl-C to end.' "$work/err" || fail "no readiness line: $(cat "$work/err")"
step "static opensnoop in an empty chroot: header, readiness line, exit 0 with -d"

rm "$jail/opensnoop"
install -m 0755 target/static/execs_by_user "$jail/execs_by_user"
name="it_$$_$RANDOM"
cp /bin/true "$work/$name"
start_tracer chroot "$jail" /execs_by_user --json -i 3600
"$work/$name"
stop_tracer
grep -q "\"user\":\"?\",\"path\":\"$work/$name\",\"count\":1" "$work/out" ||
	fail "no exec of $work/$name by user ? in: $(cat "$work/out")"
ls "$jail" | grep -qvx 'proc\|sys\|dev\|execs_by_user' && fail "the chroot gained files: $(ls "$jail")"
step "static execs_by_user in the chroot (no passwd): counted the exec of $name under user ?"

# --- 2. make install / uninstall ----------------------------------------------------
dest="$work/dest"
step "make install DESTDIR=$dest INSTALL_FROM=static"
make --no-print-directory install DESTDIR="$dest" PREFIX=/usr/local INSTALL_FROM=static
prefix="$dest/usr/local"
commit=$(git rev-parse --short=12 HEAD)
count=0
while read -r tool installed; do
	count=$((count + 1))
	bin="$prefix/sbin/$installed"
	[ -x "$bin" ] || fail "$bin is missing"
	"$bin" --version | grep -q "^$tool .*(git $commit)" || fail "$installed --version: $("$bin" --version)"
	page=$(MANWIDTH=100 man -l "$prefix/share/man/man8/$installed.8.gz" 2>&1) || fail "man -l $installed: $page"
	echo "$page" | grep -q "^EXAMPLES" || fail "$installed.8 has no EXAMPLES: $page"
	echo "$page" | grep -q "$installed -" || fail "$installed.8 has no NAME line"
	echo "$page" | grep -q "^OPTIONS" || fail "$installed.8 has no OPTIONS"
	# bash: the function bash-completion would load completes a long option.
	reply=$(bash -c "source '$prefix/share/bash-completion/completions/$installed'
		func=\$(complete -p '$installed' | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
		COMP_WORDS=('$installed' --he); COMP_CWORD=1; COMP_LINE='$installed --he'; COMP_POINT=\${#COMP_LINE}
		\$func '$installed' --he '$installed'; echo \"\${COMPREPLY[*]}\"")
	echo "$reply" | grep -q -- '--help' || fail "bash completion of $installed --he: '$reply'"
	# zsh: the file parses and is a completion for this command.
	zsh -n "$prefix/share/zsh/site-functions/_$installed" || fail "zsh cannot parse _$installed"
	head -n 1 "$prefix/share/zsh/site-functions/_$installed" | grep -q "#compdef $installed" ||
		fail "_$installed is not a zsh completion for $installed"
	# fish: completing the command lists its options.
	reply=$(fish -c "source '$prefix/share/fish/vendor_completions.d/$installed.fish'; complete -C '$installed --he'")
	echo "$reply" | grep -q -- '--help' || fail "fish completion of $installed --he: '$reply'"
done < <(target/static/gendocs --names)
[ "$count" -ge 19 ] || fail "only $count tools installed"
[ -f "$prefix/share/doc/ebpf-tracers/README.md" ] || fail "README not installed"
[ -f "$prefix/lib/systemd/system/ebpf-tracers-exporter@.service" ] || fail "exporter unit not installed"
[ "$(readlink "$prefix/sbin/opensnoop-rs")" = ../lib/ebpf-tracers/ebpf-tracers ] ||
	fail "opensnoop-rs is not a link to the multi-call binary: $(ls -l "$prefix/sbin/opensnoop-rs")"
size=$(du -skc "$prefix/sbin" "$prefix/lib/ebpf-tracers" | tail -n 1 | cut -f1)
step "installed $count tools ($size KiB: one multi-call binary, a link per tool), man pages render with EXAMPLES, completions load in bash, zsh, fish"
# A manifest with an entry that climbs out of the prefix (or is absolute): uninstall
# refuses it in one line and removes nothing, the file outside stays.
manifest="$prefix/share/doc/ebpf-tracers/installed-files"
cp "$manifest" "$manifest.good"
canary="$dest/canary"
echo keep >"$canary"
for entry in ../../canary "$canary"; do
	cp "$manifest.good" "$manifest"
	echo "$entry" >>"$manifest"
	if out=$(scripts/install.sh uninstall /usr/local "$dest" 2>&1); then
		fail "uninstall accepted a manifest entry '$entry'"
	fi
	[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "uninstall of a bad manifest said more than a line: $out"
	echo "$out" | grep -q "nothing removed" || fail "uninstall of a bad manifest: $out"
	[ -f "$canary" ] && [ -e "$prefix/sbin/opensnoop-rs" ] || fail "uninstall of a bad manifest removed files"
done
mv "$manifest.good" "$manifest"
rm "$canary"
step "uninstall refuses manifest entries outside the prefix (../, absolute) and removes nothing"
make --no-print-directory uninstall DESTDIR="$dest" PREFIX=/usr/local
left=$(find "$dest" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
step "make uninstall left no file"

# --- 3. the Debian package ------------------------------------------------------------
step "make deb"
make --no-print-directory deb
deb=$(ls -t target/debian/ebpf-tracers_*.deb | head -n 1)
contents=$(dpkg-deb -c "$deb")
for want in "./usr/sbin/opensnoop-rs -> ../lib/ebpf-tracers/ebpf-tracers" \
	./usr/lib/ebpf-tracers/ebpf-tracers ./usr/share/man/man8/opensnoop-rs.8.gz \
	./usr/share/bash-completion/completions/opensnoop-rs \
	./usr/share/zsh/vendor-completions/_opensnoop-rs \
	./usr/share/fish/vendor_completions.d/opensnoop-rs.fish \
	./usr/lib/systemd/system/ebpf-tracers-exporter@.service \
	./usr/share/doc/ebpf-tracers/README.md ./usr/share/doc/ebpf-tracers/copyright; do
	echo "$contents" | grep -q " $want\$" || fail "$deb lacks $want"
done
depends=$(dpkg-deb -f "$deb" Depends)
[ -z "$depends" ] || fail "Depends should be empty for static tools: $depends"
dpkg-query -W -f='${Status}' libbpf-tools | grep -q 'install ok installed' || fail "libbpf-tools is not installed"
dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb"
[ "$(command -v opensnoop-rs)" = /usr/sbin/opensnoop-rs ] || fail "opensnoop-rs not on PATH"
dpkg -S /usr/sbin/opensnoop | grep -q '^libbpf-tools:' || fail "/usr/sbin/opensnoop no longer libbpf-tools'"
missing="/tmp/ebpf-tracers-install-test-$$-$RANDOM"
start_tracer opensnoop-rs --json -x
cat "$missing" 2>/dev/null || true
stop_tracer
grep -q "\"path\":\"$missing\"" "$work/out" ||
	fail "opensnoop-rs did not see the open of $missing; it printed: $(tail -n 5 "$work/out"; cat "$work/err")"
systemd-analyze verify /usr/lib/systemd/system/ebpf-tracers-exporter@openat_count.service 2>"$work/verify" ||
	fail "the exporter unit does not verify: $(cat "$work/verify")"
# The sandbox holds: exposure at most 4.5 ("OK"), also for bashreadline with the
# drop-in that gives it CAP_SYS_ADMIN back, and execguard with CAP_SYS_PTRACE (the
# tests run every tool with these capabilities: tests/it/records.rs).
for instance in openat_count bashreadline execguard; do
	unit=/usr/lib/systemd/system/ebpf-tracers-exporter@$instance.service
	systemd-analyze security --offline=yes --threshold=45 "$unit" >"$work/security" 2>&1 ||
		fail "the exporter unit ($instance) is exposed past 4.5: $(tail -n 1 "$work/security")"
	exposure=$(grep -o 'exposure level for [^ ]*: [0-9.]*' "$work/security" | awk '{print $NF}')
	step "systemd-analyze security: the exporter unit for $instance rates $exposure (at most 4.5)"
done
grep -q 'CAP_SYS_ADMIN' /usr/lib/systemd/system/ebpf-tracers-exporter@bashreadline.service.d/uprobes.conf ||
	fail "bashreadline's drop-in is not installed"
grep -q 'CAP_SYS_PTRACE' /usr/lib/systemd/system/ebpf-tracers-exporter@execguard.service.d/lockout.conf ||
	fail "execguard's drop-in is not installed"
files=$(dpkg -L ebpf-tracers | while read -r f; do [ -d "$f" ] || echo "$f"; done)
step "dpkg -i beside libbpf-tools: $(echo "$files" | wc -l) files; opensnoop-rs from PATH saw the open of $missing"
dpkg -r ebpf-tracers >/dev/null
for f in $files; do
	[ ! -e "$f" ] && [ ! -L "$f" ] || fail "dpkg -r left $f"
done
status=$(dpkg-query -W -f='${Status}' ebpf-tracers 2>/dev/null || true)
case "$status" in
"" | "unknown ok not-installed") ;;
*) fail "after dpkg -r the package is still known to dpkg: $status" ;;
esac
step "dpkg -r left nothing; $deb ($(du -k "$deb" | cut -f1) KiB)"
step "PASSED"
