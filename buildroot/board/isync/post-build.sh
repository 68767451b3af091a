#!/bin/sh
# Post-build step of the iSync images: mount the USB media disk at /mnt/media at boot
# (if it is plugged in; "nofail" keeps the boot going without it) and point the first-boot
# scan configuration at it. Buildroot passes the target directory as $1 (further arguments
# belong to the board's own post-build script and are ignored here).
set -eu

TARGET_DIR="$1"
MEDIA=/mnt/media

mkdir -p "$TARGET_DIR$MEDIA"
if ! grep -q "[[:space:]]${MEDIA}[[:space:]]" "$TARGET_DIR/etc/fstab"; then
	printf '/dev/sda1\t%s\tauto\tdefaults,nofail,noatime\t0\t2\n' "$MEDIA" >> "$TARGET_DIR/etc/fstab"
fi

# A starter scan configuration: the whole disk for one user. Edit it on the card
# (/var/lib/isync/scanDiskConfig.json) to add users and folders.
CONFIG="$TARGET_DIR/var/lib/isync/scanDiskConfig.json"
mkdir -p "$(dirname "$CONFIG")"
if [ ! -e "$CONFIG" ]; then
	cat > "$CONFIG" <<JSON
[
  {"paths": ["$MEDIA"], "users": [{"name": "family", "password": "change-me"}]}
]
JSON
fi
