# Where `make install` / `cmake --install` puts things (docs/packaging.md
# "make install"). Paths are relative to CMAKE_INSTALL_PREFIX (default
# /usr/local; the Debian package uses /usr) unless absolute; DESTDIR is put
# in front of every one of them, absolute ones included.
#
# Two install components: "server" (adsync, rsemu, their man pages, the
# unit, sysusers and tmpfiles snippets, the example configuration) and
# "dchooks" (adsync-pwhook, its sender unit and man page, the Windows
# password filter with its PowerShell scripts). `cmake --install DIR
# --component dchooks` installs one of them; plain `make install` both.
include(GNUInstallDirs)

# The daemon reads /etc/adsync/adsync.conf whatever the prefix
# (CONF_DEFAULT_PATH in src/conf/conf.h), so the example goes there, not
# to PREFIX/etc.
set(ADSYNC_CONFDIR "/etc/adsync" CACHE STRING
	"directory of adsync.conf (the daemon's compiled-in default)")
# systemd searches /usr/local/lib/... as well as /usr/lib/..., so these
# follow the prefix. Debian 12 still wants units in /lib/systemd/system
# (debian/rules sets it).
set(ADSYNC_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
	"systemd system units (relative: under the prefix)")
set(ADSYNC_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
	"sysusers.d snippets (relative: under the prefix)")
set(ADSYNC_TMPFILESDIR "lib/tmpfiles.d" CACHE STRING
	"tmpfiles.d snippets (relative: under the prefix)")
# The Windows password filter and its scripts, copied to a DC from here.
set(ADSYNC_PWFILTER_INSTALLDIR
	"${CMAKE_INSTALL_DATADIR}/adsync-dc-hooks/windows" CACHE STRING
	"adsync-pwfilter.dll and its install scripts (relative: under the prefix)")

# adsync_install_unit(SRC COMPONENT): installs the systemd unit SRC into
# ADSYNC_SYSTEMD_UNITDIR. The units in the tree name their programs as
# /usr/sbin/NAME (what the Debian package installs); for another prefix,
# given at configure time or to `cmake --install --prefix`, that path is
# rewritten to PREFIX/sbin/NAME when installing, so the unit starts the
# program that was installed with it.
function(adsync_install_unit src component)
	get_filename_component(name ${src} NAME)
	set(out ${CMAKE_CURRENT_BINARY_DIR}/install-units/${name})
	install(CODE "
		file(READ \"${src}\" unit)
		set(sbin \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}\")
		string(REPLACE \"=/usr/sbin/\" \"=\${sbin}/\" unit \"\${unit}\")
		file(WRITE \"${out}\" \"\${unit}\")
		" COMPONENT ${component})
	install(FILES ${out} DESTINATION ${ADSYNC_SYSTEMD_UNITDIR}
		COMPONENT ${component})
endfunction()
