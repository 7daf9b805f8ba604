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
sqlite3 curl python3 bc iproute2 swaks libsisimai-perl openssl"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps.sh: installing:$missing"
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "install-deps.sh: all build and test dependencies are present"
