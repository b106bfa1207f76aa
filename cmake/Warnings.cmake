# House warning set (docs style §4); -Werror in the dev preset and in CI.
set(ADSYNC_WARNINGS
	-Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wvla -Wimplicit-fallthrough -Wcast-qual
	-Wwrite-strings -Wnull-dereference)
add_compile_options(${ADSYNC_WARNINGS})
if(ADSYNC_WERROR)
	add_compile_options(-Werror)
endif()
