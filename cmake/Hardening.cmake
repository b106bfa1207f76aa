# Release hardening (docs style §4). Not combined with sanitizers.
if(ADSYNC_HARDEN)
	add_compile_options(-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3
		-fstack-protector-strong -fstack-clash-protection -fcf-protection)
	set(CMAKE_POSITION_INDEPENDENT_CODE ON)
	add_link_options(-pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack)
	add_compile_options(-fPIE)
endif()
