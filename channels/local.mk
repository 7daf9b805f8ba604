# channels/local.mk - provider drivers (libcurl) as one library, libnfchan.a,
# for the fallback dispatcher; link a program with $(CHAN_LIBS).
# Tests: unit tests of sms_text and answer classification, loopback HTTP
# stub playing Twilio/Vonage/webhook, and a real Kannel on loopback.
noinst_LIBRARIES += libnfchan.a
libnfchan_a_SOURCES = channels/channel.h channels/channel_int.h channels/channel.c \
	channels/http.c channels/cred.c channels/sms_text.c channels/sms_text.h \
	channels/kannel.c channels/twilio.c channels/vonage.c channels/webhook.c
libnfchan_a_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)

CHAN_LIBS = libnfchan.a $(CURL_LIBS) $(NF_LIBS)
CHAN_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(CURL_CFLAGS) \
	$(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)

check_PROGRAMS += tests/channels/t_sms_text tests/channels/t_chan_classify \
	tests/channels/t_chan_http tests/channels/sendone
TESTS += tests/channels/t_sms_text tests/channels/t_chan_classify \
	tests/channels/t_chan_http tests/channels/t-kannel.sh
EXTRA_DIST += tests/channels/t-kannel.sh tests/channels/kannel-up.sh \
	tests/tools/httpstub.py

tests_channels_t_sms_text_SOURCES = tests/channels/t_sms_text.c tests/unit/tap.h
tests_channels_t_sms_text_CPPFLAGS = $(CHAN_TEST_CPPFLAGS)
tests_channels_t_sms_text_LDADD = $(CHAN_LIBS)

tests_channels_t_chan_classify_SOURCES = tests/channels/t_chan_classify.c tests/unit/tap.h
tests_channels_t_chan_classify_CPPFLAGS = $(CHAN_TEST_CPPFLAGS)
tests_channels_t_chan_classify_LDADD = $(CHAN_LIBS)

tests_channels_t_chan_http_SOURCES = tests/channels/t_chan_http.c tests/channels/stub.h \
	tests/unit/tap.h
tests_channels_t_chan_http_CPPFLAGS = $(CHAN_TEST_CPPFLAGS) \
	-DNF_TEST_SRCDIR='"$(abs_top_srcdir)"'
tests_channels_t_chan_http_LDADD = $(CHAN_LIBS)

tests_channels_sendone_SOURCES = tests/channels/sendone.c
tests_channels_sendone_CPPFLAGS = $(CHAN_TEST_CPPFLAGS)
tests_channels_sendone_LDADD = $(CHAN_LIBS)

# libFuzzer target for the receipt reader (channels/dlr.c): the daemon's
# receipt listener hands it whatever reaches ReceiptListen.  Built only
# with --enable-fuzzing (CC=clang); tests/run-all.sh runs it from
# tests/fuzz/seeds/dlr.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_dlr
tests_fuzz_fuzz_dlr_SOURCES = tests/fuzz/fuzz_dlr.c channels/dlr.c channels/dlr.h
tests_fuzz_fuzz_dlr_CPPFLAGS = $(AM_CPPFLAGS) $(CRYPTO_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_dlr_CFLAGS = $(NF_TOKEN_FUZZ_CC)
tests_fuzz_fuzz_dlr_LDFLAGS = $(NF_TOKEN_FUZZ_LD)
tests_fuzz_fuzz_dlr_LDADD = libnfchan.a $(CURL_LIBS) $(NF_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz_dlr.c tests/fuzz/seeds/dlr/kannel-get \
	tests/fuzz/seeds/dlr/twilio-post tests/fuzz/seeds/dlr/vonage-get \
	tests/fuzz/seeds/dlr/vonage-json tests/fuzz/seeds/dlr/webhook
