#!/bin/sh
# Run by `meson install`: on the running system, create the defnet user and
# the configuration directory now, so that `systemctl enable --now defnetd`
# can follow at once, and compile the journal's catalog. With --destdir (a package or an image being built)
# nothing is done: the package's scripts, or the image's first boot
# (systemd-sysusers.service, systemd-tmpfiles-setup.service), do it there.
#   postinstall.sh SYSUSERS-FILE TMPFILES-FILE
[ -z "${DESTDIR:-}" ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "defnet: not root, so not creating the user: run as root" \
		"'systemd-sysusers $1' and 'systemd-tmpfiles --create $2'" >&2
	exit 0
fi
if command -v systemd-sysusers >/dev/null; then
	systemd-sysusers "$1" || exit 1
fi
if command -v systemd-tmpfiles >/dev/null; then
	systemd-tmpfiles --create "$2" || exit 1
fi
if command -v journalctl >/dev/null; then
	journalctl --update-catalog || exit 1
fi
exit 0
