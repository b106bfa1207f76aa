# Unit tests of the model module: decoders, attribute table, struct obj.
adsync_unit_test(test_model SOURCES test_model.c LIBS adsync_model)
