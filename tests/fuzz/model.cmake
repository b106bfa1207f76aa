# The model's AD value decoders (docs/model.md).
adsync_fuzz(model_decode SOURCES fuzz_model_decode.c LIBS adsync_model)
