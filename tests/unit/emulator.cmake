# rsemu unit tests: pure parts of the emulator (emulator/).
adsync_unit_test(test_emu_throttle SOURCES test_emu_throttle.c
	LIBS rsemu_core)
adsync_unit_test(test_emu_form SOURCES test_emu_form.c LIBS rsemu_core)
adsync_unit_test(test_emu_valid SOURCES test_emu_valid.c LIBS rsemu_core)
adsync_unit_test(test_emu_faults SOURCES test_emu_faults.c LIBS rsemu_core)
adsync_unit_test(test_emu_auth SOURCES test_emu_auth.c LIBS rsemu_core)
