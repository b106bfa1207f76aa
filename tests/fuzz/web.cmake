# The web console's parsers of browser input (src/web/web_form.h): form
# bodies, query strings, decoded pairs and the Cookie header, with the
# HTML and URL encoders checked on what they decode. Replays
# tests/fuzz/corpus/web_form/ as fuzz_web_form_corpus.
adsync_fuzz(web_form SOURCES fuzz_web_form.c LIBS adsync_web adsync_common)
