# lib/token.mk - tracking tokens (HMAC-signed, VERP), SecretFile loading,
# and libFuzzer targets for the contact-data parsers and the token reader
libnf_a_SOURCES += lib/token.c lib/token.h lib/secret.c lib/secret.h

check_PROGRAMS += tests/unit/t_token
TESTS += tests/unit/t_token
tests_unit_t_token_SOURCES = tests/unit/t_token.c tests/unit/tap.h
tests_unit_t_token_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(CRYPTO_CFLAGS)
tests_unit_t_token_LDADD = $(NF_LIBS)

# seeds for the fuzzers below (shipped also when fuzzing is off)
EXTRA_DIST += tests/fuzz/seeds/addr tests/fuzz/seeds/phone \
	tests/fuzz/seeds/csv tests/fuzz/seeds/token

if FUZZING
# CC=clang ./configure --enable-fuzzing; then e.g.
#   make tests/fuzz/fuzz_addr && ./tests/fuzz/fuzz_addr -max_total_time=60 SEEDDIR
# Each target compiles the lib/ files it tests with its own flags, so the
# code under test carries libFuzzer's coverage instrumentation (libnf.a
# does not).
NF_TOKEN_FUZZ_CC = $(AM_CFLAGS) -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
NF_TOKEN_FUZZ_LD = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined

noinst_PROGRAMS += tests/fuzz/fuzz_addr tests/fuzz/fuzz_phone \
	tests/fuzz/fuzz_csv tests/fuzz/fuzz_token

tests_fuzz_fuzz_addr_SOURCES = tests/fuzz/fuzz_addr.c lib/addr.c lib/addr.h
tests_fuzz_fuzz_addr_CPPFLAGS = $(AM_CPPFLAGS) $(IDN2_CFLAGS)
tests_fuzz_fuzz_addr_CFLAGS = $(NF_TOKEN_FUZZ_CC)
tests_fuzz_fuzz_addr_LDFLAGS = $(NF_TOKEN_FUZZ_LD)
tests_fuzz_fuzz_addr_LDADD = $(IDN2_LIBS)

tests_fuzz_fuzz_phone_SOURCES = tests/fuzz/fuzz_phone.c lib/phone.c lib/phone.h
tests_fuzz_fuzz_phone_CFLAGS = $(NF_TOKEN_FUZZ_CC)
tests_fuzz_fuzz_phone_LDFLAGS = $(NF_TOKEN_FUZZ_LD)

tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/fuzz_csv.c lib/csv.c lib/csv.h
tests_fuzz_fuzz_csv_CFLAGS = $(NF_TOKEN_FUZZ_CC)
tests_fuzz_fuzz_csv_LDFLAGS = $(NF_TOKEN_FUZZ_LD)

tests_fuzz_fuzz_token_SOURCES = tests/fuzz/fuzz_token.c lib/token.c lib/token.h \
	lib/secret.c lib/secret.h lib/buf.c lib/buf.h
tests_fuzz_fuzz_token_CPPFLAGS = $(AM_CPPFLAGS) $(CRYPTO_CFLAGS)
tests_fuzz_fuzz_token_CFLAGS = $(NF_TOKEN_FUZZ_CC)
tests_fuzz_fuzz_token_LDFLAGS = $(NF_TOKEN_FUZZ_LD)
tests_fuzz_fuzz_token_LDADD = $(CRYPTO_LIBS)
endif
