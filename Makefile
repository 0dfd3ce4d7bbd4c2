# comm_result: PGXS build.  `make installcheck` runs every sql_tests/*.sql
# against a running server (see test/run.sh for a throwaway one).

EXTENSION = comm_result
MODULE_big = comm_result
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA = $(sort $(wildcard sql/comm_result--*.sql))

# pg_regress reads INPUTDIR/sql and INPUTDIR/expected; test/regress maps
# those names onto sql_tests/ and expected/.
REGRESS = $(patsubst sql_tests/%.sql,%,$(sort $(wildcard sql_tests/*.sql)))
REGRESS_OPTS = --inputdir=test/regress --load-extension=comm_result
# Isolation tests: test/isolation/specs/*.spec against test/isolation/expected.
ISOLATION = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --load-extension=comm_result
EXTRA_CLEAN = results regression.diffs regression.out output_iso

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The release's version is written once, in META.json ("version", the
# first such line); test/packaging/check.sh checks that the control file's
# default_version and the newest SQL script say the same (as major.minor).
DISTVERSION := $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' META.json | head -n 1)

# Every object depends on every header: the headers are few and small.
$(OBJS): $(wildcard src/*.h)

# ASan + UBSan run of the regression, isolation and quick fuzz suites against
# an instrumented build (test/sanitize/run.sh; reinstalls the normal build at
# the end).
.PHONY: sanitize
sanitize:
	bash test/sanitize/run.sh

# The release archive for PGXN, from the last commit (not the working tree):
# comm_result-VERSION.zip, everything under comm_result-VERSION/, without
# the files .gitattributes marks export-ignore.
.PHONY: dist print-version
dist:
	@git diff --quiet HEAD -- || echo "warning: uncommitted changes are not in the archive" >&2
	git archive --format=zip --prefix=$(EXTENSION)-$(DISTVERSION)/ \
		-o $(EXTENSION)-$(DISTVERSION).zip HEAD

print-version:
	@echo $(DISTVERSION)

# Debian packages (debian/): postgresql-NN-comm-result_*.deb, in the parent
# directory as dpkg-buildpackage leaves them, for every version in
# debian/pgversions whose server headers are installed.  A missing tool
# stops it with one line naming the package to install.  MAKEFLAGS is not
# passed on: debian/rules runs its own makes, one per version.
.PHONY: deb
deb:
	@if ! dpkg-query -W -f '$${Status}' postgresql-server-dev-all 2>/dev/null | grep -q 'ok installed$$'; then \
		echo "make deb: postgresql-server-dev-all is not installed (it brings pg_buildext's debhelper add-on and the server headers): sudo apt-get install postgresql-server-dev-all debhelper" >&2; \
		exit 1; \
	fi
	@v=$$(PG_SUPPORTED_VERSIONS=installed pg_buildext supported-versions | xargs); \
	if [ -z "$$v" ]; then \
		echo "make deb: no server headers of PostgreSQL 15 to 18 are installed: sudo apt-get install postgresql-server-dev-all (or postgresql-server-dev-NN)" >&2; \
		exit 1; \
	fi; \
	if ! command -v dh >/dev/null || ! command -v dpkg-buildpackage >/dev/null; then \
		echo "make deb: debhelper is not installed: sudo apt-get install debhelper dpkg-dev" >&2; \
		exit 1; \
	fi; \
	echo "make deb: building postgresql-NN-comm-result for PostgreSQL $$v"
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS PG_SUPPORTED_VERSIONS=installed pg_buildext updatecontrol
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS PG_SUPPORTED_VERSIONS=installed PG_UPDATECONTROL=yes \
		dpkg-buildpackage -us -uc -b
	@ls -1 ../postgresql-*-comm-result_$$(dpkg-parsechangelog -S Version)_*.deb ../comm-result-sync_$$(dpkg-parsechangelog -S Version)_all.deb
