# The web console's parsers of browser input (src/web/web_form.h): form
# bodies, query strings, decoded pairs and the Cookie header, with the
# HTML and URL encoders checked on what they decode. Replays
# tests/fuzz/corpus/web_form/ as fuzz_web_form_corpus.
adsync_fuzz(web_form SOURCES fuzz_web_form.c LIBS adsync_web adsync_common)
# The console's authentication inputs (src/web/web_auth.h): session cookie,
# CSRF and pre-login tokens, a new password, the login limiter's client
# addresses. Replays tests/fuzz/corpus/web_auth/ as fuzz_web_auth_corpus.
adsync_fuzz(web_auth SOURCES fuzz_web_auth.c LIBS adsync_web adsync_common)
