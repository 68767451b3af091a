################################################################################
#
# isync
#
################################################################################

# The binary is a fully static musl executable built outside Buildroot by the
# iSync Makefile (cargo-zigbuild), so the package only installs it: no Rust
# toolchain, no crate vendoring, no network access during the Buildroot build.
ISYNC_VERSION = 0.1.0
ISYNC_SITE = $(call qstrip,$(BR2_PACKAGE_ISYNC_PREBUILT_DIR))
ISYNC_SITE_METHOD = local
ISYNC_LICENSE = MIT
ISYNC_LICENSE_FILES = LICENSE

ifeq ($(BR2_aarch64),y)
ISYNC_BINARY = isync-aarch64
else
ISYNC_BINARY = isync-armv7
endif

define ISYNC_USERS
	isync -1 isync -1 * /var/lib/isync - - iSync media server
endef

define ISYNC_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/$(ISYNC_BINARY) $(TARGET_DIR)/usr/bin/isync
	$(INSTALL) -d -m 0750 $(TARGET_DIR)/var/lib/isync
endef

define ISYNC_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(ISYNC_PKGDIR)/S95isync $(TARGET_DIR)/etc/init.d/S95isync
endef

define ISYNC_PERMISSIONS
	/var/lib/isync d 0750 isync isync - - - - -
endef

$(eval $(generic-package))
