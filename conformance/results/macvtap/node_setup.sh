#!/bin/sh
# Node setup for this project's macvtap plugin: what the device plugin's Allocate does, a macvtap on the
# node's lower link, here named exactly like the deviceID (the plugin's fallback lookup). Its ifindex is
# random and high: /dev/tap<ifindex> lives in the one /dev every netns shares, so two netns must never
# hold macvtaps with the same index. Run by the suite in the throwaway node netns before each attachment.
set -eu
name="confdev$CNI_CONFORMANCE_ATTACHMENT"
index=$((1000000 + $(od -An -N4 -tu4 /dev/urandom) % 1000000))
ip link add link "$CNI_CONFORMANCE_LOWER" name "$name" index "$index" type macvtap mode bridge
ip link set "$name" up
