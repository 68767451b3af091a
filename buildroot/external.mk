include $(sort $(wildcard $(BR2_EXTERNAL_ISYNC_PATH)/package/*/*.mk))
