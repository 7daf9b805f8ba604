#!/bin/sh
# Installs what notifilter needs to build, test and run its demo on Debian 12.
# Run as root. Safe to run again: packages already present are skipped.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run this as root (it calls apt-get)" >&2
	exit 77
fi

export DEBIAN_FRONTEND=noninteractive
# "No configuration" keeps the system Postfix unconfigured: the tests and the
# demo run their own throwaway instance on loopback and never touch /etc/postfix.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

PKGS="build-essential autoconf automake libtool pkg-config autoconf-archive clang
libmilter-dev libcurl4-openssl-dev libspf2-dev libopendkim-dev libsqlite3-dev
libssl-dev libjansson-dev libidn2-dev
postfix miltertest opendkim opendkim-tools kannel kannel-extras
sqlite3 curl python3 bc iproute2 swaks libsisimai-perl openssl
unbound chromium fonts-dejavu-core"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps.sh: installing:$missing"
	apt-get update -qq
	# Packages such as unbound and kannel start their system service when
	# installed; the tests start their own instances on loopback ports, so
	# keep the system ones stopped (policy-rc.d 101 = "action forbidden").
	own_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
		[ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
		echo "install-deps.sh: apt-get failed (see above); fix the package source and run again" >&2
		exit 1
	}
	[ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
echo "install-deps.sh: all build and test dependencies are present"
