# channels/local.mk
