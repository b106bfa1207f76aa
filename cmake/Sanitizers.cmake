# ASan + UBSan (LeakSanitizer included) for the dev preset; libFuzzer for fuzz.
if(ADSYNC_SANITIZE)
	add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
		-fno-sanitize-recover=undefined)
	add_link_options(-fsanitize=address,undefined)
endif()
if(ADSYNC_FUZZ)
	add_compile_options(-fsanitize=fuzzer-no-link,address,undefined)
	add_link_options(-fsanitize=address,undefined)
endif()
if(ADSYNC_COVERAGE)
	add_compile_options(--coverage -O0)
	add_link_options(--coverage)
endif()
